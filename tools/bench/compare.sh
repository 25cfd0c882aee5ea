#!/usr/bin/env bash
# Side-by-side benchmark: NativeNet and PyTorch 1.13 (shared/bench/peers.py) on the same machine, interleaved
# (ours, then theirs, per figure) so both see the same load. Needs Debian's python3-torch for the PyTorch side.
#   bash tools/bench/compare.sh [overhead gemm conv mlp cnn]   (default: all five)
# Raw JSON lines go to artifacts/bench/<name>-<ours|torch>.jsonl; the summary table is printed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS="${NATIVENET_PEERS:-$ROOT/../shared/bench/peers.py}"
OUT="$ROOT/artifacts/bench"
mkdir -p "$OUT"
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(overhead gemm conv mlp cnn)

dotnet build "$ROOT/tools/bench/NativeNet.Bench" -c Release -v q -nologo >/dev/null
BENCH="dotnet $ROOT/tools/bench/NativeNet.Bench/bin/Release/net10.0/NativeNet.Bench.dll"

for b in "${what[@]}"; do
  for threads in 1 2; do
    echo "== $b, $threads thread(s): NativeNet"
    $BENCH "$b" --threads "$threads" | tee -a "$OUT/$b-ours.txt" | grep -v '^\[' || true
    if [ -f "$PEERS" ] && /usr/bin/python3 -c "import torch" 2>/dev/null; then
      echo "== $b, $threads thread(s): PyTorch"
      case "$b" in
        mlp) args=(--epochs 2 --no-export) ;;
        cnn) args=(--epochs 0 --steps 40) ;;
        *) args=() ;;
      esac
      /usr/bin/python3 "$PEERS" "$b" --threads "$threads" "${args[@]}" --wait-quiet 30 --out "$OUT/$b-torch.jsonl" >/dev/null || true
      tail -1 "$OUT/$b-torch.jsonl" | cut -c1-400; echo
    fi
  done
done

#!/usr/bin/env bash
# Builds and runs tools/check_cuda_headers.c against the installed CUDA headers and
# native/include/nativenet.h; prints its report (see the .c file for the format).
#
#   bash tools/check_cuda_headers.sh [output-file]
#
# Headers are looked for in $CUDA_HOME/include, /usr/local/cuda/include and /usr/include
# (Debian's nvidia-cuda-dev). Without any CUDA header only the nativenet.h section is
# printed. Exit status: 0 ok, 2 no C compiler, 1 compile or run failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out="${1:-/dev/stdout}"

cc="${CC:-}"
if [[ -z "$cc" ]]; then
    for c in cc gcc clang; do
        if command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
    done
fi
if [[ -z "$cc" ]]; then
    echo "check_cuda_headers: no C compiler found (set CC)" >&2
    exit 2
fi

includes=(-I"$root/native/include")
for d in "${CUDA_HOME:-}/include" /usr/local/cuda/include /usr/include; do
    if [[ -n "$d" && "$d" != "/include" && -f "$d/cuda_runtime_api.h" ]]; then
        includes+=(-I"$d")
        break
    fi
done

tmp="$(mktemp -d -t nativenet-headers.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
"$cc" -std=c11 -Wall -o "$tmp/check" "$root/tools/check_cuda_headers.c" "${includes[@]}"
"$tmp/check" >"$out"

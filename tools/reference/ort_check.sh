#!/bin/sh
# ONNX Runtime cross-check of NativeNet's exports (optional, not part of the tests). Needs onnxruntime-node under
# /tmp/ortnode (see ort_check.js), node, Debian's python3-numpy, and a Release build of the CLI.
#   sh tools/reference/ort_check.sh
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NN="$ROOT/tools/NativeNet.Cli/bin/Release/net10.0/nativenet"
CHECK="node $ROOT/tools/reference/ort_check.js"
T=$(mktemp -d /tmp/nativenet-ort.XXXXXX)
trap 'rm -rf "$T"' EXIT
status=0
# 1. The issue-2 CNN traced by NativeNet: ONNX Runtime vs NativeNet's own outputs, at batch 1 and 7 (symbolic batch).
"$NN" export --model cnn --seed 3 --out "$T/cnn.onnx" > /dev/null
for n in 1 7; do
  /usr/bin/python3 -c "import numpy as np; np.save('$T/x$n.npy', np.random.default_rng($n).standard_normal(($n, 1, 28, 28)).astype(np.float32))"
  "$NN" run "$T/cnn.onnx" --input input="$T/x$n.npy" --out "$T/nn$n" > /dev/null
  $CHECK "$T/cnn.onnx" --input input="$T/x$n.npy" --expect output="$T/nn$n/output.npy" --rtol 1e-4 --atol 1e-5 || status=1
done
# 2. The PyTorch fixtures re-exported by NativeNet: ONNX Runtime vs PyTorch's outputs.
for m in mlp cnn_bn residual; do
  F="$ROOT/tests/fixtures/onnx/$m"
  "$NN" export --from "$F/model.onnx" --out "$T/$m.onnx" > /dev/null
  for n in 1 3; do
    $CHECK "$T/$m.onnx" --input input="$F/input_b$n.npy" --expect output="$F/output_b$n.npy" --rtol 1e-4 --atol 1e-5 || status=1
  done
done
exit $status

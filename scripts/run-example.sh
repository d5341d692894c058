#!/usr/bin/env bash
# Runs the built `tessera` CLI on a bundled example: the 8x8 digits CNN and its
# 360 held-out test images (layer table, a run, the accuracy), then mnist_lenet quantized
# for the analog chip, its accuracy next to FP32, and its compilation for the M1076-class
# chip (does it fit, tiles, utilization, estimated frames/s) into a deployment package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESSERA="${TESSERA_BIN:-$ROOT/build/app/tessera}"
DATA="$ROOT/tests/data/models/digits"
OUT="${TMPDIR:-/tmp}/tessera-example"
[ -x "$TESSERA" ] || { echo "error: $TESSERA is not built (run scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$OUT"

echo "== tessera inspect digits_cnn.onnx"
"$TESSERA" inspect "$DATA/digits_cnn.onnx"
echo
echo "== tessera run digits_cnn.onnx on 360 test images"
"$TESSERA" run "$DATA/digits_cnn.onnx" --input "$DATA/digits_test_x8.npy" --output "$OUT/digits_cnn_out.npy"
echo
echo "== tessera eval digits_cnn.onnx (FP32 top-1; ONNX Runtime reference: 99.17%)"
"$TESSERA" eval "$DATA/digits_cnn.onnx" --data "$DATA/digits_test_x8.npy" --labels "$DATA/digits_test_y.npy"
echo
MNIST="$ROOT/tests/data/models/mnist"
echo "== tessera quantize mnist_lenet.onnx for the analog chip (ANA8, 512 calibration images)"
"$TESSERA" quantize "$MNIST/mnist_lenet.onnx" --data "$MNIST/mnist_calib_x.npy" -o "$OUT/mnist_lenet.quant.json"
echo
echo "== tessera eval mnist_lenet.onnx: FP32, then the quantized model on 2,000 test digits"
"$TESSERA" eval "$MNIST/mnist_lenet.onnx" --data "$MNIST/mnist_test_x.npy" --labels "$MNIST/mnist_test_y.npy"
"$TESSERA" eval "$MNIST/mnist_lenet.onnx" --data "$MNIST/mnist_test_x.npy" --labels "$MNIST/mnist_test_y.npy" \
  --quant "$OUT/mnist_lenet.quant.json"
echo
echo "== tessera compile mnist_lenet.onnx for the M1076-class chip (report headline; package and report JSON in $OUT)"
"$TESSERA" compile "$MNIST/mnist_lenet.onnx" --quant "$OUT/mnist_lenet.quant.json" --target m1076 \
  -o "$OUT/mnist_lenet.tpkg" --report "$OUT/mnist_lenet.report.json" 2>/dev/null > "$OUT/compile.txt"
head -n 3 "$OUT/compile.txt" # (whole output files, then head: a pipe into head would cut the writer off)
"$TESSERA" package info "$OUT/mnist_lenet.tpkg" > "$OUT/package.txt"
head -n 8 "$OUT/package.txt"
echo
echo "== tessera simulate mnist_lenet.tpkg: the package on the virtual chip, 2,000 test digits (FP32 and ANA8 above)"
"$TESSERA" simulate "$OUT/mnist_lenet.tpkg" --input "$MNIST/mnist_test_x.npy" --labels "$MNIST/mnist_test_y.npy" \
  --threads 0 --report "$OUT/mnist_lenet.sim.json"

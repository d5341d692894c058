#!/usr/bin/env bash
# `tessera run --threads 2` writes byte-identical outputs to one thread (the kernels split
# outputs, never sums), and --threads rejects a negative count.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

for model in mnist/mnist_wide.onnx mnist/mnist_mobile.onnx; do
  name="$(basename "$model" .onnx)"
  expect_exit 0 "$TESSERA" run "$MODELS/$model" --input "$MODELS/mnist/mnist_test_x16.npy" --output "$WORK/$name-1.npy" --threads 1
  expect_exit 0 "$TESSERA" run "$MODELS/$model" --input "$MODELS/mnist/mnist_test_x16.npy" --output "$WORK/$name-2.npy" --threads 2
  cmp "$WORK/$name-1.npy" "$WORK/$name-2.npy" || { echo "FAIL: $name differs between 1 and 2 threads"; exit 1; }
done
expect_exit 0 "$TESSERA" eval "$MODELS/mnist/mnist_lenet.onnx" --data "$MODELS/mnist/mnist_test_x.npy" \
  --labels "$MODELS/mnist/mnist_test_y.npy" --threads 0
expect_grep "$OUT" 'top-1 accuracy: 97.20%' "eval on every core"
expect_exit 2 "$TESSERA" run "$MODELS/mnist/mnist_wide.onnx" --input "$MODELS/mnist/mnist_test_x16.npy" --threads -1
echo "run_threads: ok"

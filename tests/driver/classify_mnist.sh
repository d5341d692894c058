#!/usr/bin/env bash
# examples/classify_mnist on the bundled MNIST test set: compile mnist_lenet with its
# quantization spec for m1076, classify the 2,000 test images through the host driver, and
# get exactly the quantized reference executor's accuracy (`tessera eval --quant`; the
# simulator is bit-exact with it, noise off).
# Usage: bash classify_mnist.sh <tessera> <tests/data> <classify_mnist>
# shellcheck source=../cli/lib/common.bash
source "$(dirname "$0")/../cli/lib/common.bash"
EXAMPLE="${3:?usage: $0 <tessera> <tests/data> <classify_mnist>}"

M="$MODELS/mnist"
SPEC="$DATA/quant/mnist_lenet_adc32.json"
expect_exit 0 "$TESSERA" compile "$M/mnist_lenet.onnx" --quant "$SPEC" --target m1076 -o "$WORK/lenet.tpkg"

# A package for another target is refused, naming both.
expect_exit 1 "$EXAMPLE" "$WORK/lenet.tpkg" "$M/mnist_test_x.npy" "$M/mnist_test_y.npy" --device sim:m1108
expect_grep "$ERR" 'wrong_target: .*lenet\.tpkg: built for m1076, the device is m1108' "stderr"

expect_exit 0 "$EXAMPLE" "$WORK/lenet.tpkg" "$M/mnist_test_x.npy" "$M/mnist_test_y.npy" --batch 100
cat "$OUT"
expect_grep "$OUT" 'on sim:m1076: input \[1,1,28,28\] float32 -> uint8 codes' "descriptor line"
expect_grep "$OUT" '^accuracy [0-9.]+% \([0-9]+/2000 correct\), [0-9.]+ frames/s' "result line"

cp "$OUT" "$WORK/example.out"
# Two worker threads: the same answers (frames may finish in any order, waited in order).
expect_exit 0 "$EXAMPLE" "$WORK/lenet.tpkg" "$M/mnist_test_x.npy" "$M/mnist_test_y.npy" --batch 100 --workers 2
expect_grep "$OUT" "$(grep -Eo '[0-9]+/2000 correct' "$WORK/example.out").*4 in flight, 2 workers" "two workers"
expect_exit 0 "$TESSERA" eval "$M/mnist_lenet.onnx" --quant "$SPEC" --data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy"
want="$(grep -Eo '[0-9]+/2000 correct' "$OUT")"
have="$(grep -Eo '[0-9]+/2000 correct' "$WORK/example.out")"
[ "$have" = "$want" ] || fail "classify_mnist: $have, the quantized reference executor: $want"
echo "classify_mnist: ok ($have, as the quantized reference)"

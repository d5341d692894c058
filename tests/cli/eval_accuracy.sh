#!/usr/bin/env bash
# `tessera eval` reproduces the FP32 top-1 accuracy ONNX Runtime measured (tests/data
# results.json): digits_cnn 99.17% = 357/360, mnist_lenet 97.20% = 1944/2000.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

D="$MODELS/digits"
expect_exit 0 "$TESSERA" eval "$D/digits_cnn.onnx" --data "$D/digits_test_x8.npy" --labels "$D/digits_test_y.npy"
expect_grep "$OUT" '^top-1 accuracy: 99\.17% \(357/360 correct\)' "digits_cnn accuracy"
cat "$OUT"
# A batch that does not divide the set (last batch padded) gives the same count.
expect_exit 0 "$TESSERA" eval "$D/digits_cnn.onnx" --data "$D/digits_test_x8.npy" --labels "$D/digits_test_y.npy" --batch 100
expect_grep "$OUT" '\(357/360 correct\)' "digits_cnn accuracy, batch 100"
expect_grep "$OUT" 'in 4 batches of 100' "batching"

M="$MODELS/mnist"
expect_exit 0 "$TESSERA" eval "$M/mnist_lenet.onnx" --data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --batch 300
expect_grep "$OUT" '^top-1 accuracy: 97\.20% \(1944/2000 correct\)' "mnist_lenet accuracy"
cat "$OUT"

expect_no_grep "$OUT" 'evaluating batch' "stdout (progress belongs on stderr)"

# --json: the same figures as one JSON object on stdout (and nothing else there).
expect_exit 0 "$TESSERA" eval "$D/digits_cnn.onnx" --data "$D/digits_test_x8.npy" --labels "$D/digits_test_y.npy" --json
python3 - "$OUT" <<'PY' || { echo "FAIL: eval --json"; exit 1; }
import json, sys
j = json.load(open(sys.argv[1]))
assert (j["samples"], j["correct"]) == (360, 357), j
assert abs(j["top1"] - 357 / 360) < 1e-12 and j["executor"] == "FP32 reference executor", j
PY

# Labels that do not match the data are a user error naming the file.
expect_exit 1 "$TESSERA" eval "$D/digits_cnn.onnx" --data "$D/digits_test_x8.npy" --labels "$M/mnist_test_y.npy"
expect_grep "$ERR" 'mnist_test_y\.npy' "error message"
echo "eval: ok"

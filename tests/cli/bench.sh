#!/usr/bin/env bash
# `tessera bench`: the simulator's own figures on a package (best-of-N CPU and wall time,
# frames/s); without ONNX Runtime (no --onnx, or an --ort folder without the peer) it says
# why ORT was not measured instead of failing; bad --runs and a non-package fail with exit 1.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
LENET="$MODELS/mnist/mnist_lenet.onnx"
X16="$MODELS/mnist/mnist_test_x16.npy"

expect_exit 0 "$TESSERA" quantize "$LENET" --data "$MODELS/mnist/mnist_calib_x.npy" --limit 16 --target m1076 -o "$WORK/q.json"
expect_exit 0 "$TESSERA" compile "$LENET" --quant "$WORK/q.json" --target m1076 -o "$WORK/lenet.tpkg"

expect_exit 0 "$TESSERA" bench "$WORK/lenet.tpkg" --input "$X16" --runs 2
expect_grep "$OUT" '16 frames from .*mnist_test_x16\.npy, 1 thread, best of 2 runs after 1 warm-up' "bench"
expect_grep "$OUT" '^simulator: +CPU [0-9.]+ s, wall [0-9.]+ s: [0-9]+ frames/s per CPU second' "bench"
expect_grep "$OUT" '^ONNX Runtime: not measured \(no --onnx model given\)' "bench without --onnx"
expect_exit 0 "$TESSERA" bench "$WORK/lenet.tpkg" --input "$X16" --runs 1 --onnx "$LENET" --ort "$WORK/no-ort"
expect_grep "$OUT" '^ONNX Runtime: not measured \((node is not on PATH|no onnxruntime-node and bench-ort\.js in .*no-ort)' "bench without the peer"

expect_exit 1 "$TESSERA" bench "$WORK/lenet.tpkg" --input "$X16" --runs 0
expect_grep "$ERR" '--runs: at least 1' "stderr (--runs 0)"
expect_exit 1 "$TESSERA" bench "$LENET" --input "$X16"
expect_grep "$ERR" 'mnist_lenet\.onnx: not a Tessera package' "stderr (not a package)"
echo "ok"

#!/usr/bin/env bash
# `tessera perf`: the performance model of a compiled package prints latency, frames/s,
# energy, power and the bottleneck; --report writes the JSON the issue names, --trace a
# Chrome/Perfetto trace; a file that is not a package fails with exit 1.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

expect_exit 0 "$TESSERA" --quiet compile "$MODELS/mnist/mnist_lenet.onnx" --target m1076 -o "$WORK/lenet.tpkg"
expect_exit 0 "$TESSERA" perf "$WORK/lenet.tpkg" --report "$WORK/r.json" --trace "$WORK/t.json" --frames 8
expect_grep "$OUT" '^  latency [0-9.]+ us, [0-9.]+ frames/s \(bound [0-9.]+\), [0-9.]+ uJ/frame' "perf"
expect_grep "$OUT" '^  bottleneck: array ' "perf"
for key in latency_us fps energy_uj_per_frame average_power_w bottleneck layers tiles; do
  expect_grep "$WORK/r.json" "^ \"$key\": " "report"
done
expect_grep "$WORK/t.json" '^\{"displayTimeUnit":"ns","traceEvents":\[' "trace"
expect_grep "$WORK/t.json" '"name":"thread_name"' "trace"
expect_grep "$WORK/t.json" '"ph":"C"' "trace"
expect_exit 1 "$TESSERA" perf "$MODELS/digits/digits_cnn.onnx"
expect_grep "$ERR" 'digits_cnn\.onnx: not a Tessera package' "stderr"
echo "ok"

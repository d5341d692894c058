#!/usr/bin/env bash
# `tessera quantize --adaround`: writes a tuned model and its spec that the other verbs take
# (compile, quant-eval against the original with --fp32-model), prints a line per layer, and
# refuses --adaround without --model-out (and --model-out without --adaround), writing nothing.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

M="$MODELS/mnist"
# The help is read whole first: `grep -q` stops at the match, and under pipefail the writer's
# SIGPIPE would fail the check.
help=$("$TESSERA" quantize --help)
grep -q -- '--adaround' <<<"$help" || fail "quantize has no --adaround"

expect_exit 1 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --adaround -o "$WORK/a.json"
expect_grep "$ERR" "give --model-out" "missing --model-out"
expect_exit 1 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --model-out "$WORK/t.onnx" -o "$WORK/a.json"
expect_grep "$ERR" "written by --adaround only" "--model-out without --adaround"
[ ! -e "$WORK/a.json" ] && [ ! -e "$WORK/t.onnx" ] || fail "a refused request wrote a file"

# A tessera built without the retraining library (TESSERA_BUILD_TRAINING=OFF, e.g. the quick
# sanitizer build) refuses the tuning itself, as it must: skip the rest. The probe's output is
# read whole (see retrain.sh).
probe=$("$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_test_x16.npy" --limit 1 --adaround \
  --adaround-iters 1 --model-out "$WORK/probe.onnx" -o "$WORK/probe.json" 2>&1 || true)
if grep -q "needs the retraining library, which this tessera was built without" <<<"$probe"; then
  echo "adaround: refusals checked; tuning not built: skipped"; exit 77
fi

expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --limit 64 --weight-bits 4 \
  --adaround --adaround-iters 20 --model-out "$WORK/tuned.onnx" -o "$WORK/tuned.json"
expect_grep "$OUT" '/c1/Conv: 4-bit, [0-9]+ of [0-9]+ levels changed' "per-layer line"
expect_grep "$OUT" "wrote .*tuned.onnx and .*tuned.json" "summary"
expect_exit 0 "$TESSERA" quant-eval "$WORK/tuned.onnx" "$WORK/tuned.json" --fp32-model "$M/mnist_lenet.onnx" \
  --data "$M/mnist_test_x16.npy"
expect_grep "$OUT" '"fp32_model"' "quant-eval against the original"
expect_exit 0 "$TESSERA" compile "$WORK/tuned.onnx" --quant "$WORK/tuned.json" -o "$WORK/tuned.tpkg"
echo "adaround: tuned model quantized, evaluated and compiled"

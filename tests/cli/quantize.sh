#!/usr/bin/env bash
# `tessera quantize` + `tessera quant-eval` on mnist_lenet: the ANA8 model agrees with FP32
# on nearly every test digit and keeps its accuracy (FP32 97.20% per results.json; the
# issue's floor is 0.3 pp). Per-layer bits reach the JSON; bad requests write nothing.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

M="$MODELS/mnist"
Q="$WORK/lenet.quant.json"
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" -o "$Q"
expect_grep "$OUT" 'wrote .*: 5 analog layers' "quantize summary"
expect_grep "$Q" '"format": "tessera-quant"' "quantization JSON"

expect_exit 0 "$TESSERA" quant-eval "$M/mnist_lenet.onnx" "$Q" --data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy"
top1="$(grep -Eo '"quant_top1": [0-9.]+' "$OUT" | head -1 | grep -Eo '[0-9.]+$')"
fp32="$(grep -Eo '"fp32_top1": [0-9.]+' "$OUT" | head -1 | grep -Eo '[0-9.]+$')"
[ -n "$top1" ] && [ -n "$fp32" ] || fail "quant-eval printed no top1/fp32_top1"
awk -v q="$top1" -v f="$fp32" 'BEGIN { exit !(f > 0.971 && f < 0.973 && q >= f - 0.003) }' \
  || fail "ANA8 top-1 $top1 is not within 0.3 pp of FP32 $fp32 (expected FP32 0.972)"
expect_grep "$OUT" '"sqnr_db"' "per-layer SQNR"
echo "mnist_lenet: FP32 $fp32, ANA8 $top1"

# `tessera eval --quant` and `tessera run --quant` run the same quantized model: eval's
# accuracy equals quant-eval's, and run's rows are that model's outputs.
expect_exit 0 "$TESSERA" eval "$M/mnist_lenet.onnx" -d "$M/mnist_test_x.npy" -l "$M/mnist_test_y.npy" --quant "$Q"
pct="$(awk -v q="$top1" 'BEGIN { printf "%.2f%%", 100 * q }')"
expect_grep "$OUT" "top-1 accuracy: $pct" "eval --quant accuracy (quant-eval said $top1)"
expect_grep "$OUT" "quantized reference executor" "eval --quant summary"
expect_exit 0 "$TESSERA" run "$M/mnist_lenet.onnx" -i "$M/mnist_test_x16.npy" --quant "$Q" -o "$WORK/q16.npy"
expect_exit 0 "$TESSERA" run "$M/mnist_lenet.onnx" -i "$M/mnist_test_x16.npy" -o "$WORK/f16.npy"
expect_exit 1 "$TESSERA" compare "$WORK/q16.npy" "$WORK/f16.npy" --atol 0 # quantized differs from FP32
expect_exit 0 "$TESSERA" compare "$WORK/q16.npy" "$WORK/f16.npy" --atol 0.5 # but not by much (logits)
expect_exit 1 "$TESSERA" run "$M/mnist_lenet.onnx" -i "$M/mnist_test_x16.npy" --quant "$Q" --no-optimize
expect_grep "$ERR" "drop --no-optimize" "error message"

# Per-layer bits by node name.
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --limit 64 \
  -o "$WORK/mixed.json" --layer-bits /c1/Conv=4 /f1/Gemm=3
expect_grep "$WORK/mixed.json" '"/c1/Conv": 4' "layer bits"
expect_grep "$WORK/mixed.json" '"/f1/Gemm": 3' "layer bits"

# Cross-layer equalization and bias correction are recorded in the JSON; quant-eval
# re-applies the equalization to the imported model (it would fail or drift otherwise).
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --limit 64 \
  -o "$WORK/cle.json" --weight-bits 4 --equalize --bias-correction
expect_grep "$WORK/cle.json" '"first": "/c1/Conv"' "equalization record"
expect_grep "$WORK/cle.json" '"bias_correction": \[' "per-layer bias correction"
expect_exit 0 "$TESSERA" quant-eval "$M/mnist_lenet.onnx" "$WORK/cle.json" --data "$M/mnist_test_x.npy" \
  --labels "$M/mnist_test_y.npy" --limit 200
agree="$(grep -Eo '"agreement": [0-9.]+' "$OUT" | head -1 | grep -Eo '[0-9.]+$')"
awk -v a="$agree" 'BEGIN { exit !(a >= 0.97) }' || fail "W4 + CLE + BC agreement $agree < 0.97"

# Bad requests: clear message, exit 1, no file written.
expect_exit 1 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" -o "$WORK/bad.json" --weight-bits 9
expect_grep "$ERR" 'weight bits 9' "error message"
expect_exit 1 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" -o "$WORK/bad.json" --layer-bits nosuch=4
expect_grep "$ERR" "nosuch" "error message"
expect_exit 1 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$MODELS/digits/digits_test_x8.npy" -o "$WORK/bad.json"
expect_grep "$ERR" 'digits_test_x8\.npy' "error message"
expect_exit 2 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" -o "$WORK/bad.json" --percentile nan
expect_grep "$ERR" 'percentile: must be a number in \(0, 100\], got nan' "error message"
[ ! -e "$WORK/bad.json" ] || fail "a failed quantize left $WORK/bad.json behind"

# A quantization file made for another model is refused, naming both; --force uses it.
expect_exit 1 "$TESSERA" eval "$M/mnist_wide.onnx" -d "$M/mnist_test_x.npy" -l "$M/mnist_test_y.npy" --quant "$Q"
expect_grep "$ERR" "made for another model.*mnist_lenet.*mnist_wide" "wrong-model message"
expect_grep "$Q" '"model_hash": "xxh3-64:' "model hash recorded"
# quant-eval, sensitivity and mixed-precision refuse it too and take the --force the message
# offers: forced, what fails next is the layers' fit to the other graph.
for verb in quant-eval sensitivity mixed-precision; do
  expect_exit 1 "$TESSERA" "$verb" "$M/mnist_wide.onnx" "$Q" --data "$M/mnist_test_x.npy" --limit 8
  expect_grep "$ERR" "made for another model.*pass --force" "$verb: wrong-model message"
  expect_exit 1 "$TESSERA" "$verb" "$M/mnist_wide.onnx" "$Q" --data "$M/mnist_test_x.npy" --limit 8 --force
  expect_no_grep "$ERR" "made for another model|not expected" "$verb --force"
done
# The refusal names the quantization file; compile takes --force too (it refused anyway:
# opening the model with the spec checked it unforced first).
expect_exit 1 "$TESSERA" compile "$M/mnist_wide.onnx" --quant "$Q" --target m1076
expect_grep "$ERR" "$(basename "$Q"): the quantization file was made for another model.*pass --force" "compile: wrong-model message"
expect_exit 1 "$TESSERA" compile "$M/mnist_wide.onnx" --quant "$Q" --target m1076 --force
expect_no_grep "$ERR" "made for another model|not expected" "compile --force"
# DAC bits as a search axis: the report's points carry dac_bits, the chosen spec its layers'
# input_bits; with the weight-bits objective the axis is refused; a reused table without the
# DAC trials is refused naming the file.
D=(--data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --limit 64 --bits 8 4)
expect_exit 0 "$TESSERA" mixed-precision "$M/mnist_lenet.onnx" "$Q" "${D[@]}" --objective latency --target m1076 \
  --dac-bits-options 8 4 --max-drop 0.05 --holdout 0 --report "$WORK/dac.json" -o "$WORK/dac.quant.json"
expect_grep "$WORK/dac.json" '"dac_bits"' "points' DAC bits"
expect_grep "$WORK/dac.quant.json" '"input_bits": 4' "a layer at 4 DAC bits in the chosen spec"
expect_exit 1 "$TESSERA" mixed-precision "$M/mnist_lenet.onnx" "$Q" "${D[@]}" --dac-bits-options 8 4
expect_grep "$ERR" "DAC bit depths as a search axis need an energy, latency, frame-energy or fps objective" "weight-bits refuses the DAC axis"
expect_exit 0 "$TESSERA" sensitivity "$M/mnist_lenet.onnx" "$Q" "${D[@]}" -o "$WORK/sens84.json"
expect_exit 1 "$TESSERA" mixed-precision "$M/mnist_lenet.onnx" "$Q" "${D[@]}" --objective energy --target m1076 \
  --dac-bits-options 8 4 --sensitivity "$WORK/sens84.json"
expect_grep "$ERR" "sens84.json: no entry for layer .* at [0-9]+ DAC bits" "table without DAC trials"
echo "quantize: ok"

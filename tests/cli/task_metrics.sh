#!/usr/bin/env bash
# The output task on the CLI: recorded by `quantize --task`, overridden by quant-eval,
# labels refused for a task they cannot score, label-free figures null; a sensitivity
# report reused by `mixed-precision --sensitivity`, which with --report prints a summary.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

D="$MODELS/digits"
Q="$WORK/digits.quant.json"
expect_exit 0 "$TESSERA" quantize "$D/digits_cnn.onnx" --data "$D/digits_test_x8.npy" --limit 32 -o "$Q" --task regression
expect_grep "$Q" '"kind": "regression"' "task recorded in the spec"

expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --labels "$D/digits_test_y.npy"
expect_grep "$ERR" "scores classification outputs; this output is scored as regression" "labels on a regression task"
expect_exit 0 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 64
expect_grep "$OUT" '"metric": "one_minus_relative_error"' "regression metric"
expect_exit 0 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 64 \
  --labels "$D/digits_test_y.npy" --task classification
expect_grep "$OUT" '"metric": "top1_agreement"' "override to classification"
expect_grep "$OUT" '"quant_top1"' "top-1 with labels"
expect_exit 2 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --task segmentation

# Label texts (sequence outputs): refused for a classifier, and when the line count differs.
printf 'a\nb\n' >"$WORK/keys.txt"
for i in $(seq 360); do echo "line $i"; done >"$WORK/lines.txt"
expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 64 \
  --label-text "$WORK/lines.txt" --keys "$WORK/keys.txt" --task classification
expect_grep "$ERR" "label texts score sequence outputs; this output is scored as classification" "label texts on a classifier"
expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 64 \
  --label-text "$WORK/keys.txt" --keys "$WORK/keys.txt"
expect_grep "$ERR" "keys.txt: 2 label lines for 360 samples" "label line count"
expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --label-text "$WORK/lines.txt"
expect_grep "$ERR" "label texts and keys go together" "label texts without keys"

# Label-free sensitivity: top-1 is null, not 0; its report feeds the search.
S="$WORK/sens.json"
expect_exit 0 "$TESSERA" sensitivity "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 32 \
  --bits 8 4 --task classification -o "$S"
expect_grep "$S" '"top1": null' "label-free top-1"
expect_exit 0 "$TESSERA" mixed-precision "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 32 \
  --bits 8 4 --task classification --sensitivity "$S" --max-drop 1 --report "$WORK/mp.json"
expect_grep "$OUT" 'configurations measured; report: ' "search summary"
expect_no_grep "$OUT" '"points"' "the whole report on stdout"
expect_grep "$WORK/mp.json" '"points"' "search report"
expect_grep "$WORK/mp.json" '"held_out"' "held-out check in the report"
expect_grep "$OUT" 'held out \(6 samples\): accuracy drop .*(meets the budget|MISSES the budget)' "held-out line"
# The energy objective priced by a target's analog timing and energy.
expect_exit 0 "$TESSERA" mixed-precision "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 32 \
  --bits 8 4 --task classification --sensitivity "$S" --objective energy --target m1076 --report "$WORK/energy.json"
expect_grep "$WORK/energy.json" '"cost_model": "m1076"' "target cost model"
expect_grep "$WORK/energy.json" '"objective": "energy"' "energy objective"
# Nothing meets an impossible budget: the chosen spec is not written, the report is.
expect_exit 1 "$TESSERA" mixed-precision "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 32 \
  --bits 8 4 --task classification --sensitivity "$S" --max-cost 1 --report "$WORK/none.json" -o "$WORK/none.quant.json"
expect_grep "$ERR" "nothing written to .*none.quant.json \(the measured points are in .*none.json\)" "no point message"
[ -s "$WORK/none.json" ] || fail "the report of a search without a point was not written"
[ ! -e "$WORK/none.quant.json" ] || fail "a spec was written although nothing met the budget"
expect_exit 1 "$TESSERA" mixed-precision "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 32 \
  --bits 8 4 2 --sensitivity "$S"
expect_grep "$ERR" "no entry for layer '.*' at 2 bits" "a report missing a depth"
echo "task metrics: ok"

# The user's own metric: ceiling = its score of FP32 against itself, drop in its units.
M="bash $(dirname "$0")/lib/bytes_differ.sh {ref} {out}"
expect_exit 0 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 16 --metric-cmd "$M"
expect_grep "$OUT" '"fp32": 0\.0' "metric ceiling (identical files)"
expect_grep "$OUT" '"quantized": -[1-9][0-9]*\.0' "metric of the quantized outputs (they differ from FP32)"
expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 16 \
  --metric-cmd 'sh -c "echo boom >&2; exit 3" {out}'
expect_grep "$ERR" "failed \(exit status 3\): boom" "failing metric command"
expect_exit 1 "$TESSERA" quant-eval "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 16 \
  --metric-cmd 'echo hello {out}'
expect_grep "$ERR" "as its last line, not a number" "metric printing no number"
# The sensitivity table in the metric's units: its drops are byte counts, the command named.
expect_exit 0 "$TESSERA" sensitivity "$D/digits_cnn.onnx" "$Q" --data "$D/digits_test_x8.npy" --limit 16 --bits 8 2 \
  --metric-cmd "$M"
expect_grep "$OUT" '"user_metric": "bash .*bytes_differ.sh \{ref\} \{out\}"' "sensitivity names the user metric"
expect_grep "$OUT" '"accuracy_drop": [1-9][0-9]*\.0' "sensitivity drops in the metric's units"
echo "user metric: ok"

# Variable-size images: the width follows the aspect ratio (W x H order, AUTO first).
expect_exit 1 "$TESSERA" quantize "$MODELS/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --images "$MODELS/ocr/calib_lines" \
  --size 48xAUTO -o "$WORK/auto.json"
expect_grep "$ERR" "write AUTOx48" "the automatic side spelled out"
expect_exit 0 "$TESSERA" quantize "$MODELS/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --images "$MODELS/ocr/calib_lines" \
  --size AUTOx48 --limit 4 -o "$WORK/auto.json"
tr -d ' \n' < "$WORK/auto.json" > "$WORK/auto.flat"
expect_grep "$WORK/auto.flat" '"input_shape":\[1,3,48,192\]' "192x48 lines keep their width"
echo "variable size: ok"

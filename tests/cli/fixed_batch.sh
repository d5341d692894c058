#!/usr/bin/env bash
# Models exported with a fixed batch (tests/data/models/fixedbatch, made from digits_cnn by
# scripts/make_fixed_batch_models.py) take a multi-sample .npy in every verb, and give the
# numbers of the same model with a symbolic batch (digits/digits_cnn.onnx, the reference):
# b1 re-batches (Flatten); b1_reshape and b4_reshape (Reshape to a constant [B, 512]) run
# B samples at a time, the last run padded.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

D="$MODELS/digits"
X="$D/digits_test_x8.npy"
Y="$D/digits_test_y.npy"
REF="$D/digits_cnn.onnx"
without_model() { grep -vE '"model(_hash)?"' "$1"; }
# quant-eval's report without its timing and the Flatten/Reshape node's op name.
eval_numbers() { grep -Ev '"seconds"|"op": "(Flatten|Reshape)"' "$1"; }

expect_exit 0 "$TESSERA" quantize "$REF" --data "$X" --limit 63 --equalize --bias-correction -o "$WORK/ref.json"
expect_exit 0 "$TESSERA" quant-eval "$REF" "$WORK/ref.json" --data "$X" --labels "$Y"
eval_numbers "$OUT" >"$WORK/ref_eval.json"
expect_exit 0 "$TESSERA" run "$REF" -i "$X" -o "$WORK/ref_fp32.npy"
expect_exit 0 "$TESSERA" run "$REF" -i "$X" --quant "$WORK/ref.json" -o "$WORK/ref_quant.npy"

for name in digits_cnn_b1 digits_cnn_b1_reshape digits_cnn_b4_reshape; do
  M="$MODELS/fixedbatch/$name.onnx"
  expect_exit 0 "$TESSERA" quantize "$M" --data "$X" --limit 63 --equalize --bias-correction -o "$WORK/$name.json"
  diff <(without_model "$WORK/ref.json") <(without_model "$WORK/$name.json") >/dev/null \
    || fail "$name: quantization result differs from the symbolic-batch model's"
  expect_exit 0 "$TESSERA" quant-eval "$M" "$WORK/$name.json" --data "$X" --labels "$Y"
  diff "$WORK/ref_eval.json" <(eval_numbers "$OUT") >/dev/null || fail "$name: quant-eval differs"

  expect_exit 0 "$TESSERA" eval "$M" --data "$X" --labels "$Y" --batch 100
  expect_grep "$OUT" '^top-1 accuracy: 99\.17% \(357/360 correct\)' "$name eval"
  expect_exit 0 "$TESSERA" eval "$M" --data "$X" --labels "$Y" --quant "$WORK/$name.json"
  top1="$(grep -Eo '"quant_top1": [0-9.]+' "$WORK/ref_eval.json" | grep -Eo '[0-9.]+$')"
  expect_grep "$OUT" "top-1 accuracy: $(awk -v q="$top1" 'BEGIN { printf "%.2f%%", 100 * q }')" "$name eval --quant"

  expect_exit 0 "$TESSERA" run "$M" -i "$X" -o "$WORK/fp32.npy"
  expect_grep "$OUT" "output 'logits': float32\[360,10\]" "$name run"
  expect_exit 0 "$TESSERA" compare "$WORK/ref_fp32.npy" "$WORK/fp32.npy" --atol 0
  expect_exit 0 "$TESSERA" run "$M" -i "$X" --quant "$WORK/$name.json" -o "$WORK/quant.npy"
  expect_exit 0 "$TESSERA" compare "$WORK/ref_quant.npy" "$WORK/quant.npy" --atol 0
  echo "$name: same quantization, evaluation and outputs as the symbolic-batch model"
done

# How the batch is run is reported; the re-batchable model runs in batches of 100.
expect_exit 0 "$TESSERA" eval "$MODELS/fixedbatch/digits_cnn_b4_reshape.onnx" --data "$X" --labels "$Y" --batch 100
expect_grep "$OUT" 'in 90 batches of 4' "fixed batch of 4"
expect_grep "$OUT" 'runs only batches of 4' "fixed batch note"
expect_exit 0 "$TESSERA" eval "$MODELS/fixedbatch/digits_cnn_b1.onnx" --data "$X" --labels "$Y" --batch 100
expect_grep "$OUT" 'in 4 batches of 100' "re-batched"

# Samples that truly do not fit: the message names the data, its shape and the input.
expect_exit 1 "$TESSERA" quantize "$MODELS/fixedbatch/digits_cnn_b1.onnx" --data "$D/digits_test_x16.npy" -o "$WORK/bad.json"
expect_grep "$ERR" 'digits_test_x16\.npy: data of shape \[360,1,16,16\]' "error message"
expect_grep "$ERR" "input 'input'" "error message"
[ ! -e "$WORK/bad.json" ] || fail "a failed quantize left $WORK/bad.json behind"
echo "fixed batch: ok"

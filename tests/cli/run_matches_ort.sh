#!/usr/bin/env bash
# `tessera run` writes outputs that match ONNX Runtime's (shipped in tests/data) within
# 1e-4, checked with `tessera compare`, whose own honesty is checked first.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

# compare: 2.0 vs 2.001 differs by ~1e-3: over 1e-4, within 1e-2; shapes must match.
write_f32_npy "$WORK/a.npy" 0000803f 00000040
write_f32_npy "$WORK/b.npy" 0000803f 62100040
write_f32_npy "$WORK/c.npy" 0000803f
expect_exit 0 "$TESSERA" compare "$WORK/a.npy" "$WORK/a.npy" --atol 0
expect_exit 1 "$TESSERA" compare "$WORK/a.npy" "$WORK/b.npy" --atol 1e-4
expect_grep "$OUT" '1 over tolerance' "compare report"
expect_exit 0 "$TESSERA" compare "$WORK/a.npy" "$WORK/b.npy" --atol 1e-2
expect_exit 1 "$TESSERA" compare "$WORK/a.npy" "$WORK/c.npy"
expect_grep "$OUT" 'shape mismatch' "compare report"

check_model() { # model input reference
  local out
  out="$WORK/$(basename "$1" .onnx).npy"
  expect_exit 0 "$TESSERA" run "$MODELS/$1" --input "$MODELS/$2" --output "$out"
  expect_grep "$OUT" "written to $out" "run summary"
  expect_exit 0 "$TESSERA" compare "$out" "$MODELS/$3" --atol 1e-4
  echo "$1: $(cat "$OUT")"
}
check_model digits/digits_cnn.onnx digits/digits_test_x8.npy digits/digits_cnn_ort.npy
check_model digits/digits_resnet.onnx digits/digits_test_x16.npy digits/digits_resnet_ort.npy
check_model mnist/mnist_lenet.onnx mnist/mnist_test_x16.npy mnist/mnist_lenet_ort16.npy
check_model mnist/mnist_mobile.onnx mnist/mnist_test_x16.npy mnist/mnist_mobile_ort16.npy
check_model mnist/mnist_wide.onnx mnist/mnist_test_x16.npy mnist/mnist_wide_ort16.npy
check_model ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx ocr/cls_in.npy ocr/cls_out_ort.npy

# The unoptimized graph gives the same answer.
expect_exit 0 "$TESSERA" run "$MODELS/digits/digits_cnn.onnx" --input "$MODELS/digits/digits_test_x8.npy" \
  --output "$WORK/raw.npy" --no-optimize
expect_exit 0 "$TESSERA" compare "$WORK/raw.npy" "$MODELS/digits/digits_cnn_ort.npy" --atol 1e-4

# The summary: output shape and the first rows' top-1 (digits test image 0 is a 7 per
# digits_test_y.npy and ONNX Runtime's logits).
expect_exit 0 "$TESSERA" run "$MODELS/digits/digits_cnn.onnx" --input "$MODELS/digits/digits_test_x8.npy"
expect_grep "$OUT" "output 'logits': float32\[360,10\]" "run summary"
expect_grep "$OUT" 'row 0: top-1 class 7 ' "run summary"
echo "run: ok"

#!/usr/bin/env bash
# Garbage is refused or flagged, never used silently (issue 12): option ranges people read,
# NaN/Inf inputs (run warns, eval refuses), labels outside the model's classes, data of
# the wrong shape naming the data file, a quantization layer of another op (naming the file),
# a quantization file without a model hash (a warning naming it).
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
CNN="$MODELS/digits/digits_cnn.onnx"
X8="$MODELS/digits/digits_test_x8.npy"
Y="$MODELS/digits/digits_test_y.npy"

# patch_npy FILE INDEX ELEMENT_BYTES HEXBYTES: overwrites element INDEX of an .npy's data.
patch_npy() {
  local header offset
  header="$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')"
  offset=$((10 + header + $2 * $3))
  # shellcheck disable=SC2059 # the format string is the bytes being written
  printf "$(echo "$4" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$offset" conv=notrunc status=none
}

# Options: a range in words, never a 309-digit bound; NaN is not a number in range.
expect_exit 2 "$TESSERA" eval "$CNN" --data "$X8" --labels "$Y" --batch 0
expect_grep "$ERR" '^--batch: must be a number >= 1, got 0' "stderr"
expect_no_grep "$ERR" '[0-9]{40}' "stderr"
expect_exit 2 "$TESSERA" compare "$X8" "$X8" --atol -1
expect_grep "$ERR" '^--atol: must be a number >= 0, got -1' "stderr"
expect_exit 2 "$TESSERA" compare "$X8" "$X8" --atol nan
expect_exit 2 "$TESSERA" quantize "$CNN" -o "$WORK/q.json" --data "$X8" --percentile 150
expect_grep "$ERR" 'must be a number in \(0, 100\], got 150' "stderr"
expect_exit 2 "$TESSERA" quantize "$CNN" -o "$WORK/q.json" --data "$X8" --percentile nan
expect_exit 2 "$TESSERA" run "$CNN" --input "$X8" --threads -1
expect_exit 1 "$TESSERA" quantize "$CNN" -o "$WORK/q.json" --data "$X8" --mean nan
expect_grep "$ERR" "--mean: 'nan' is not a finite number" "stderr"
expect_exit 1 "$TESSERA" quantize "$CNN" -o "$WORK/q.json" --images "$MODELS/ocr/calib_lines" --size axb
expect_grep "$ERR" "--size: expected WxH in positive whole pixels" "stderr"
expect_no_grep "$ERR" 'internal error' "stderr"
[ ! -e "$WORK/q.json" ] || fail "a quantization file was written despite a bad option"

# NaN in sample 2 (element 130 of [360,1,8,8]): run warns naming the row, eval refuses.
cp "$X8" "$WORK/nan.npy"
patch_npy "$WORK/nan.npy" 130 4 0000c07f
expect_exit 0 "$TESSERA" run "$CNN" --input "$WORK/nan.npy"
expect_grep "$ERR" "warning: .*nan\.npy: row 2 contains NaN or Inf \(element 130\)" "stderr"
expect_exit 1 "$TESSERA" eval "$CNN" --data "$WORK/nan.npy" --labels "$Y"
expect_grep "$ERR" "nan\.npy: sample 2 contains NaN or Inf \(element 130\)" "stderr"

# Labels 99 and -1 (int64) are refused naming the file and the index.
cp "$Y" "$WORK/labels99.npy"
patch_npy "$WORK/labels99.npy" 5 8 6300000000000000
expect_exit 1 "$TESSERA" eval "$CNN" --data "$X8" --labels "$WORK/labels99.npy"
expect_grep "$ERR" "labels99\.npy: label 99 at index 5 is outside the model's 10 classes \(0\.\.9\)" "stderr"
expect_exit 0 "$TESSERA" quantize "$CNN" -o "$WORK/q.json" --data "$X8"
expect_exit 1 "$TESSERA" quant-eval "$CNN" "$WORK/q.json" --data "$X8" --labels "$WORK/labels99.npy"
expect_grep "$ERR" "labels99\.npy: label 99 at index 5 is outside" "stderr"
# quant-eval checks the labels before it evaluates: mnist_wide on 2,000 digits takes seconds
# (progress lines on stderr after a quarter second), a bad last label fails with none.
cp "$MODELS/mnist/mnist_test_y.npy" "$WORK/last99.npy"
patch_npy "$WORK/last99.npy" 1999 8 6300000000000000
expect_exit 1 "$TESSERA" quant-eval "$MODELS/mnist/mnist_wide.onnx" "$DATA/quant/mnist_wide_adc32.json" \
  --data "$MODELS/mnist/mnist_test_x.npy" --labels "$WORK/last99.npy"
expect_grep "$ERR" "last99\.npy: label 99 at index 1999 is outside the model's 10 classes" "stderr"
expect_no_grep "$ERR" "evaluating|running" "stderr (nothing may run before the labels are checked)"
cp "$Y" "$WORK/negative.npy"
patch_npy "$WORK/negative.npy" 7 8 ffffffffffffffff
expect_exit 1 "$TESSERA" eval "$CNN" --data "$X8" --labels "$WORK/negative.npy"
expect_grep "$ERR" "negative\.npy: label -1 at index 7 is negative" "stderr"

# A quantization file whose layer op is not the model's node's is refused, naming both ops.
sed '0,/"op": "Conv"/s//"op": "Gemm"/' "$DATA/quant/mnist_lenet_adc32.json" >"$WORK/other_op.json"
expect_exit 1 "$TESSERA" quant-eval "$MODELS/mnist/mnist_lenet.onnx" "$WORK/other_op.json" \
  --data "$MODELS/mnist/mnist_test_x.npy" --labels "$MODELS/mnist/mnist_test_y.npy" --limit 10
expect_grep "$ERR" "other_op\.json: layer '/c1/Conv': the result says op 'Gemm', the graph's node is a 'Conv'" "stderr"

# A file without a model content hash (the shipped format-1 files) is used, with a warning
# naming it: it cannot be checked against the model. Said once, though several stages read it.
expect_exit 0 "$TESSERA" quant-eval "$MODELS/mnist/mnist_lenet.onnx" "$DATA/quant/mnist_lenet_adc32.json" \
  --data "$MODELS/mnist/mnist_test_x.npy" --labels "$MODELS/mnist/mnist_test_y.npy" --limit 10
expect_grep "$ERR" "warning: .*mnist_lenet_adc32\.json: a format-1 quantization file records no model content hash, so it cannot be checked against the model" "stderr"
[ "$(grep -c 'records no model content hash' "$ERR")" = 1 ] || fail "the missing hash was not said exactly once"
# A file written now carries the hash: no such warning.
expect_exit 0 "$TESSERA" quant-eval "$CNN" "$WORK/q.json" --data "$X8" --labels "$Y" --limit 10
expect_no_grep "$ERR" "records no model content hash" "stderr"

# Data of the wrong shape names the data file (and the model).
expect_exit 1 "$TESSERA" eval "$CNN" --data "$MODELS/digits/digits_test_x16.npy" --labels "$Y"
expect_grep "$ERR" "digits_test_x16\.npy: data of shape \[360,1,16,16\]" "stderr"
expect_grep "$ERR" "digits_cnn\.onnx" "stderr"
echo "reliability: ok"

#!/usr/bin/env bash
# `tessera targets`: the built-in presets are listed with their totals; one target prints in
# full with the source of every number; --json writes a file that reads back identically;
# a bad target file fails with exit 1 and a message naming the file and the key.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

expect_exit 0 "$TESSERA" targets
expect_grep "$OUT" '^m1076 +76 +1024x1024 +79,691,776 +2[0-9]\.[0-9] +3\.5 W' "preset list"
expect_grep "$OUT" '^m1108 +108 +1024x1024 ' "preset list"
expect_grep "$OUT" '^test4 +4 +256x256 ' "preset list"

expect_exit 0 "$TESSERA" targets m1076
expect_grep "$OUT" '^  76 tiles \(4 x 19 mesh\)' "m1076 summary"
expect_grep "$OUT" '^host\.pcie_lanes +4 lanes +published: ' "m1076 fields"
expect_grep "$OUT" '^analog\.array\.rows +1024 rows +inferred: ' "m1076 fields"

# --json is a valid target file: it reads back and prints the same.
expect_exit 0 "$TESSERA" targets test4 --json
cp "$OUT" "$WORK/test4.json"
expect_grep "$WORK/test4.json" '"format": "tessera-target"' "JSON"
expect_exit 0 "$TESSERA" targets "$WORK/test4.json" --json
cmp -s "$OUT" "$WORK/test4.json" || fail "a target written by --json does not read back identically"
expect_exit 0 "$TESSERA" targets --json
expect_grep "$OUT" '"name": "m1108"' "JSON preset list"

# Bad targets: exit 1, the file and the key named.
sed 's/"rows": 256/"rows": -3/' "$WORK/test4.json" >"$WORK/negative.json"
expect_exit 1 "$TESSERA" targets "$WORK/negative.json"
expect_grep "$ERR" 'negative\.json: analog\.array\.rows must be a positive integer, got -3' "stderr"
sed 's/"lanes"/"lane"/' "$WORK/test4.json" >"$WORK/typo.json"
expect_exit 1 "$TESSERA" targets "$WORK/typo.json"
expect_grep "$ERR" 'typo\.json: unknown key simd\.lane \(did you mean simd\.lanes\?\)' "stderr"
expect_exit 1 "$TESSERA" targets m1077
expect_grep "$ERR" "'m1077' is neither a target preset \(m1076, m1108, test4\)" "stderr"

# quantize --target takes the rows per block from the target (test4: 256-row arrays).
expect_exit 2 "$TESSERA" quantize "$MODELS/digits/digits_cnn.onnx" -o "$WORK/q.json" --target test4 --array-rows 64
expect_grep "$ERR" "excludes" "stderr"
CNN="$MODELS/digits/digits_cnn.onnx"
expect_exit 0 "$TESSERA" quantize "$CNN" --data "$MODELS/digits/digits_test_x8.npy" -o "$WORK/q.json" --target test4
expect_grep "$WORK/q.json" '"array_rows": 256' "quantization JSON"
expect_exit 1 "$TESSERA" quantize "$CNN" --data "$MODELS/digits/digits_test_x8.npy" -o "$WORK/never.json" \
  --target "$WORK/typo.json"
expect_grep "$ERR" 'typo\.json: unknown key simd\.lane' "stderr"
[ ! -e "$WORK/never.json" ] || fail "quantize wrote a result despite a bad target"

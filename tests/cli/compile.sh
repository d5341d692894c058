#!/usr/bin/env bash
# `tessera compile`: mnist_wide fits on m1076 (report totals, JSON report, a package that is
# identical across runs); on test4 it does not fit: exit 1 naming the tiles it needs and
# what would make it fit, the report still printed.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

WIDE="$MODELS/mnist/mnist_wide.onnx"
expect_exit 0 "$TESSERA" compile "$WIDE" --target m1076 --report "$WORK/r.json" -o "$WORK/a.tpkg"
expect_grep "$OUT" 'on m1076: fits' "report"
expect_grep "$OUT" '^  arrays 3 \(lower bound 3, 1.000x\)' "report totals"
expect_grep "$OUT" '^/fc1/Gemm +Gemm +analog +[0-9]+ ' "per-layer table"
expect_grep "$WORK/r.json" '"fits": true' "JSON report"
expect_grep "$WORK/r.json" '"tiles_available": 76' "JSON report"
expect_grep "$WORK/r.json" '"estimated_fps_unreplicated"' "JSON report"
[ -s "$WORK/a.tpkg" ] || fail "no package written"
expect_exit 0 "$TESSERA" compile "$WIDE" --target m1076 -o "$WORK/b.tpkg" --report "$WORK/r2.json"
cmp -s "$WORK/a.tpkg" "$WORK/b.tpkg" || fail "two compiles of the same model wrote different packages"
cmp -s "$WORK/r.json" "$WORK/r2.json" || fail "two compiles of the same model wrote different reports"

# With the quantization spec: the same mapping, the spec's programming.
expect_exit 0 "$TESSERA" compile "$WIDE" --quant "$DATA/quant/mnist_wide_adc32.json" --target m1076 -o "$WORK/q.tpkg"
expect_grep "$OUT" 'on m1076: fits' "report with --quant"

# Does not fit: exit 1, tiles needed and what would help, report still printed; no package.
expect_exit 1 "$TESSERA" compile "$WIDE" --target test4 -o "$WORK/none.tpkg"
expect_grep "$OUT" 'on test4: DOES NOT FIT' "report"
expect_grep "$ERR" 'does not fit: needs 43 tiles \(43 arrays of 256x256\), target test4 has 4 tiles' "stderr"
expect_grep "$ERR" 'largest layers: /fc1/Gemm' "stderr"
expect_grep "$ERR" 'a bigger target: m1076' "stderr"
[ ! -e "$WORK/none.tpkg" ] || fail "a package was written for a model that does not fit"

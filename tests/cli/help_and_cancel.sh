#!/usr/bin/env bash
# Every verb documents itself; Ctrl+C (SIGINT) stops long work cleanly with exit 130.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

expect_exit 0 "$TESSERA" --help
for verb in inspect run eval compare quantize quant-eval sensitivity mixed-precision export-qdq; do
  expect_grep "$OUT" "^  $verb " "tessera --help"
done
for verb in inspect run eval compare quantize quant-eval sensitivity mixed-precision export-qdq; do
  expect_exit 0 "$TESSERA" "$verb" --help
  expect_grep "$OUT" "^Usage: .*$verb" "tessera $verb --help"
done

# mnist_wide over 2,000 images one at a time takes seconds; interrupt it as soon as it
# reports progress (polling rather than a fixed sleep, so a fast machine cannot finish first).
M="$MODELS/mnist"
"$TESSERA" eval "$M/mnist_wide.onnx" --data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --batch 1 \
  >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 200); do
  grep -q 'evaluating batch' "$ERR" 2>/dev/null && break
  sleep 0.05
done
kill -INT "$pid"
code=0
wait "$pid" || code=$?
[ "$code" -eq 130 ] || fail "interrupted eval exited with $code, expected 130"
expect_grep "$ERR" 'cancelled' "stderr"
expect_no_grep "$OUT" 'top-1 accuracy' "stdout"
# It had time to report progress, on stderr only.
expect_grep "$ERR" 'evaluating batch [0-9]+/2000 +[0-9]+%' "progress on stderr"
expect_no_grep "$OUT" 'evaluating batch' "stdout"
echo "help and cancel: ok"

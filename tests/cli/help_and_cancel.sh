#!/usr/bin/env bash
# Every verb documents itself; Ctrl+C (SIGINT) stops long work cleanly with exit 130.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

expect_exit 0 "$TESSERA" --help
for verb in inspect run eval compare; do
  expect_grep "$OUT" "^  $verb " "tessera --help"
done
for verb in inspect run eval compare; do
  expect_exit 0 "$TESSERA" "$verb" --help
  expect_grep "$OUT" "^Usage: .*$verb" "tessera $verb --help"
done

# mnist_wide over 2,000 images takes seconds; interrupt it after one.
M="$MODELS/mnist"
"$TESSERA" eval "$M/mnist_wide.onnx" --data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --batch 64 \
  >"$OUT" 2>"$ERR" &
pid=$!
sleep 1.5
kill -INT "$pid"
code=0
wait "$pid" || code=$?
[ "$code" -eq 130 ] || fail "interrupted eval exited with $code, expected 130"
expect_grep "$ERR" 'cancelled' "stderr"
expect_no_grep "$OUT" 'top-1 accuracy' "stdout"
# It had time to report progress, on stderr only.
expect_grep "$ERR" 'evaluating batch [0-9]+/32 +[0-9]+%' "progress on stderr"
expect_no_grep "$OUT" 'evaluating batch' "stdout"
echo "help and cancel: ok"

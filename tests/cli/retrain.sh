#!/usr/bin/env bash
# `tessera retrain` on a small slice of digits (a smoke test of the verb, not a measurement:
# docs/retraining.md has those): bad requests are refused with clear errors and write
# nothing; a run prints one line per epoch and writes a model `tessera eval` accepts; the
# checkpoint resumes a longer run and refuses another run's settings.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

M="$MODELS/mnist"
X="$M/mnist_test_x.npy"
Y="$M/mnist_test_y.npy"
T="$WORK/tuned.onnx"
# The probe's output is read whole: under pipefail a `cmd | grep -q` pipeline takes the
# failing command's exit status, so the skip would never be seen.
probe=$("$TESSERA" retrain "$M/mnist_lenet.onnx" -o "$T" 2>&1 || true)
if ! "$TESSERA" retrain --help >/dev/null 2>&1 || grep -q "without the training library" <<<"$probe"; then
  echo "retrain not built: skipped"; exit 77
fi

# write_i64_npy PATH VALUES...: a 1-D int64 .npy (little-endian), for labels.
write_i64_npy() {
  local path="$1"
  shift
  local dict="{'descr': '<i8', 'fortran_order': False, 'shape': ($#,), }"
  { printf '\x93NUMPY\x01\x00\x76\x00%s\n' "$(printf '%-117s' "$dict")"
    local v
    for v in "$@"; do
      printf "\\x$(printf '%02x' "$v")\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
    done
  } >"$path"
}

# Bad input: nothing written, exit 1 (2 for the command line), the message names the problem.
expect_exit 1 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --limit 64 --epochs 1 -o "$T"
expect_grep "$ERR" "needs labelled data" "no labels"
expect_exit 1 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$M/mnist_test_x16.npy" --labels "$Y" --epochs 1 -o "$T"
expect_grep "$ERR" "mnist_test_y.npy" "label count mismatch"
write_i64_npy "$WORK/bad_y.npy" 1 2 3 4 5 6 7 8 9 0 1 2 3 12 4 5
expect_exit 1 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$M/mnist_test_x16.npy" --labels "$WORK/bad_y.npy" \
  --holdout 0.25 --epochs 1 -o "$T"
expect_grep "$ERR" "12" "label out of range"
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --limit 32 -o "$WORK/lenet.json"
expect_exit 1 "$TESSERA" retrain "$M/mnist_wide.onnx" --quant "$WORK/lenet.json" --data "$X" --labels "$Y" --limit 64 \
  --epochs 1 -o "$T" --quant-out "$WORK/t.json"
expect_grep "$ERR" "mnist_lenet" "spec for another model"
expect_exit 1 "$TESSERA" retrain "$MODELS/ocr/ch_PP-OCRv4_det_infer.onnx" --images "$MODELS/ocr/calib_pages" \
  --size 64x64 --epochs 1 -o "$T"
expect_grep "$ERR" "cannot build .*ConvTranspose .*Resize" "unsupported ops listed"
expect_exit 2 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --epochs 0 -o "$T"
[ ! -e "$T" ] || fail "a refused request wrote $T"

# A run: one line per epoch, a tuned model eval takes.
expect_exit 0 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --limit 256 --epochs 1 \
  --batch 32 --lr 1e-4 --seed 3 -o "$T"
expect_grep "$OUT" "^epoch 1/1  loss [0-9.]+  accuracy [0-9.]+%  held-out loss [0-9.]+  accuracy [0-9.]+%" "epoch line"
expect_grep "$OUT" "wrote .*tuned.onnx" "summary"
[ -s "$T.ckpt" ] || fail "no checkpoint next to the output"
expect_exit 0 "$TESSERA" eval "$T" -d "$X" -l "$Y"
expect_grep "$OUT" "top-1 accuracy" "eval of the tuned model"

# The checkpoint resumes: a 2-epoch run trains only epoch 2; another seed is refused.
expect_exit 0 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --limit 256 --epochs 2 \
  --batch 32 --lr 1e-4 --seed 3 -o "$T"
expect_grep "$OUT" "^epoch 2/2" "resumed epoch"
expect_no_grep "$OUT" "^epoch 1/2" "resumed run"
expect_exit 1 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --limit 256 --epochs 2 \
  --batch 32 --seed 4 -o "$T"
expect_grep "$ERR" "another run.*--no-resume" "checkpoint of another run"
expect_exit 0 "$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --limit 256 --epochs 1 \
  --batch 32 --seed 4 --no-resume -o "$T"
# Ctrl+C after the first epoch: exit 130, the best weights so far are written.
"$TESSERA" retrain "$M/mnist_lenet.onnx" --data "$X" --labels "$Y" --epochs 50 --batch 8 --seed 5 \
  -o "$WORK/cancel.onnx" >"$OUT" 2>"$ERR" &
interrupt_when $! "$OUT" '^epoch 1/50'
[ "$INTERRUPTED_CODE" -eq 130 ] || fail "interrupted retrain exited with $INTERRUPTED_CODE, expected 130"
expect_grep "$OUT" "^stopped: cancelled" "stdout"
[ -s "$WORK/cancel.onnx" ] || fail "a cancelled retrain wrote no model"
echo "retrain CLI: ok"

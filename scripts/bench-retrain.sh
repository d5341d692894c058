#!/usr/bin/env bash
# FP32 fine-tuning of the bundled MNIST models on the 8,000 training digits (10% held out
# for early stopping; the 2,000 test digits are never trained on):
#   scripts/bench-retrain.sh [EPOCHS] [MODELS...]     (default: 3 epochs, lenet mobile wide)
# Prints each model's parameters and MACs (tessera inspect), test accuracy before and after
# (tessera eval) and the retrain log (wall seconds per epoch; CPU seconds of the whole run).
# THREADS (default 1: on a shared machine torch's extra threads mostly spin) and LR override. Needs build/app/tessera built with
# the training library, and the 8,000 training digits (mnist_train_x.npy / mnist_train_y.npy)
# in MNIST_TRAIN (default: ../shared/models/mnist next to the repository, where development
# machines have them; see tests/data/LICENSES.md for where they come from).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EPOCHS="${1:-3}"
shift || true
MODELS=("${@:-lenet mobile wide}")
read -r -a MODELS <<<"${MODELS[*]}"
T="${TESSERA:-$ROOT/build/app/tessera}"
M="$ROOT/tests/data/models/mnist"
TRAIN="${MNIST_TRAIN:-$ROOT/../shared/models/mnist}"
[[ -f "$TRAIN/mnist_train_x.npy" && -f "$TRAIN/mnist_train_y.npy" ]] ||
  { echo "error: no mnist_train_x.npy / mnist_train_y.npy in $TRAIN (set MNIST_TRAIN=dir)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for m in "${MODELS[@]}"; do
  model="$M/mnist_$m.onnx"
  echo "== mnist_$m: $("$T" inspect "$model" | grep '^total:')"
  echo "before: $("$T" -q eval "$model" -d "$M/mnist_test_x.npy" -l "$M/mnist_test_y.npy" | grep 'top-1')"
  # CPU seconds of the run: the steadier figure on a shared machine.
  /usr/bin/time -f "retrain: wall %e s, CPU %U s user + %S s system" "$T" -q retrain "$model" --data "$TRAIN/mnist_train_x.npy" --labels "$TRAIN/mnist_train_y.npy" \
    --epochs "$EPOCHS" --lr "${LR:-1e-4}" --batch 64 --holdout 0.1 --seed 0 --threads "${THREADS:-1}" \
    -o "$WORK/$m.onnx" --no-resume
  echo "after:  $("$T" -q eval "$WORK/$m.onnx" -d "$M/mnist_test_x.npy" -l "$M/mnist_test_y.npy" | grep 'top-1')"
done

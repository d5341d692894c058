#!/usr/bin/env bash
# FP32 executor vs ONNX Runtime, single-threaded, on the bundled models' full test batches.
#   scripts/bench.sh [--runs N] [model...]      (models: mnist_wide mnist_lenet mnist_mobile
#                                                 digits_cnn digits_resnet ocr_cls; default all)
# Builds tessera-bench in build-bench/ (TESSERA_BENCH_BUILD_DIR), installs the ORT peer from
# bench/ort/ into build-bench/ort (npm install --ignore-scripts, ~290 MB, once), then per model
# times ORT and Tessera back to back (the machine is shared: interleaving keeps both under the
# same load) and prints a markdown table. Wall and process-CPU medians are both reported.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ort.sh
source "$ROOT/scripts/lib/ort.sh"
BUILD="${TESSERA_BENCH_BUILD_DIR:-$ROOT/build-bench}"
RUNS=5
if [[ "${1:-}" == "--runs" ]]; then RUNS="$2"; shift 2; fi
MODELS=("$@")
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(mnist_wide mnist_lenet mnist_mobile digits_cnn digits_resnet ocr_cls)

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_BENCH=ON -DTESSERA_BUILD_APP=OFF \
  -DTESSERA_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"${TESSERA_BENCH_JOBS:-2}" --target tessera-bench >/dev/null
BENCH="$BUILD/bench/tessera-bench"

ORT_DIR="$BUILD/ort"
install_ort "$ORT_DIR" "$ROOT"
cp "$ROOT/bench/ort/bench-ort.js" "$ORT_DIR/"

BIN="$BUILD/bench-inputs"
mkdir -p "$BIN"
ORT_TIMES="$BUILD/ort_times.txt"
: >"$ORT_TIMES"
ROWS=()
for model in "${MODELS[@]}"; do
  # write-bin prints "<name> <model.onnx> <input.bin>"
  read -r name onnx bin < <("$BENCH" --models "$model" --write-bin "$BIN")
  node "$ORT_DIR/bench-ort.js" --runs "$RUNS" --warmup 1 "$name" "$onnx" "$bin" | sed -n 's/^ORT //p' >>"$ORT_TIMES"
  ROWS+=("$("$BENCH" --models "$model" --runs "$RUNS" --ort "$ORT_TIMES" | grep "^| $model |")")
done
echo "| model | batch | Tessera wall ms | ORT wall ms | wall ratio | Tessera CPU ms | ORT CPU ms | CPU ratio | top-1 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

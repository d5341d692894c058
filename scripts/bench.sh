#!/usr/bin/env bash
# FP32 executor vs ONNX Runtime at the same thread count, on the bundled models' full test
# batches and the generated ResNet-50 (batch 1; skipped with a note when
# scripts/make-real-models.sh has not written it):
#   scripts/bench.sh [--runs N] [--threads T] [model...]
#       models: mnist_wide mnist_lenet mnist_mobile digits_cnn digits_resnet ocr_cls resnet50
#       (default all); --threads: Tessera's kernel threads and ORT's intraOpNumThreads (default 1)
# Builds tessera-bench in build-bench/ (TESSERA_BENCH_BUILD_DIR), installs the ORT peer from
# bench/ort/ into build-bench/ort (npm install --ignore-scripts, ~290 MB, once), then per model
# times ORT and Tessera back to back (the machine is shared: interleaving keeps both under the
# same load) and prints a markdown table. Best-of-N wall and process-CPU medians are reported
# (CPU time sums the threads).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ort.sh
source "$ROOT/scripts/lib/ort.sh"
BUILD="${TESSERA_BENCH_BUILD_DIR:-$ROOT/build-bench}"
REAL_MODELS="${TESSERA_REAL_MODELS:-$ROOT/build/real-models}"
RUNS=5
THREADS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) break ;;
  esac
done
MODELS=("$@")
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(mnist_wide mnist_lenet mnist_mobile digits_cnn digits_resnet ocr_cls resnet50)

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_BENCH=ON -DTESSERA_BUILD_APP=OFF \
  -DTESSERA_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"${TESSERA_BENCH_JOBS:-2}" --target tessera-bench >"$BUILD/build.log" 2>&1 ||
  { tail -40 "$BUILD/build.log" >&2; exit 1; }
BENCH=("$BUILD/bench/tessera-bench" --real-models "$REAL_MODELS")

ORT_DIR="$BUILD/ort"
install_ort "$ORT_DIR" "$ROOT"
cp "$ROOT/bench/ort/bench-ort.js" "$ORT_DIR/"

BIN="$BUILD/bench-inputs"
mkdir -p "$BIN"
ORT_TIMES="$BUILD/ort_times.txt"
: >"$ORT_TIMES"
ROWS=()
for model in "${MODELS[@]}"; do
  # write-bin prints "<name> <model.onnx> <input.bin>", nothing for an absent generated model
  line="$("${BENCH[@]}" --models "$model" --write-bin "$BIN")"
  [[ -n "$line" ]] || continue
  read -r name onnx bin <<<"$line"
  node "$ORT_DIR/bench-ort.js" --runs "$RUNS" --warmup 1 --threads "$THREADS" "$name" "$onnx" "$bin" |
    sed -n 's/^ORT //p' >>"$ORT_TIMES"
  ROWS+=("$("${BENCH[@]}" --models "$model" --runs "$RUNS" --threads "$THREADS" --ort "$ORT_TIMES" | grep "^| $model |")")
done
echo "| model | batch | threads | Tessera best ms | ORT best ms | best ratio | Tessera CPU ms | ORT CPU ms | CPU ratio | top-1 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# The quantization stage against its peers, measured in one run on the MNIST models:
#   scripts/bench-quant.sh [--runs N] [model...]     (models: mnist_lenet mnist_wide mnist_mobile)
# Per model: calibration time (512 images), the quantized reference executor against the FP32
# executor over the 2,000 test digits (tessera-quant-bench, process CPU time, median of N), and
# ONNX Runtime running Tessera's own QDQ export of the same quantization (`tessera export-qdq`,
# ORT's int8 kernels, 1 intra-op thread, median CPU time of N) on the same 2,000 digits.
# Uses the build tree and the ORT install of scripts/bench.sh (build-bench/, ~290 MB once).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ort.sh
source "$ROOT/scripts/lib/ort.sh"
BUILD="${TESSERA_BENCH_BUILD_DIR:-$ROOT/build-bench}"
RUNS=3
if [[ "${1:-}" == "--runs" ]]; then RUNS="$2"; shift 2; fi
MODELS=("$@")
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(mnist_lenet mnist_wide mnist_mobile)
DATA="$ROOT/tests/data/models/mnist"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_BENCH=ON -DTESSERA_BUILD_APP=OFF \
  -DTESSERA_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"${TESSERA_BENCH_JOBS:-2}" --target tessera tessera-bench tessera-quant-bench \
  >"$BUILD/build.log" 2>&1 || { tail -40 "$BUILD/build.log" >&2; exit 1; }
ORT_DIR="$BUILD/ort"
install_ort "$ORT_DIR" "$ROOT"
cp "$ROOT/bench/ort/bench-ort.js" "$ORT_DIR/"

WORK="$BUILD/bench-quant"
mkdir -p "$WORK"
echo "| model | calibrate | FP32 exec | quantized exec | quant/FP32 | ORT on the QDQ export | quant/ORT-QDQ | FP32 top-1 | ANA8 top-1 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in "${MODELS[@]}"; do
  "$BUILD/app/tessera" quantize "$DATA/$model.onnx" --data "$DATA/mnist_calib_x.npy" -o "$WORK/$model.json" >/dev/null 2>&1
  "$BUILD/app/tessera" export-qdq "$DATA/$model.onnx" "$WORK/$model.json" --batch 2000 -o "$WORK/$model.qdq.onnx" \
    >/dev/null 2>&1
  # write-bin: the model's 2,000 test digits as <name>.bin + .json (prints "<name> <onnx> <bin>")
  read -r name _ bin <<<"$("$BUILD/bench/tessera-bench" --models "$model" --write-bin "$WORK")"
  ort_cpu="$(node "$ORT_DIR/bench-ort.js" --runs "$RUNS" --warmup 1 --threads 1 "$name" "$WORK/$model.qdq.onnx" "$bin" |
    awk '/^ORT /{print $4}')"
  # | model | calibrate | FP32 | quant | ratio | FP32 top-1 | ANA8 top-1 |
  row="$("$BUILD/bench/tessera-quant-bench" --models "$model" --runs "$RUNS" | grep "^| $model |")"
  awk -F'|' -v ort="$ort_cpu" '{
    q = $5; gsub(/[^0-9.]/, "", q);
    printf "|%s|%s|%s|%s|%s| %.0f ms | %.2fx |%s|%s|\n", $2, $3, $4, $5, $6, ort, q / ort, $7, $8 }' <<<"$row"
done
echo
echo "CPU time of each process, median of $RUNS runs; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

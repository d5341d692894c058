#!/usr/bin/env bash
# QDQ export vs ONNX Runtime, live: `tessera export-qdq` of mnist_lenet, mnist_wide,
# mnist_mobile and the OCR direction classifier (quantized with 32-bit ADCs, i.e. no ADC
# effects) run by ONNX Runtime must agree with Tessera's quantized executor within 1 LSB of
# the output's scale (tests/cli/qdq_matches_ort.sh prints the measured LSB differences).
#   scripts/qdq-ort.sh
# Uses the build tree and the ORT install of scripts/bench.sh (build-bench/, override with
# TESSERA_BENCH_BUILD_DIR; ORT in build-bench/ort, override with TESSERA_ORT_DIR), so the
# ~290 MB onnxruntime-node download happens once for both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ort.sh
source "$ROOT/scripts/lib/ort.sh"
BUILD="${TESSERA_BENCH_BUILD_DIR:-$ROOT/build-bench}"
ORT_DIR="${TESSERA_ORT_DIR:-$BUILD/ort}"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_BENCH=ON -DTESSERA_BUILD_APP=OFF \
  -DTESSERA_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"${TESSERA_BENCH_JOBS:-2}" --target tessera >/dev/null

install_ort "$ORT_DIR" "$ROOT"

TESSERA_ORT_DIR="$ORT_DIR" bash "$ROOT/tests/cli/qdq_matches_ort.sh" "$BUILD/app/tessera" "$ROOT/tests/data"

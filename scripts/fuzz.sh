#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer) in build-fuzz/ and runs each for
# a bounded time, seeded with the bundled small models and .npy files.
#   scripts/fuzz.sh [seconds-per-target=60] [target...]
#   (targets: fuzz_onnx_import fuzz_npy fuzz_package fuzz_quant_spec fuzz_png fuzz_project)
# New corpus entries go to build-fuzz/corpus/<target>/, crashes to build-fuzz/artifacts/.
# Exit status is non-zero when a target finds a crash.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(fuzz_onnx_import fuzz_npy fuzz_package fuzz_quant_spec fuzz_png fuzz_project)
command -v clang++ >/dev/null || { echo "error: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTESSERA_BUILD_FUZZ=ON -DTESSERA_BUILD_APP=OFF -DTESSERA_BUILD_TESTS="${TESSERA_FUZZ_TESTS:-OFF}" -DTESSERA_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"${TESSERA_FUZZ_JOBS:-2}" --target "${TARGETS[@]}"

MODELS="$ROOT/tests/data/models"
status=0
for target in "${TARGETS[@]}"; do
  seeds="$BUILD/seeds/$target"
  corpus="$BUILD/corpus/$target"
  mkdir -p "$seeds" "$corpus" "$BUILD/artifacts"
  case "$target" in
    fuzz_onnx_import)
      cp "$MODELS"/digits/*.onnx "$MODELS"/mnist/mnist_lenet.onnx "$MODELS"/mnist/mnist_mobile.onnx \
         "$MODELS"/unsupported/silero_vad_legacy.onnx "$seeds/"
      # ONNX's own small test models (every op, opsets 6..17) make fast, varied seeds.
      # Inputs that once crashed a sanitizer build are replayed first.
      cp "$ROOT"/tests/fuzz/regressions/*.onnx "$seeds/" 2>/dev/null || true
      testdata="${ONNX_TESTDATA_DIR:-/usr/share/libonnx-testdata/data}"
      for model in "$testdata"/{node,pytorch-converted,pytorch-operator,simple}/*/model.onnx; do
        [[ -f "$model" ]] && cp "$model" "$seeds/$(basename "$(dirname "$model")").onnx"
      done
      max_len=400000 ;;
    fuzz_npy)
      cp "$MODELS"/digits/digits_test_y.npy "$MODELS"/ocr/cls_out_ort.npy "$MODELS"/mnist/*_ort16.npy "$seeds/"
      max_len=20000 ;;
    fuzz_package)
      cp "$ROOT"/tests/data/packages/*.tpkg "$seeds/"
      max_len=20000 ;;
    fuzz_quant_spec)
      cp "$ROOT"/tests/data/quant/*.json "$seeds/"
      max_len=60000 ;;
    fuzz_png)
      cp "$MODELS"/ocr/calib_lines/*.png "$MODELS"/ocr/line.png "$MODELS"/ocr/page.png "$seeds/"
      max_len=20000 ;;
    fuzz_project)
      cp "$ROOT"/tests/data/projects/*.tessera "$ROOT"/tests/fuzz/regressions/*.tessera "$seeds/"
      max_len=20000 ;;
    *) echo "error: unknown target $target" >&2; exit 1 ;;
  esac
  echo "== $target for ${SECONDS_PER_TARGET}s"
  log="$BUILD/artifacts/$target.log"
  UBSAN_OPTIONS="print_stacktrace=1" "$BUILD/tests/fuzz/$target" "$corpus" "$seeds" \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$target-" 2>&1 | tee "$log" | grep -v '^#' \
    || status=1
  if grep -q "runtime error:" "$log"; then # UBSan findings (reported once per source line)
    echo "== $target: undefined behaviour found:" && grep "runtime error:" "$log" | sort -u
    status=1
  fi
done
exit $status

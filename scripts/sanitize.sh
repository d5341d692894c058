#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) build of everything in
# build-sanitize/, then the test suite under it. Undefined behaviour fails the test that
# hits it (-fno-sanitize-recover=undefined); leaks fail it at exit, except the documented
# third-party ones in scripts/lsan.supp.
#   scripts/sanitize.sh                 build everything, run the whole suite (~40 min on 2 cores)
#   scripts/sanitize.sh -R 'core_|quant_'   extra arguments go to ctest (here: core and quant only)
# Environment: TESSERA_SANITIZE_BUILD_DIR (default build-sanitize), TESSERA_SANITIZE_JOBS (2),
# TESSERA_SANITIZE_TARGETS (default: all; e.g. "tessera_core tessera_quant" to build less).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"
JOBS="${TESSERA_SANITIZE_JOBS:-2}"
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# RelWithDebInfo: -O2 keeps the numerics tests within their timeouts, -g names the lines.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTESSERA_BUILD_APP=ON -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_FUZZ=OFF -DTESSERA_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_C_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
if [[ -n "${TESSERA_SANITIZE_TARGETS:-}" ]]; then
  # shellcheck disable=SC2086
  cmake --build "$BUILD" -j"$JOBS" --target ${TESSERA_SANITIZE_TARGETS}
else
  cmake --build "$BUILD" -j"$JOBS"
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
cd "$BUILD"
# Tests run 2-5x slower under the sanitizers; ctest's per-test timeout is scaled with them.
ctest --output-on-failure -j"${TESSERA_TEST_JOBS:-2}" --timeout 1800 "$@"

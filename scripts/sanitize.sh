#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) build in build-sanitize/,
# then the test suite under it. Undefined behaviour fails the test that hits it
# (-fno-sanitize-recover=undefined); leaks fail it at exit, except the documented third-party
# ones in scripts/lsan.supp. Every test timeout is 4x the normal one (TESSERA_TEST_TIMEOUT_SCALE).
#
#   scripts/sanitize.sh                      every area: build, then run (README: how long)
#   scripts/sanitize.sh core quant           only these areas' tests (and what they need)
#   scripts/sanitize.sh --list               the areas and their test counts
#   scripts/sanitize.sh --fast               the quick subset (README): unit tests that take
#                                            seconds under the sanitizers
#   scripts/sanitize.sh compiler -- -E perf  arguments after -- (or from the first option
#                                            that is not the script's) go to ctest
#   TESSERA_SANITIZE_KIND=thread scripts/sanitize.sh
#                                            ThreadSanitizer instead, in build-tsan/: the host
#                                            driver's tests (areas driver and the simulator's
#                                            simulator_test_driver*); a data race fails the test
#
# Areas: core quant train compiler simulator driver cli app (tests named <area>_...).
# Environment:
#   TESSERA_SANITIZE_KIND       address (default: ASan + UBSan + LSan) | thread (TSan)
#   TESSERA_SANITIZE_BUILD_DIR  build directory (default build-sanitize, build-tsan for thread)
#   TESSERA_SANITIZE_JOBS       build jobs (2)
#   TESSERA_TEST_JOBS           ctest jobs (2)
#   TESSERA_SANITIZE_STEP       build | test | all (default): build now and run later, e.g. run
#                               one area while the next builds in another shell
#   TESSERA_SANITIZE_TARGETS    build exactly these targets instead of the areas' own
#   TESSERA_SANITIZE_TRAINING   ON | OFF (default ON): the libtorch retraining library
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIND="${TESSERA_SANITIZE_KIND:-address}"
[[ "$KIND" == address || "$KIND" == thread ]] || { echo "sanitize.sh: TESSERA_SANITIZE_KIND is address or thread, not '$KIND'" >&2; exit 2; }
if [[ "$KIND" == thread ]]; then BUILD="${TESSERA_SANITIZE_BUILD_DIR:-$ROOT/build-tsan}"; else BUILD="${TESSERA_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"; fi
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
JOBS="${TESSERA_SANITIZE_JOBS:-2}"
STEP="${TESSERA_SANITIZE_STEP:-all}"
ALL_AREAS=(core quant train compiler simulator driver cli app)
# The --fast subset: the unit tests that need only the engine libraries (no CLI, simulator or
# studio build) and take seconds each under the sanitizers (measured, README): core, compiler,
# train and the quick quant tests. The slow quant ones (sensitivity, PTQ on MNIST/OCR,
# non-idealities, bias correction: 20-220 s each) are left to the full run.
FAST_TESTS='^(core_test_.*|compiler_test_.*|train_test_.*|quant_test_(analog_numerics|equalization|fixed_batch|output_task|qdq_export|quant_io|quantized_executor|smoothing))$'
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LINK="-fsanitize=address,undefined"
# ThreadSanitizer: the host driver's threads (workers, several submitters, close). Release
# with -g; no studio (Qt's own locks are not instrumented) and no libtorch.
if [[ "$KIND" == thread ]]; then
  FLAGS="-fsanitize=thread -g" LINK="-fsanitize=thread"
  ALL_AREAS=(driver simulator)
  DRIVER_TESTS='^(driver_.*|simulator_test_driver.*)$'
fi

areas=() ctest_args=() fast=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; ctest_args+=("$@"); break ;;
    --fast) fast=1 ;;
    --list) list=1 ;;
    -*) ctest_args+=("$@"); break ;; # the first other option and the rest: ctest's
    *) [[ " ${ALL_AREAS[*]} " == *" $1 "* ]] || { echo "sanitize.sh: unknown area '$1' (${ALL_AREAS[*]})" >&2; exit 2; }
       areas+=("$1") ;;
  esac
  shift
done
[[ ${#areas[@]} -gt 0 ]] || areas=("${ALL_AREAS[@]}")

# RelWithDebInfo: -O2 keeps the numerics tests within their timeouts, -g names the lines.
# Examples build (driver_classify_mnist); benchmarks and fuzzers have their own builds.
configure() {
  local type=RelWithDebInfo app=ON training="${TESSERA_SANITIZE_TRAINING:-ON}"
  [[ "$KIND" != thread ]] || type=Release app=OFF training=OFF
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="$type" \
    -DTESSERA_BUILD_APP="$app" -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_FUZZ=OFF -DTESSERA_BUILD_BENCH=OFF \
    -DTESSERA_BUILD_TRAINING="$training" -DTESSERA_TEST_TIMEOUT_SCALE=4 \
    -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_C_FLAGS="$FLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="$LINK" -DCMAKE_SHARED_LINKER_FLAGS="$LINK" >/dev/null
}

# The build targets of an area: its test executables, plus the binaries its scripts run.
area_targets() {
  local area="$1"
  case "$area" in
    cli) echo tessera ;;
    driver) echo tessera classify_mnist ;; # and the libraries driver_find_package installs
    simulator) # TSan: only the driver's tests, else every simulator test (falls through)
      if [[ "$KIND" == thread ]]; then echo simulator_test_driver simulator_test_driver_async; return; fi ;&
    *) cmake --build "$BUILD" --target help | sed -n "s/^\.\.\. \(${area}_test_[A-Za-z0-9_]*\)$/\1/p" ;;
  esac
}

# The test step leaves a configured tree alone: a build may be running in it.
[[ "$STEP" == test && -f "$BUILD/CMakeCache.txt" ]] || configure
if [[ -n "${list:-}" ]]; then
  for a in "${ALL_AREAS[@]}"; do
    printf '%-10s %s tests\n' "$a" "$(cd "$BUILD" && ctest -N -R "^${a}_" | sed -n 's/^Total Tests: //p')"
  done
  exit 0
fi

regex="^($(IFS='|'; echo "${areas[*]}"))_"
[[ "$KIND" != thread ]] || regex="$DRIVER_TESTS"
[[ $fast -eq 0 ]] || regex="$FAST_TESTS"
if [[ "$STEP" != test ]]; then
  if [[ -n "${TESSERA_SANITIZE_TARGETS:-}" ]]; then
    read -r -a targets <<<"$TESSERA_SANITIZE_TARGETS"
  else
    targets=()
    for a in "${areas[@]}"; do
      [[ $fast -eq 0 ]] || break
      # shellcheck disable=SC2207
      targets+=($(area_targets "$a"))
    done
    if [[ $fast -eq 1 ]]; then # the fast tests' executables (cli_* run the tessera binary)
      # shellcheck disable=SC2207
      targets=($(cd "$BUILD" && ctest -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: \([a-z]*_test_[A-Za-z0-9_]*\)$/\1/p') tessera)
    fi
  fi
  [[ ${#targets[@]} -eq 0 ]] || cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}"
fi
[[ "$STEP" != build ]] || exit 0

# TSan: a race is reported and the process exits 66 at the end, so the test fails.
export TSAN_OPTIONS="suppressions=$ROOT/scripts/tsan.supp:second_deadlock_stack=1:${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
# driver_find_package builds an outside project against the installed (instrumented)
# libraries: CMake takes its first flags from these.
export CXXFLAGS="$FLAGS" LDFLAGS="$LINK"
cd "$BUILD"
ctest --output-on-failure -j"${TESSERA_TEST_JOBS:-2}" -R "$regex" "${ctest_args[@]}"

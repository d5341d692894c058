#!/usr/bin/env bash
# Install what is missing, build Release in build/, run the whole test suite.
# Opt-in: TESSERA_SANITIZE=fast also runs the quick sanitizer subset afterwards
# (scripts/sanitize.sh --fast, its own instrumented build in build-sanitize/; README says how
# long it takes). Not set by .ci/run.
set -euo pipefail
# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"

tessera_install_and_build
tessera_log "Running the test suite"
(cd "$TESSERA_BUILD_DIR" && ctest --output-on-failure -j"${TESSERA_TEST_JOBS:-2}")
case "${TESSERA_SANITIZE:-}" in
  "") ;;
  fast) tessera_log "Running the sanitizer subset (scripts/sanitize.sh --fast)"
        "$TESSERA_ROOT/scripts/sanitize.sh" --fast ;;
  *) tessera_die "TESSERA_SANITIZE: '$TESSERA_SANITIZE' is not 'fast'" ;;
esac

#!/usr/bin/env bash
# Install what is missing, build Release in build/, run the whole test suite.
set -euo pipefail
# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"

tessera_install_and_build
tessera_log "Running the test suite"
cd "$TESSERA_BUILD_DIR"
ctest --output-on-failure -j"${TESSERA_TEST_JOBS:-2}"

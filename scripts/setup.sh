#!/usr/bin/env bash
# One command on a fresh Debian 12 machine (as root): install what is missing, build
# Tessera in build/, then run it on a bundled example model.
set -euo pipefail
# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"

tessera_install_and_build
TESSERA_BIN="$TESSERA_BUILD_DIR/app/tessera" "$TESSERA_ROOT/scripts/run-example.sh"

# --- Studio hook: open the desktop studio on the example when a display is present. ---
if [ -n "${DISPLAY:-}" ] && [ -x "$TESSERA_BUILD_DIR/app/tessera-studio" ]; then
  tessera_log "Opening the studio on the example model"
  "$TESSERA_BUILD_DIR/app/tessera-studio" "$TESSERA_ROOT/tests/data/models/digits/digits_cnn.onnx" &
fi

tessera_log "Done. The CLI is $TESSERA_BUILD_DIR/app/tessera (try: $TESSERA_BUILD_DIR/app/tessera --help)"

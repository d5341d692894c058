#!/usr/bin/env bash
# Regenerates docs/op-coverage.md: builds the ONNX conformance test (the backend node tests
# plus the pytorch-converted, pytorch-operator and simple model folders) and runs it with
# TESSERA_WRITE_COVERAGE, which writes the operator -> passed/claimed table. Fails (and
# leaves the old table) when any claimed backend case fails.
#   scripts/gen-op-coverage.sh            # uses $TESSERA_BUILD_DIR or build/
set -euo pipefail

TESSERA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TESSERA_BUILD_DIR:-$TESSERA_ROOT/build}"
OUT="$TESSERA_ROOT/docs/op-coverage.md"

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S "$TESSERA_ROOT" -B "$BUILD_DIR" -DTESSERA_BUILD_APP=OFF -DTESSERA_BUILD_BENCH=OFF
fi
cmake --build "$BUILD_DIR" -j"$(nproc 2>/dev/null || echo 2)" --target core_test_onnx_conformance

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
if ! TESSERA_WRITE_COVERAGE="$tmp" "$BUILD_DIR/tests/core_test_onnx_conformance" -silent; then
  echo "error: claimed ONNX backend cases fail; $OUT not updated" >&2
  exit 1
fi
mkdir -p "$(dirname "$OUT")"
cp "$tmp" "$OUT"
echo "wrote $OUT"

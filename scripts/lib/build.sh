# shellcheck shell=bash
# Shared by scripts/setup.sh and scripts/test.sh (sourced, not run):
# install the Debian packages Tessera needs (only the missing ones), then configure and
# build a Release tree in build/. Every step checks its exit code.

TESSERA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESSERA_BUILD_DIR="${TESSERA_BUILD_DIR:-$TESSERA_ROOT/build}"

# Debian 12 packages: compiler and build tools, Qt 6 for the studio, ONNX + protobuf for
# import, Eigen, JSON, CLI11, graph layout, benchmarks, libtorch for retraining, and an X server for screenshots.
TESSERA_PACKAGES=(
  g++ make cmake pkg-config ccache
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqcustomplot-dev libgl1-mesa-dev
  libonnx-dev libonnx-testdata protobuf-compiler libprotobuf-dev
  libeigen3-dev nlohmann-json3-dev libcli11-dev
  libgraphviz-dev libigraph-dev libbenchmark-dev libpng-dev libxxhash-dev
  libtorch-dev
  xvfb xauth
)

tessera_log() { printf '\n== %s\n' "$*" >&2; }
tessera_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

tessera_missing_packages() {
  local pkg status
  for pkg in "${TESSERA_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
}

tessera_install_packages() {
  local missing
  mapfile -t missing < <(tessera_missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    tessera_log "All ${#TESSERA_PACKAGES[@]} required Debian packages are installed"
    return 0
  fi
  tessera_log "Installing missing packages: ${missing[*]}"
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || tessera_die "need root (or sudo) to install: ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update || tessera_die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
    || tessera_die "apt-get install failed for: ${missing[*]}"
  mapfile -t missing < <(tessera_missing_packages)
  [[ ${#missing[@]} -eq 0 ]] || tessera_die "still missing after install: ${missing[*]}"
}

tessera_build() {
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  tessera_log "Configuring Release build in $TESSERA_BUILD_DIR"
  # Explicit options so an old cache in build/ cannot silently drop the studio or tests;
  # TESSERA_CMAKE_ARGS comes last and wins.
  # shellcheck disable=SC2086
  cmake -S "$TESSERA_ROOT" -B "$TESSERA_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DTESSERA_BUILD_APP=ON -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_FUZZ=OFF \
    ${TESSERA_CMAKE_ARGS:-} || tessera_die "cmake configure failed"
  tessera_log "Building with $jobs jobs"
  cmake --build "$TESSERA_BUILD_DIR" -j"$jobs" || tessera_die "build failed"
}

tessera_install_and_build() {
  tessera_install_packages
  tessera_build
}

# ONNX Runtime (onnxruntime-node from npm) as a peer for benchmarks and agreement checks;
# never a build or runtime dependency of Tessera. Sourced by scripts/bench.sh and
# scripts/qdq-ort.sh.

# install_ort DIR ROOT: installs bench/ort/package.json's onnxruntime-node into DIR once
# (npm install --ignore-scripts, ~290 MB).
install_ort() {
  local dir="$1" root="$2"
  [[ -d "$dir/node_modules/onnxruntime-node" ]] && return 0
  command -v npm >/dev/null || { echo "error: npm not found (the ONNX Runtime peer needs Node.js)" >&2; exit 1; }
  mkdir -p "$dir"
  cp "$root/bench/ort/package.json" "$dir/"
  echo "installing onnxruntime-node into $dir (once)..." >&2
  (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
}

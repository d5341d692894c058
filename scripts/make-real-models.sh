#!/usr/bin/env bash
# Real-scale ONNX exports for benchmarks and tests, generated on demand, never committed:
#   scripts/make-real-models.sh [OUT_DIR]        (default build/real-models)
# ResNet-50 and MobileNetV3-Small (torchvision, random weights, batch 1, opset 13), a 4-layer
# TransformerEncoder (d=256, seq 32, batch 1), each with a 64-sample calibration .npy and a
# batch-1 input (*_x1.npy). Installs Debian's python3-torch, python3-torchvision, python3-onnx
# when missing (as root) and uses /usr/bin/python3 (Debian's, not a pyenv one). Idempotent:
# files that exist are kept. See scripts/make_real_models.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/build/real-models}"
PACKAGES=(python3-torch python3-torchvision python3-onnx python3-numpy)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "error: missing ${missing[*]}: run as root or apt-get install them" >&2; exit 1; }
  echo "installing ${missing[*]}..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
/usr/bin/python3 "$ROOT/scripts/make_real_models.py" "$OUT" 2> >(grep -v -i 'warning' >&2)
ls -1 "$OUT"

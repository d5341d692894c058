#!/usr/bin/env bash
# The simulator against ONNX Runtime FP32 on mnist_wide x 2,000 frames:
#   scripts/bench-sim.sh [--runs N]
# Quantizes mnist_wide for m1076 (64 calibration images), compiles it, then runs ORT
# (1 intra-op thread, bench/ort) and `tessera simulate` with 1 and 2 threads back to back,
# N times, printing wall and CPU seconds of each (the machine is shared: CPU time is the
# steadier figure). Needs build/app/tessera and npm (installs the ORT peer once into
# build/ort).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ort.sh
source "$ROOT/scripts/lib/ort.sh"
RUNS=3
[[ "${1:-}" == "--runs" ]] && RUNS="$2"
T="$ROOT/build/app/tessera"
M="$ROOT/tests/data/models/mnist"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
install_ort "$ROOT/build/ort" "$ROOT"
cp "$ROOT/bench/ort/bench-ort.js" "$ROOT/build/ort/"
"$T" quantize "$M/mnist_wide.onnx" --data "$M/mnist_calib_x.npy" --limit 64 --target m1076 -o "$WORK/q.json" >/dev/null 2>&1
"$T" compile "$M/mnist_wide.onnx" --quant "$WORK/q.json" --target m1076 -o "$WORK/wide.tpkg" >/dev/null 2>&1
ls -l "$WORK/wide.tpkg" | awk '{print "package bytes: " $5}'
# ORT input: the raw float32 payload of the .npy (header skipped) and its shape.
python3 - "$M/mnist_test_x.npy" "$WORK/x.bin" <<'PY'
import struct, sys, json
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<H', b[8:10])[0]
open(sys.argv[2], 'wb').write(b[10 + n:])
json.dump({"shape": [2000, 1, 28, 28]}, open(sys.argv[2].replace('.bin', '.json'), 'w'))
PY
for ((i = 0; i < RUNS; ++i)); do
  (cd "$ROOT/build/ort" && node bench-ort.js --runs 1 --warmup 1 --threads 1 mnist_wide "$M/mnist_wide.onnx" "$WORK/x.bin") |
    awk '{printf "ORT 1 thread: wall %.3f s, cpu %.3f s\n", $3 / 1000, $4 / 1000}'
  for threads in 1 2; do
    /usr/bin/time -f "simulate $threads thread(s): wall %e s, cpu %U s (process)" \
      "$T" simulate "$WORK/wide.tpkg" --input "$M/mnist_test_x.npy" --threads "$threads" 2>&1 >/dev/null | tail -1
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

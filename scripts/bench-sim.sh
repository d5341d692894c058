#!/usr/bin/env bash
# The simulator against ONNX Runtime FP32 on mnist_wide x 2,000 frames:
#   scripts/bench-sim.sh [--runs N]
# Quantizes mnist_wide for m1076 (64 calibration images), compiles it, then runs
# `tessera bench` (the simulator and ONNX Runtime FP32 in the same run, best of N, 1 and 2
# threads) and once the whole `tessera simulate` process. The machine is shared: CPU time is
# the steadier figure. Needs build/app/tessera and npm (installs the ORT peer once into
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
# In-process, same run: `tessera bench` times the simulator and ORT (bench/ort/bench-ort.js).
for threads in 1 2; do
  "$T" bench "$WORK/wide.tpkg" --input "$M/mnist_test_x.npy" --onnx "$M/mnist_wide.onnx" --runs "$RUNS" \
    --threads "$threads" --ort "$ROOT/build/ort"
done
# The whole process (startup, package load, .npy read included), as a user sees it.
for threads in 1 2; do
  /usr/bin/time -f "simulate $threads thread(s), whole process: wall %e s, cpu %U s" \
    "$T" simulate "$WORK/wide.tpkg" --input "$M/mnist_test_x.npy" --threads "$threads" 2>&1 >/dev/null | tail -1
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

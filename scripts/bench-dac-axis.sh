#!/bin/bash
# The mixed-precision front with and without the per-layer DAC axis (docs/quantization.md):
# quantize MODEL (default mnist_mobile) for m1076, measure one sensitivity table with weight,
# ADC and DAC trials on 1,000 labelled test digits, then search OBJECTIVE (energy | latency)
# with ADC bits only and with ADC + DAC bits, and simulate both chosen points on all 2,000
# digits (accuracy, frames/s, energy per frame from the performance model).
# Usage: scripts/bench-dac-axis.sh [MODEL] [OBJECTIVE] [OUTDIR]   (run under nice -n 5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-mnist_mobile}
OBJ=${2:-latency}
O=${3:-/tmp/dac-axis}
. "$ROOT/scripts/lib/search-bench.sh"
for axis in adc dac; do
    extra=()
    [ $axis = dac ] && extra=(--dac-bits-options 8 6 5 4 3)
    $T mixed-precision "$M/$MODEL.onnx" "$O/$MODEL.json" "${DATA[@]}" --objective "$OBJ" --target m1076 \
        --adc-bits-options 12 10 8 6 "${extra[@]}" --max-drop 0.01 --sensitivity "$O/${MODEL}_sens.json" \
        --report "$O/${MODEL}_${OBJ}_$axis.json" -o "$O/${MODEL}_${OBJ}_$axis.quant.json"
    $T compile "$M/$MODEL.onnx" --quant "$O/${MODEL}_${OBJ}_$axis.quant.json" --target m1076 -o "$O/${MODEL}_${OBJ}_$axis.tpkg" > /dev/null
    echo "== $axis axis:"
    $T simulate "$O/${MODEL}_${OBJ}_$axis.tpkg" --input "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" | grep -E "top-1|on the chip"
done

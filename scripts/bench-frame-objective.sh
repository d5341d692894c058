#!/bin/bash
# The mixed-precision search ranked by the per-layer cost model against whole frames
# (docs/quantization.md, "Whole-frame objectives"): quantize MODEL (default mnist_mobile) for
# m1076, measure one sensitivity table with weight, ADC and DAC trials on 1,000 labelled test
# digits, then search with each objective (energy, latency, frame-energy, fps) and print each
# chosen point's drop, simulated frames/s and energy per frame (its `frame` figures, which
# equal `tessera simulate --report` of the chosen spec), frame-model calls and search time.
# Usage: scripts/bench-frame-objective.sh [MODEL] [OUTDIR]   (run under nice -n 5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-mnist_mobile}
O=${2:-/tmp/frame-objective}
. "$ROOT/scripts/lib/search-bench.sh"
for obj in energy latency frame-energy fps; do
    $T mixed-precision "$M/$MODEL.onnx" "$O/$MODEL.json" "${DATA[@]}" --objective $obj --target m1076 \
        --adc-bits-options 12 10 8 6 --dac-bits-options 8 6 5 4 3 --max-drop 0.01 \
        --sensitivity "$O/${MODEL}_sens.json" --report "$O/${MODEL}_$obj.json" -o "$O/${MODEL}_$obj.quant.json" > /dev/null
    python3 - "$O/${MODEL}_$obj.json" "$obj" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = r["points"][r["chosen"]]; f = c.get("frame", {})
print("%-13s %3d points, %4d frame calls, %6.1f s: drop %.2f pp, %.0f fps, %.2f uJ/frame" % (
    sys.argv[2], len(r["points"]), r.get("frame_model", {}).get("calls", 0), r["seconds"],
    100 * c["accuracy_drop"], f.get("fps", 0), f.get("energy_uj_per_frame", 0)))
PY
done

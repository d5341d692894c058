#!/usr/bin/env bash
# `tessera mixed-precision --objective fps | frame-energy`: every point compiled for the
# target and priced by the performance model. The report carries each point's frame figures
# (uJ/frame, latency, frames/s, bottleneck) and the frame model's call count; the chosen
# point's frames/s and energy are what `tessera compile` + `tessera simulate --report` give
# for the chosen spec; a frame objective without a target defaults to m1076 as compile does.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

M="$MODELS/mnist"
Q="$WORK/lenet.quant.json"
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" -o "$Q" --target m1076
D=(--data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --limit 64 --bits 8 --holdout 0
   --dac-bits-options 8 4 --adc-bits-options 12 8)
for obj in fps frame-energy; do
  expect_exit 0 "$TESSERA" mixed-precision "$M/mnist_lenet.onnx" "$Q" "${D[@]}" --objective $obj --max-drop 0.05 \
    --report "$WORK/$obj.json" -o "$WORK/$obj.quant.json"
  expect_grep "$OUT" "frame model \(m1076: compiled, event-driven performance model\): [0-9]+ configurations priced" "$obj summary"
  expect_exit 0 "$TESSERA" compile "$M/mnist_lenet.onnx" --quant "$WORK/$obj.quant.json" --target m1076 -o "$WORK/$obj.tpkg"
  expect_exit 0 "$TESSERA" simulate "$WORK/$obj.tpkg" --input "$M/mnist_test_x16.npy" --report "$WORK/$obj.sim.json"
  python3 - "$WORK/$obj.json" "$WORK/$obj.sim.json" "$obj" <<'PY' || fail "$obj report"
import json, sys
rep, sim, obj = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert rep["objective"] == obj and rep["frame_model"]["calls"] >= len(rep["points"]) > 1
for p in rep["points"]:
    f = p["frame"]
    assert f["fps"] > 0 and f["energy_uj_per_frame"] > 0 and f["latency_us"] > 0 and f["bottleneck"]
    want = 1e6 / f["fps"] if obj == "fps" else f["energy_uj_per_frame"]
    assert abs(p["cost"] - want) <= 1e-9 * want, (p["cost"], want)
c = rep["points"][rep["chosen"]]["frame"]
assert abs(c["fps"] - sim["fps"]) <= 1e-9 * sim["fps"], (c["fps"], sim["fps"])
assert abs(c["energy_uj_per_frame"] - sim["energy_uj_per_frame"]) <= 1e-9 * sim["energy_uj_per_frame"]
assert c["fps"] > rep["points"][0]["frame"]["fps"] or obj != "fps"
PY
done
expect_exit 0 "$TESSERA" mixed-precision --help
expect_grep "$OUT" "frame-energy \| fps" "--help names the frame objectives"
echo "frame_objective: ok"

#!/usr/bin/env bash
# `tessera simulate`: MNIST LeNet quantized for m1076 and compiled runs on the virtual chip
# over the 2,000 test images (accuracy above 95%, frames/s printed); the same outputs with
# 1 and 2 threads (bit for bit); with --noise default the same seed reproduces (the spec has
# no non-idealities here: the default analog-noise model); --noise FILE with --seeds prints the
# accuracy over seeds, and a file without noise is refused; noise on with depthwise layers on the SIMD
# engine equals `run --quant --package`; a wrong input and a non-package fail with
# exit 1 naming the file.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
LENET="$MODELS/mnist/mnist_lenet.onnx"
X="$MODELS/mnist/mnist_test_x.npy"
Y="$MODELS/mnist/mnist_test_y.npy"

expect_exit 0 "$TESSERA" quantize "$LENET" --data "$MODELS/mnist/mnist_calib_x.npy" --limit 32 --target m1076 -o "$WORK/q.json"
expect_exit 0 "$TESSERA" compile "$LENET" --quant "$WORK/q.json" --target m1076 -o "$WORK/lenet.tpkg"

expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X" --labels "$Y" -o "$WORK/y1.npy" --threads 1
expect_grep "$OUT" '2000 frames from .*mnist_test_x\.npy, noise off' "simulate"
expect_grep "$OUT" '^top-1 accuracy: (9[5-9]|100)\.[0-9]+% \([0-9]+/2000 correct\)$' "simulate"
expect_grep "$OUT" '^simulator: .* for 2000 frames \([0-9.]+ frames/s, 1 thread' "simulate"
expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X" --reference "$WORK/y1.npy" --threads 2
expect_grep "$OUT" '^bit-exact with .*y1\.npy: yes$' "simulate --threads 2"
expect_grep "$OUT" '^agreement: 100\.00% top-1' "simulate --threads 2"

X16="$MODELS/mnist/mnist_test_x16.npy"
expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X16" --noise default --seed 3 -o "$WORK/n3.npy"
expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X16" --noise default --seed 3 --reference "$WORK/n3.npy" --threads 2
expect_grep "$OUT" 'bit-exact with .*n3\.npy: yes$' "same seed"
expect_grep "$OUT" 'noise default \(read noise 0\.06, programming error 0\.02, ADC offset 0\.5 LSB\)' "default noise model"
echo '{"read_noise": 0.1, "seed": 4}' > "$WORK/noise.json"
expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X" --labels "$Y" --noise "$WORK/noise.json" --seeds 2
expect_grep "$OUT" 'noise .*noise\.json \(read noise 0\.1\)' "--noise FILE"
expect_grep "$OUT" '^top-1 accuracy over 2 seeds \(4\.\.5\): mean [0-9.]+%, spread \(std\) [0-9.]+%, min' "--seeds"
echo '{"seed": 4}' > "$WORK/quiet.json"
expect_exit 1 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X16" --noise "$WORK/quiet.json"
expect_grep "$ERR" 'quiet\.json: no non-ideality set' "stderr (noise file without noise)"

# Noise on a model with depthwise layers on the SIMD engine: `run --quant --package` draws
# the noise as the package places the layers and equals the simulator bit for bit.
MOBILE="$MODELS/mnist/mnist_mobile.onnx"
expect_exit 0 "$TESSERA" quantize "$MOBILE" --data "$MODELS/mnist/mnist_calib_x.npy" --limit 16 --target m1076 -o "$WORK/m.json"
sed -e 's/"read_noise": 0.0/"read_noise": 0.02/' -e 's/"weight_program_noise": 0.0/"weight_program_noise": 0.02/' \
  -e 's/"adc_offset_lsb": 0.0/"adc_offset_lsb": 0.5/' "$WORK/m.json" > "$WORK/mn.json"
expect_exit 0 "$TESSERA" compile "$MOBILE" --quant "$WORK/mn.json" --target m1076 -o "$WORK/mobile.tpkg"
expect_grep "$OUT" ' Conv +simd ' "compile (a depthwise layer on the SIMD engine)"
expect_exit 0 "$TESSERA" run "$MOBILE" --quant "$WORK/mn.json" --package "$WORK/mobile.tpkg" -i "$X16" -o "$WORK/mref.npy"
expect_exit 0 "$TESSERA" simulate "$WORK/mobile.tpkg" --input "$X16" --noise default --reference "$WORK/mref.npy"
expect_grep "$OUT" 'bit-exact with .*mref\.npy: yes$' "noise on, depthwise on SIMD"
expect_exit 1 "$TESSERA" run "$MOBILE" --package "$WORK/mobile.tpkg" -i "$X16"
expect_grep "$ERR" '--package: needs --quant' "stderr (--package without --quant)"

# The chip's figures from the performance model, the JSON report and the Perfetto trace.
expect_exit 0 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X16" --report "$WORK/sim.json" --trace "$WORK/trace.json"
expect_grep "$OUT" '^on the chip \(performance model, m1076\): latency [0-9.]+ us, [0-9.]+ frames/s, [0-9.]+ uJ/frame' "chip figures"
for key in latency_us fps energy_uj_per_frame average_power_w bottleneck simulated_frames; do
  expect_grep "$WORK/sim.json" "\"$key\"" "simulate --report"
done
expect_grep "$WORK/trace.json" '"traceEvents"' "simulate --trace"

expect_exit 1 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$MODELS/digits/digits_test_x8.npy"
expect_grep "$ERR" "input '.*' expects \[1,1,28,28\]" "stderr (wrong input)"
expect_exit 1 "$TESSERA" simulate "$LENET" --input "$X16"
expect_grep "$ERR" 'mnist_lenet\.onnx: not a Tessera package' "stderr (not a package)"
expect_exit 1 "$TESSERA" simulate "$WORK/lenet.tpkg" --input "$X16" --noise loud
expect_grep "$ERR" "loud" "stderr (bad --noise names it)"
echo "ok"

# Shared setup of the mixed-precision search benchmarks (scripts/bench-dac-axis.sh,
# scripts/bench-frame-objective.sh); source it after setting ROOT, MODEL and O:
# quantizes MODEL for m1076 into $O/$MODEL.json and measures one sensitivity table with
# weight, ADC and DAC trials on 1,000 labelled test digits ($O/${MODEL}_sens.json, kept
# between runs). Defines T (the tessera command), M (the bundled MNIST folder) and DATA.
T="${TESSERA:-$ROOT/build/app/tessera} -q"
M=$ROOT/tests/data/models/mnist
mkdir -p "$O"
$T quantize "$M/$MODEL.onnx" -o "$O/$MODEL.json" --data "$M/mnist_calib_x.npy" --target m1076 --smooth-inputs depthwise
DATA=(--data "$M/mnist_test_x.npy" --labels "$M/mnist_test_y.npy" --limit 1000)
[ -f "$O/${MODEL}_sens.json" ] || $T sensitivity "$M/$MODEL.onnx" "$O/$MODEL.json" "${DATA[@]}" \
    --adc-bits-options 12 10 8 6 --dac-bits-options 8 6 5 4 3 -o "$O/${MODEL}_sens.json" > /dev/null

#!/usr/bin/env bash
# `tessera export-qdq`: the QDQ ONNX export of a quantization result (32-bit ADCs, i.e. no
# ADC effects) run by ONNX Runtime agrees with our quantized executor within 1 LSB of the
# output's scale.
#  1. Always: the shipped ORT outputs (tests/data/models/mnist/*_qdq_ort16.npy, made from
#     tests/data/quant/*_adc32.json, see tests/data/LICENSES.md) against a fresh export.
#  2. Live, when node and onnxruntime-node are available: TESSERA_ORT_DIR (a folder holding
#     node_modules/onnxruntime-node), else the install of scripts/bench.sh (build*/ort):
#     mnist_lenet, mnist_wide, mnist_mobile and the OCR direction classifier, quantized
#     here with the current defaults. Float-evaluated parts of the export (ORT runs some
#     layers as float Conv on dequantized values) can flip an 8-bit code at a rounding
#     near-tie, which moves a 16-bit output by many of its own LSBs: these outputs are
#     checked on the 8-bit grid over the same range (--lsb-bits 8; docs/quantization.md).
#     Otherwise prints SKIP and exits 77 (ctest SKIP_RETURN_CODE).
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

ROOT="$(cd "$DATA/../.." && pwd)"
M="$MODELS/mnist"
O="$MODELS/ocr"

for m in mnist_lenet mnist_wide; do
  expect_exit 0 "$TESSERA" export-qdq "$M/$m.onnx" "$DATA/quant/${m}_adc32.json" -o "$WORK/$m.onnx" \
    -i "$M/mnist_test_x16.npy" --compare "$M/${m}_qdq_ort16.npy"
  expect_grep "$OUT" "^wrote $WORK/$m.onnx: opset 13" "export summary"
  expect_grep "$OUT" "output 'output' vs .*: max \|ours - other\| = [0-9.e-]+ LSB" "LSB report"
  expect_no_grep "$OUT" "^warning:" "export summary"
  echo "$m (shipped ORT output): $(grep ' vs ' "$OUT")"
done

# What QDQ cannot express is reported: the default 12-bit ADC rounds block sums.
expect_exit 0 "$TESSERA" quantize "$M/mnist_lenet.onnx" --data "$M/mnist_calib_x.npy" --limit 64 -o "$WORK/adc12.json"
expect_exit 0 "$TESSERA" export-qdq "$M/mnist_lenet.onnx" "$WORK/adc12.json" -o "$WORK/adc12.onnx"
expect_grep "$OUT" "^warning: layer '.*': its 12-bit ADC" "export warnings"
# --compare needs the data it compares on; a wrong shape is refused naming the file.
expect_exit 1 "$TESSERA" export-qdq "$M/mnist_lenet.onnx" "$WORK/adc12.json" -o "$WORK/x.onnx" --compare "$M/mnist_lenet_qdq_ort16.npy"
expect_grep "$ERR" "need --input" "error message"
expect_exit 1 "$TESSERA" export-qdq "$M/mnist_lenet.onnx" "$DATA/quant/mnist_lenet_adc32.json" -o "$WORK/x.onnx" \
  -i "$M/mnist_test_x16.npy" --compare "$MODELS/digits/digits_cnn_ort.npy"
expect_grep "$ERR" "digits_cnn_ort\.npy" "error message"

ORT_DIR="${TESSERA_ORT_DIR:-}"
if [ -z "$ORT_DIR" ]; then
  for d in "$ROOT"/build*/ort; do
    [ -d "$d/node_modules/onnxruntime-node" ] && { ORT_DIR="$d"; break; }
  done
fi
if ! command -v node >/dev/null || [ -z "$ORT_DIR" ] || [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  echo "SKIP: live ONNX Runtime check (needs node and onnxruntime-node: set TESSERA_ORT_DIR or run scripts/bench.sh)"
  exit 77
fi
export NODE_PATH="$ORT_DIR/node_modules"
RUN_ORT="$ROOT/bench/ort/run-ort.js"

live() { # name model quant-args... -- input
  local name="$1" model="$2" input="${*: -1}"
  shift 2
  local qargs=("${@:1:$(($# - 1))}")
  expect_exit 0 "$TESSERA" quantize "$model" "${qargs[@]}" --adc-bits 32 -o "$WORK/$name.json"
  expect_exit 0 "$TESSERA" export-qdq "$model" "$WORK/$name.json" -o "$WORK/$name.onnx" -i "$input"
  expect_exit 0 node "$RUN_ORT" "$WORK/$name.onnx" "$input" "$WORK/${name}_ort.npy"
  expect_exit 0 "$TESSERA" export-qdq "$model" "$WORK/$name.json" -o "$WORK/$name.onnx" -i "$input" \
    --compare "$WORK/${name}_ort.npy" --lsb-bits 8
  echo "$name (live ORT): $(grep -A2 ' vs ' "$OUT" | tr '\n' ' ')"
}
for m in mnist_lenet mnist_wide mnist_mobile; do
  live "$m" "$M/$m.onnx" --data "$M/mnist_calib_x.npy" "$M/mnist_test_x16.npy"
done
live ocr_cls "$O/ch_ppocr_mobile_v2.0_cls_infer.onnx" --images "$O/calib_lines" --mean 0.5,0.5,0.5 \
  --std 0.5,0.5,0.5 "$O/cls_in.npy"
echo "qdq_matches_ort: ok"

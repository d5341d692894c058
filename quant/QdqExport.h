#pragma once
// QDQ ONNX export of a quantization result: the graph the quantized executor runs (after
// the cleanup passes) written with ONNX QuantizeLinear/DequantizeLinear (opset 13), so any
// ONNX runtime reproduces our quantized numbers. docs/quantization.md "QDQ export".
//  - Every quantized activation tensor (the ones QuantizedExecutor fake-quantizes) gets
//    [Clip] -> QuantizeLinear -> DequantizeLinear, scale = the tensor's scale, zero point 0,
//    int8 when signed, uint8 when unsigned. The Clip is there when our code range is
//    narrower than the ONNX type's: symmetric signed codes (-127, not -128) and < 8 bits.
//    Tensors wider than 8 bits (the 16-bit tensors read by keep-float ops / graph
//    outputs) have no opset-13 QDQ type: they get the same rounding as float ops,
//    Div -> Round -> Clip -> Mul.
//  - Analog layers (Conv/Gemm/MatMul of the result): weights as int8 levels (exactly
//    analog::AnalogLayer's) -> DequantizeLinear with per-output-channel scales; the bias
//    (analog::layerBias: with the result's bias correction) as int32 codes at scale
//    sx * sw[n] (the layer's bias codes) -> DequantizeLinear; a fused activation as an
//    explicit Relu/Clip (core/onnx/OnnxExporter.h). MatMul weights are [K, N], axis 1.
//  - Digital nodes: their FP32 op on dequantized inputs, QDQ on quantized outputs.
// Not representable: ADC rounding/clipping (with row blocks) and analog non-idealities;
// with a transparent ADC (32 bits) and no non-idealities the export matches
// QuantizedExecutor within float rounding (<= 1 LSB of a tensor's scale).
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"

#include <string>
#include <vector>

namespace tessera::quant {

struct QdqExportSummary {
    int analogLayers = 0;
    int qdqTensors = 0;      // tensors with QuantizeLinear/DequantizeLinear
    int emulatedTensors = 0; // tensors wider than 8 bits (Div/Round/Clip/Mul)
    int clippedTensors = 0;  // QDQ tensors with a code-range Clip in front
    // What the export cannot represent, one line per layer (ADC, non-idealities).
    std::vector<std::string> warnings;
};

// The QDQ graph: a Tessera graph of registry ops with shapes inferred (our FP32 executor
// runs it). `graph` is the graph `result` was calibrated on: cleanup passes on, prepared
// for the result (quant::prepareModel: its equalization is in the weights). Throws
// tessera::Error naming the layer/tensor when the result does not fit the graph.
Graph buildQdqGraph(const Graph& graph, const QuantSpec& result, QdqExportSummary* summary = nullptr);

// buildQdqGraph written as an ONNX file (atomically); errors name the layer or the file.
void exportQdqOnnx(const Graph& graph, const QuantSpec& result, const std::string& path,
                   QdqExportSummary* summary = nullptr);

} // namespace tessera::quant

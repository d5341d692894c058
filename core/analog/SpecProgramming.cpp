#include "core/analog/SpecProgramming.h"

#include "core/Error.h"

#include <algorithm>

namespace tessera::analog {

int layerDacBits(const QuantSpec& spec, const LayerQuant& layer)
{
    const TensorQuant* in = spec.findTensor(layer.input);
    return in ? std::min(layer.inputBits, in->bits) : layer.inputBits;
}

AnalogLayerParams layerParams(const QuantSpec& result, const LayerQuant& layer, const AnalogMatmulView& view)
{
    const TensorQuant* in = result.findTensor(layer.input);
    const TensorQuant* out = result.findTensor(layer.output);
    if (!in || !in->quantized || !out || !out->quantized)
        fail(specWhere(result), "layer '", layer.node, "': its input and output tensors must be quantized in the result");
    if (!layer.opType.empty() && layer.opType != view.opType) // an empty op: a hand-built spec
        fail(specWhere(result), "layer '", layer.node, "': the result says op '", layer.opType, "', the graph's node is a '", view.opType,
             "'; the quantization file does not fit this model");
    if (view.rows != layer.rows || view.cols != layer.cols || view.groups != layer.groups)
        fail(specWhere(result), "layer '", layer.node, "': the result's geometry (", layer.rows, "x", layer.cols, ", groups ", layer.groups,
             ") does not match the graph (", view.rows, "x", view.cols, ", groups ", view.groups, ")");
    AnalogLayerParams p;
    p.name = layer.node;
    p.rows = view.rows;
    p.cols = view.cols;
    p.groups = view.groups;
    p.numerics.weightBits = layer.weightBits;
    // The layer's DAC bits (2..the tensor's bits) code its input (Numerics.h, dacCoding).
    const DacCoding dac = dacCoding(in->scale, in->zeroPoint, in->bits, in->isSigned, layer.inputBits);
    p.numerics.inputBits = dac.bits;
    p.numerics.inputSigned = in->isSigned;
    p.numerics.inputZeroPoint = dac.zeroPoint;
    p.numerics.adcBits = layer.adcBits;
    p.numerics.adcRange = layer.adcRange;
    p.numerics.rowsPerBlock = result.config.geometry.rows;
    p.inputScale = dac.scale;
    p.weightScales = layer.weightScales;
    p.output.scale = out->scale;
    p.output.bits = out->bits;
    p.output.isSigned = out->isSigned;
    p.output.zeroPoint = out->zeroPoint;
    p.output.clampLo = view.clampLo;
    p.output.clampHi = view.clampHi;
    return p;
}

std::vector<float> layerBias(const LayerQuant& layer, const AnalogMatmulView& view)
{
    if (layer.biasCorrection.empty())
        return view.bias;
    if (static_cast<int64_t>(layer.biasCorrection.size()) != view.outChannels())
        fail("layer '", layer.node, "': ", layer.biasCorrection.size(), " bias corrections for ", view.outChannels(),
             " output channels");
    std::vector<float> bias(static_cast<size_t>(view.outChannels()), 0.0f);
    for (size_t n = 0; n < bias.size(); ++n)
        bias[n] = static_cast<float>((view.bias.empty() ? 0.0 : view.bias[n]) - layer.biasCorrection[n]);
    return bias;
}

} // namespace tessera::analog

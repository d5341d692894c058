#pragma once
// From the quantization spec to what one analog layer is programmed with: the layer's
// numeric parameters (bits, scales, ADC range, output coding) and the bias its epilogue
// adds. The quantized reference executor, the compiler and the simulator all derive a
// layer's programming here, so they agree bit for bit.
#include "core/analog/AnalogLowering.h"
#include "core/analog/AnalogModel.h"
#include "core/quantspec/QuantSpec.h"

#include <vector>

namespace tessera::analog {

// The bits a layer's DAC drives: min(layer.inputBits, its input tensor's bits) (dacCoding,
// core/analog/Numerics.h); layer.inputBits when the input is not in the spec.
int layerDacBits(const QuantSpec& spec, const LayerQuant& layer);

// The AnalogLayerParams of one calibrated layer; throws tessera::Error naming the layer
// when the spec does not fit the lowered node (geometry, tensors not quantized).
AnalogLayerParams layerParams(const QuantSpec& spec, const LayerQuant& layer, const AnalogMatmulView& view);

// The bias the layer's epilogue adds (real units), one per output channel
// (view.outChannels(): the columns, but for a ConvTranspose whose columns are channel x
// kernel tap): the graph's bias minus the layer's bias correction; empty when neither.
std::vector<float> layerBias(const LayerQuant& layer, const AnalogMatmulView& view);

} // namespace tessera::analog

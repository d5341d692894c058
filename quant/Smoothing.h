#pragma once
// Input smoothing (after SmoothQuant, Xiao et al. 2022): a DAC input has one per-tensor
// scale, so when its channels' ranges differ by orders of magnitude (PP-LCNet's
// HardSwish outputs: most channels within +-3, a few reaching 100+) the small channels
// get a handful of codes. For an analog layer y = W x, dividing input channel c by m_c
// and multiplying W's channel c by m_c leaves y unchanged:
//     y = sum_c (W[:, c] m_c) (x_c / m_c).
// The division is a per-channel multiply on the vector engine (it fuses into whatever
// produced x: an epilogue's per-channel requantizer or a SIMD elementwise chain), and
// its output is what the DACs see. m_c = a_c^alpha / w_c^(1 - alpha) balances the
// activation range a_c against the weight range w_c; a depthwise layer (one input
// channel per output channel, weights quantized per output channel) takes alpha = 1:
// the factor disappears into that channel's weight scale at no cost.
//
// Like cross-layer equalization, the FP32 model stays the ONNX file: the quantization
// result records the factors and ModelGraphs re-applies them (quant::prepareModel).
#include "core/Graph.h"
#include "core/quantspec/GraphRewrites.h"
#include "core/quantspec/QuantSpec.h"

#include <map>
#include <string>
#include <vector>

namespace tessera::quant {

// Which analog layers get smoothed. Depthwise layers are free (each factor folds into its
// channel's own weight scale); a dense layer pays in weight precision: its weight column c
// grows by m_c, which per-output-channel weight scales cannot absorb. At 8-bit weights that
// trade wins big on unbalanced inputs (the OCR detector); at 3-bit weights it loses (on
// mnist_mobile a 3-bit mixed-precision point drops 1.55 pp with dense smoothing, 0.85 pp
// without), so low-bit mixed precision should start from a Depthwise calibration
// (SmoothingScope, core/quantspec/QuantSpec.h).

// Input channels of an analog layer (C of NC... inputs, else the last dim) and the
// re-application of recorded factors live in core (GraphRewrites.h).
using tessera::applySmoothing;
using tessera::smoothingChannels;

// max |x_c| per input channel of every analog layer's input, keyed by layer name.
using ChannelRanges = std::map<std::string, std::vector<double>>;

// Accumulates `ranges` from one run's input tensor `x` of layer `node`.
void observeChannelRanges(const Graph& graph, const Node& node, const Tensor& x, std::vector<double>& ranges);

// Factors for every analog layer with observed ranges whose channels are unbalanced
// (max/min channel range > `minSpread`); others are left alone. Leaves `graph` unchanged.
std::vector<InputSmoothing> computeSmoothing(const Graph& graph, const ChannelRanges& ranges, double alpha = 0.5,
                                             SmoothingScope scope = SmoothingScope::All, double minSpread = 4.0);

} // namespace tessera::quant

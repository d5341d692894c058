#pragma once
// Per-layer choice of the input-smoothing alpha (quant/Smoothing.h). One alpha for the
// whole model is a trade: PP-OCRv4 rec reads 4 more lines at 0.75 than at 0.5, the OCR
// detector's mask IoU drops 0.010 at 0.75. The balance a layer needs depends on its own
// activation and weight ranges, so each smoothed layer takes, from a few candidates
// (QuantConfig::smoothingAlphas), the alpha whose quantized layer is closest to the FP32
// layer on the calibration data:
//     error(alpha) = sum over sampled input vectors and outputs n of (y_n - yq_n)^2,
// y = W x the FP32 output and yq the output of the smoothed layer with its input x / m
// coded at the DAC width (analog::chooseCoding over the min/max of x / m, offset codes as
// the config allows) and its weights W m quantized per output channel (the config's
// weight observer and bits). The ADC is left out: it sees the same real outputs whatever
// the alpha. Layers whose factors do not depend on alpha (depthwise: alpha 1) are not
// searched. The choice is recorded per layer (InputSmoothing::alpha) with its factors,
// which core re-applies (core/quantspec/GraphRewrites.h).
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Smoothing.h"

#include <map>
#include <string>
#include <vector>

namespace tessera::quant {

// Per-input-channel min and max of an analog layer's input (the DAC range of x / m).
struct ChannelBounds {
    std::vector<double> lo, hi;
};
using ChannelBoundsMap = std::map<std::string, ChannelBounds>;

// Accumulates `bounds` from one run's input `x` of layer `node` (channels as in
// observeChannelRanges).
void observeChannelBounds(const Graph& graph, const Node& node, const Tensor& x, ChannelBounds& bounds);
// max(|lo_c|, |hi_c|) per channel: the ranges computeSmoothing balances.
ChannelRanges channelRanges(const ChannelBoundsMap& bounds);

class SmoothingAlphaSearch {
public:
    // Candidates for every layer computeSmoothing smooths at config.smoothingAlphas (in that
    // order; the first is taken when a layer sees no data or the errors tie).
    SmoothingAlphaSearch(const Graph& graph, const ChannelBoundsMap& bounds, const QuantConfig& config);

    // Accumulates every candidate's output error for the analog layers reading value `name`
    // of `graph` (any batch size or input shape of the model), from `x`: that value's FP32 data.
    void observe(const Graph& graph, const std::string& name, const Tensor& x);

    // Per smoothed layer the candidate with the lowest error, its alpha recorded.
    std::vector<InputSmoothing> chosen() const;
    // Mean squared output error of `layer` at candidate `i` (-1 when not searched or unseen).
    double meanSquaredError(const std::string& layer, size_t i) const;

    // At most this many input vectors per observation and layer (evenly spaced rows).
    static constexpr int64_t kMaxVectors = 1024;

private:
    struct Candidate {
        InputSmoothing smoothing;
        double scale = 1.0; // DAC coding of x / m
        int64_t zeroPoint = 0;
        bool isSigned = true;
        std::vector<float> weights; // dequantized W m, [N, K]
        double error = 0.0;
    };
    struct Layer {
        std::vector<Candidate> candidates;
        std::vector<float> weights; // FP32 W, [N, K]
        int64_t rows = 0, cols = 0, groups = 1;
        int64_t outputs = 0; // error terms accumulated
    };
    void accumulate(Layer& layer, const Graph& graph, const Node& node, const Tensor& x) const;

    QuantConfig m_config;
    std::vector<std::string> m_order; // layers in topological order
    std::map<std::string, Layer> m_layers;
    std::vector<InputSmoothing> m_fixed; // smoothed layers not searched
};

} // namespace tessera::quant

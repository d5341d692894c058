#pragma once
// Per-layer choice of the input-smoothing alpha (quant/Smoothing.h). One alpha for the
// whole model is a trade: PP-OCRv4 rec reads 4 more lines at 0.75 than at 0.5, the OCR
// detector's mask IoU drops 0.010 at 0.75. The balance a layer needs depends on its own
// activation and weight ranges, so each smoothed layer takes, from a few candidates
// (QuantConfig::smoothingAlphas), the alpha whose quantized layer is closest to the FP32
// layer on the calibration data, every output column counted alike:
//     error(alpha) = mean over columns n of sum_v (y_vn - yq_vn)^2 / sum_v y_vn^2,
// summed over sampled input vectors v. A plain MSE lets the largest channels decide, but
// the next layer (a depthwise layer's own weight scale, a normalization) may amplify a small
// channel as much: on PP-OCRv4 rec the plain MSE chose alphas that read 82-89 lines of 100
// where 0.75 everywhere reads 95. y = W x is the FP32 output and yq the output of the smoothed layer with its input x / m
// coded at the DAC width as the calibrator codes it (the activation observer's threshold on
// x / m, then analog::chooseCoding, offset codes as the config allows) and its weights W m quantized per output channel (the config's
// weight observer and bits), its block sums digitized by the layer's ADC (analog::adcConvert,
// one shift per layer from the candidate's own calibrated range: the factors change the
// columns' weight scales and so how much of the ADC's range each column uses). Layers whose factors do not depend on alpha (depthwise: alpha 1) are not
// searched. The choice is recorded per layer (InputSmoothing::alpha) with its factors,
// which core re-applies (core/quantspec/GraphRewrites.h).
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Observers.h"
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

    // Observers other than MinMax clip at a threshold from a histogram of |x / m|: one pass
    // of observeHistograms over the data, then finishHistograms, before observe.
    bool needsHistograms() const;
    void observeHistograms(const Graph& graph, const std::string& name, const Tensor& x);
    void finishHistograms();

    // The ADC: each candidate's calibrated range (largest |block sum| of DAC codes times weight
    // levels over the sampled vectors), one pass of observeAdcRanges, then finishAdcRanges
    // (also without the pass: the worst case when the config does not calibrate the ADC).
    void observeAdcRanges(const Graph& graph, const std::string& name, const Tensor& x);
    void finishAdcRanges();

    // Accumulates every candidate's output error for the analog layers reading value `name`
    // of `graph` (any batch size or input shape of the model), from `x`: that value's FP32 data.
    void observe(const Graph& graph, const std::string& name, const Tensor& x);

    // Per smoothed layer the candidate with the lowest error, its alpha recorded.
    std::vector<InputSmoothing> chosen() const;
    // error(alpha) of `layer` at candidate `i` (-1 when not searched or unseen).
    double relativeError(const std::string& layer, size_t i) const;

    // At most this many input vectors per observation and layer (evenly spaced rows).
    static constexpr int64_t kMaxVectors = 1024;

private:
    struct Candidate {
        InputSmoothing smoothing;
        double scale = 1.0; // DAC coding of x / m
        int64_t zeroPoint = 0;
        bool isSigned = true;
        double lo = 0.0, hi = 0.0; // min and max of x / m
        AbsHistogram hist;
        std::vector<int32_t> levels;     // W m quantized per output column, [N, K]
        std::vector<double> levelScale;  // per column
        std::vector<int64_t> levelSum;   // per column: the zero point's share z * sum_k levels
        int64_t adcRange = 0;            // largest |block sum| seen (observeAdcRanges)
        int adcShift = 0;
        std::vector<double> noise; // per output column
    };
    struct Layer {
        std::vector<Candidate> candidates;
        std::vector<float> weights; // FP32 W, [N, K]
        int64_t rows = 0, cols = 0, groups = 1;
        std::vector<double> signal; // per output column
        int64_t outputs = 0;        // error terms accumulated
        bool allowOffset = false;
        int64_t blockRows = 1024; // rows per array block
        int adcBits = 12;
        int weightBits = 8;
    };
    // The layers reading value `name` of `graph` as their input 0, with that node.
    template <class Fn> void forReaders(const Graph& graph, const std::string& name, Fn fn);
    void setCoding(Candidate& c, bool allowOffset, double threshold) const;
    void accumulate(Layer& layer, const Graph& graph, const Node& node, const Tensor& x, bool rangesOnly) const;

    QuantConfig m_config;
    std::vector<std::string> m_order; // layers in topological order
    std::map<std::string, Layer> m_layers;
    std::vector<InputSmoothing> m_fixed; // smoothed layers not searched
};

} // namespace tessera::quant

#pragma once
// AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training
// Quantization"): learned rounding of each analog layer's weights from unlabelled
// calibration data, a post-training option between plain rounding and retraining.
//
// For every analog layer, in topological order (the paper's sequential variant):
//  - inputs: the layer's DAC input (codes x scale) as the quantized reference executor
//    computes it with every earlier layer already rounded the learned way; target: the
//    layer's FP32 output (fused activation included) on the FP32 model's input to it;
//  - each weight's level is floor(W / sw[n]) + h(V), h the rectified sigmoid, saturated as
//    core does (+-(2^(b-1)-1) at the layer's weight bits, the spec's per-channel scales);
//  - loss: mean squared error of the layer's output (clamped to the fused activation and
//    the output code range) relative to the target's mean square, + lambda * the mean of
//    1 - |2h(V) - 1|^beta over the weights (both scale-free, so one lambda fits any layer),
//    beta annealed 20 -> 2 after a warm-up without the regularizer; Adam on V. The final
//    level is floor + (V >= 0); a layer whose learned levels do not lower the error on the
//    calibration vectors keeps round-to-nearest.
// The learned levels are written into the graph as W' = level x sw[n], so core's program()
// reproduces them exactly; the result is a tuned ONNX plus its spec (quant/TunedModel.h)
// that every verb takes. Torch stays in AdaRound.cpp: this header is safe for the CLI.
#include "core/Graph.h"
#include "core/Progress.h"
#include "quant/QuantizeApi.h"

#include <string>
#include <vector>

namespace tessera::train {

struct AdaRoundOptions {
    int iterations = 1000;      // per layer (the paper: 10k; docs/retraining.md measures 200 and 1000)
    int64_t batchVectors = 512; // input vectors (im2col pixels / rows) per iteration
    int64_t maxVectors = 32768; // input vectors kept per layer (a seeded uniform subsample)
    double learningRate = 1e-2; // Adam on V (the paper: 1e-3 over 10k iterations)
    double regularization = 1.0; // lambda (on the relative error; 0.01-1 measured, docs/retraining.md)
    double betaStart = 20.0, betaEnd = 2.0;
    double warmup = 0.2;        // fraction of the iterations without the regularizer
    uint64_t seed = 0;          // subsample, batch order, torch's generator
    int threads = 1;            // torch threads (0: all cores; layers of MNIST size run best on one)
    int64_t runBatch = 64;      // samples per executor run while collecting inputs
};

struct AdaRoundLayerReport {
    std::string layer;
    int weightBits = 0;
    int64_t weights = 0;
    int64_t changed = 0;       // levels that differ from round-to-nearest
    int64_t vectors = 0;       // calibration vectors used
    double nearestError = 0.0; // mean squared output error on those vectors, round-to-nearest
    double learnedError = 0.0; // the same with the learned levels
    double seconds = 0.0;
    std::string skipped;       // why the layer kept round-to-nearest (empty: learned)
};

struct AdaRoundReport {
    std::vector<AdaRoundLayerReport> layers;
    double seconds = 0.0;
};

// Learns the rounding of every analog layer of `spec` and writes the levels into `graph`.
// `graph`: the model as `spec`'s layers see it (its rewrites applied; the spec's own
// equalization/smoothing lists are not re-applied). Only the weights change; the spec's
// scales stay, so program() on the result gives the learned levels. Cancellation through
// `progress` throws Cancelled (the graph is then partly rounded: callers discard it).
AdaRoundReport adaRound(Graph& graph, const QuantSpec& spec, const quant::Dataset& data,
                        const AdaRoundOptions& options = {}, ProgressSink* progress = nullptr);

// `tessera quantize --adaround`: calibrates as runQuantize does, learns the rounding, then
// re-measures ADC ranges (and bias corrections when configured) on the tuned model and
// writes the tuned ONNX (`modelOut`) and its spec (request.outputPath) with
// quant::saveTunedModel. Nothing is written on error or cancellation.
struct AdaRoundRequest {
    quant::QuantizeRequest quantize;
    AdaRoundOptions options;
    std::string modelOut; // required
};
AdaRoundReport runAdaRoundQuantize(const AdaRoundRequest& request, ProgressSink* progress = nullptr);

} // namespace tessera::train

#pragma once
// Checking a quantization-aware retraining run (quant/train/QatHooks.h) the way a user
// would: the tuned model quantized by the normal path (the quantized reference executor
// with the tuned spec, i.e. `tessera quant-eval tuned.onnx --quant tuned.quant.json`)
// against the training-time fake-quantized forward, sample by sample; and accuracy under
// the analog noise over several chips (noise seeds). Used by the slow flow test and the
// retraining benchmark (bench/QatBench.cpp).
#include "core/analog/AnalogModel.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::train {

// Top-1 class of every sample (output 0 flattened per sample, first maximum).
// The quantized executor's (with the spec's non-idealities) on `model` opened for `spec`:
std::vector<int64_t> executorPredictions(const std::string& modelPath, const QuantSpec& spec,
                                         const quant::Dataset& data, int64_t batchSize = 64);
// The training-time forward's (TorchGraph + makeQatHooks, noise off) on the same graph:
std::vector<int64_t> fakeQuantPredictions(const std::string& modelPath, const QuantSpec& spec,
                                          const quant::Dataset& data, int64_t batchSize = 64);

// Fraction of equal entries (the sizes must match).
double agreementOf(const std::vector<int64_t>& a, const std::vector<int64_t>& b);
// Fraction of predictions equal to the labels.
double accuracyOf(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);

// Top-1 of the quantized executor with `noise` (its seed replaced by each of `seeds`):
// one accuracy per seed, and their mean and standard deviation.
struct NoisyAccuracy {
    std::vector<double> perSeed;
    double mean = 0.0;
    double stddev = 0.0;
};
NoisyAccuracy noisyAccuracy(const std::string& modelPath, QuantSpec spec, const analog::NonIdealities& noise,
                            const std::vector<uint64_t>& seeds, const quant::Dataset& data);

} // namespace tessera::train

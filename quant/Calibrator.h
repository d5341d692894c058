#pragma once
// Post-training quantization: optionally equalizes the model (quant/Equalization.h), runs
// the FP32 graph over calibration data, picks every activation tensor's scale with the
// configured observer, every analog layer's per-channel weight scales, then calibrates
// each layer's ADC range by running the quantized model, and optionally corrects biases
// (quant/BiasCorrection.h) (docs/quantization.md).
#include "core/Progress.h"
#include "quant/Dataset.h"
#include "core/quantspec/QuantSpec.h"

#include <map>
#include <string>

namespace tessera::quant {

// Throws tessera::Error (nothing written) on bad data or config: wrong shape/dtype,
// empty data, bit depths out of range, unknown layer names in per-layer overrides.
// Leaves `model` prepared for the result (its equalization set).
QuantSpec calibrate(ModelGraphs& model, const Dataset& data, const QuantConfig& config,
                      ProgressSink* progress = nullptr, int64_t batchSize = 64);

// Sets one layer's weight bits and recomputes its weight scales with the configured
// weight observer; its ADC range is rescaled by the ratio of the largest levels (an
// approximation: call calibrateAdcRanges for measured ranges) and its bias correction is
// dropped (correctBiases measures a new one). `graph` must come from a ModelGraphs
// prepared for the result (prepareModel). Throws on an unknown layer or bits out of range.
void setLayerWeightBits(QuantSpec& result, const Graph& graph, const std::string& layer, int bits);

// Sets one layer's DAC (input) bits, 2..its input tensor's bits (analog::dacCoding): its
// ADC range (product units) is rescaled by the ratio of the largest input codes (an
// approximation, as for weight bits) and its bias correction dropped. Throws naming the
// layer on an unknown layer or bits out of range.
void setLayerDacBits(QuantSpec& result, const std::string& layer, int bits);

// The chosen bits applied to a calibrated result: weight bits per layer (setLayerWeightBits
// on `graph`, for changed layers), ADC bits per layer (the ADC range is in product units,
// so only the ADC's resolution changes with its bits) and DAC bits per layer
// (setLayerDacBits). The studio, the compiler panel and the mixed-precision search use it.
// Throws naming the layer on ADC or DAC bits out of range.
QuantSpec withChosenBits(const QuantSpec& base, const Graph& graph, const std::map<std::string, int>& bits,
                         const std::map<std::string, int>& adcBits = {},
                         const std::map<std::string, int>& dacBits = {});

// Re-measures every analog layer's ADC range on `data` (ideal ADCs, no non-idealities).
void calibrateAdcRanges(QuantSpec& result, ModelGraphs& model, const Dataset& data, ProgressSink* progress = nullptr,
                        int64_t batchSize = 64);

// Makes `model` hand out the graphs `result` was made for (its equalization). Every
// caller that reads a result and loads the model calls this before running anything.
// Refuses a spec made for another model (checkSpecMatchesModel) unless forceOtherModel.
void prepareModel(ModelGraphs& model, const QuantSpec& result, bool forceOtherModel = false);

// Validates per-layer overrides and bit depths against the graph's analog layers.
void validateConfig(const QuantConfig& config, const Graph& graph);

} // namespace tessera::quant

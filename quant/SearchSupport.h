#pragma once
// Pieces the sensitivity table (quant/Sensitivity.cpp) and the mixed-precision search
// (quant/MixedPrecision.cpp) share; not a public interface.
#include "core/quantspec/QuantSpec.h"
#include "quant/Evaluate.h"
#include "quant/MetricCommand.h"
#include "quant/Sensitivity.h"

#include <chrono>
#include <memory>
#include <vector>

namespace tessera::quant {

double secondsSince(std::chrono::steady_clock::time_point t0);
// Weight depths (at least one), ADC and DAC depths, each range-checked.
void checkDepthLists(const std::vector<int>& bits, const std::vector<int>& adcBits, const std::vector<int>& dacBits);
// A DAC depth applies to a layer only up to its input tensor's bits (a wider DAC reads the
// same codes: analog::dacCoding); the table has no trial above them.
bool dacDepthFits(const QuantSpec& base, const LayerQuant& layer, int dacBits);
// A metric command scores outputs of one shape: refused (naming the data) over several.
void checkMetricOneShape(const Dataset& data, const std::string& metricCommand);
// The user's metric over these FP32 outputs, its ceiling measured (none without a command).
std::unique_ptr<MetricCommand> userMetricOf(const SensitivityOptions& options, const Fp32Reference& ref,
                                            const Dataset& data);

} // namespace tessera::quant

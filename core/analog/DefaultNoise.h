#pragma once
// The default analog-noise model: what `--analog-noise default` (retrain) and
// `--noise default` (quant-eval) use when the quantization spec has no non-idealities.
// Programming error 0.02 of the largest level (aihwkit's example weight noise), read noise
// 0.06 full-scale products (aihwkit's default out_noise), ADC offset 0.5 LSB (an
// assumption; no public Mythic figure). docs/analog-model.md, Non-idealities.
#include "core/analog/AnalogModel.h"

#include <cstdint>

namespace tessera::analog {

inline NonIdealities defaultNonIdealities(uint64_t seed = 0)
{
    NonIdealities ni;
    ni.weightProgramNoise = 0.02;
    ni.readNoise = 0.06;
    ni.adcOffset = 0.5;
    ni.seed = seed;
    return ni;
}

// `noise` "default": the spec's non-idealities when it has any, else the default model.
inline NonIdealities noiseOrDefault(const NonIdealities& spec)
{
    return spec.any() ? spec : defaultNonIdealities(spec.seed);
}

} // namespace tessera::analog

#pragma once
// The training engine's default analog-noise model (quant/train/QatHooks.h
// defaultAnalogNoise) for the studio, whose Qt code cannot include the torch headers that
// QatHooks.h brings (Qt's `slots`/`signals` macros clash with them): RetrainNoise.cpp
// includes no Qt. Without the engine: no noise model (all zero).
#include "core/analog/AnalogModel.h"

#include <cstdint>

namespace tessera::studio {

analog::NonIdealities trainingDefaultNoise(uint64_t seed);

} // namespace tessera::studio

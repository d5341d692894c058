#pragma once
// Undoable per-layer edits beyond weight bits (SetLayerBits lives with SetLayerChoice).
#include "app/model/ProjectModel.h"

namespace tessera::studio {

// ADC resolution of one analog layer (project key layers.<node>.adcBits; applied as
// QuantConfig::layerAdcBits when the chosen configuration is evaluated).
class SetLayerAdcBits : public SetLayerChoice {
public:
    static constexpr const char* kKey = "adcBits";
    SetLayerAdcBits(ProjectModel* model, const QString& layer, int bits);
};

// DAC (input) bits of one analog layer (project key layers.<node>.dacBits; applied with
// quant::setLayerDacBits when the chosen configuration is evaluated, compiled or simulated).
class SetLayerDacBits : public SetLayerChoice {
public:
    static constexpr const char* kKey = "dacBits";
    SetLayerDacBits(ProjectModel* model, const QString& layer, int bits);
};

} // namespace tessera::studio

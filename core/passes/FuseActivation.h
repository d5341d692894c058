#pragma once
// Fuses a Relu, or a Clip with constant bounds, into the Conv/ConvTranspose/Gemm/MatMul
// feeding it: the layer gets attributes fused_activation/fused_min/fused_max, which
// its kernel applies (ops::FusedActivation) and the analog mapping reads as the ADC range.
#include "core/passes/Pass.h"

namespace tessera {

class FuseActivation : public Pass {
public:
    std::string name() const override { return "FuseActivation"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;
};

} // namespace tessera

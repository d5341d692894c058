#pragma once
// Folds a BatchNormalization that follows a Conv, ConvTranspose or Gemm with constant
// weights (and nothing else reading its output) into that layer's weights and bias.
#include "core/passes/Pass.h"

namespace tessera {

class FoldBatchNorm : public Pass {
public:
    std::string name() const override { return "FoldBatchNorm"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;
};

} // namespace tessera

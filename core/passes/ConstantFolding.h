#pragma once
// Replaces nodes whose outputs are known before running (constant inputs, or values
// shape inference derives such as Shape->Gather->Concat chains) by constants.
#include "core/passes/Pass.h"

namespace tessera {

class ConstantFolding : public Pass {
public:
    std::string name() const override { return "ConstantFolding"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;

    // Results up to this many elements are always folded; larger ones only when they are
    // no bigger than the constants they are computed from (so a Transpose of a weight
    // folds, but an Expand of a scalar into a big activation-sized tensor does not
    // bloat the model).
    static constexpr int64_t kAlwaysFoldElements = 1 << 16;
};

} // namespace tessera

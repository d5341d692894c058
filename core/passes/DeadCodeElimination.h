#pragma once
// Removes nodes none of whose outputs reach a graph output.
#include "core/passes/Pass.h"

namespace tessera {

class DeadCodeElimination : public Pass {
public:
    std::string name() const override { return "DeadCodeElimination"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;
};

} // namespace tessera

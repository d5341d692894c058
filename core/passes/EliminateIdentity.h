#pragma once
// Removes nodes that only forward their input: Identity, and Dropout (inference mode).
#include "core/passes/Pass.h"

namespace tessera {

class EliminateIdentity : public Pass {
public:
    std::string name() const override { return "EliminateIdentity"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;
};

} // namespace tessera

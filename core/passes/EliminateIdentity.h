#pragma once
// Removes nodes that only forward their input (registry column forwardsInput: Identity, and
// Dropout at inference).
#include "core/passes/Pass.h"

namespace tessera {

class EliminateIdentity : public Pass {
public:
    std::string name() const override { return "EliminateIdentity"; }
    using Pass::run;
    bool run(Graph& graph, const PassContext& context) override;
};

// Turns each forwarding node whose input is a constant into that constant: the output value
// keeps its name and shares the input's data (no copy). PyTorch exports shared or
// duplicated initializers this way; the importer calls this so that every stage (placement,
// counts, quantization, compile, the studio) sees the MatMul/Conv/Gemm weights as constants.
// Leaves tombstones (call compact()); returns the number of nodes folded.
// With `foldLog`, each folded node is recorded ("removed as Identity of weight W").
int foldForwardedConstants(Graph& graph, FoldLog* foldLog = nullptr);

} // namespace tessera

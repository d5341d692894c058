#include "core/passes/Pass.h"

#include "core/Error.h"
#include "core/Verifier.h"
#include "core/passes/ConstantFolding.h"
#include "core/passes/DeadCodeElimination.h"
#include "core/passes/EliminateIdentity.h"
#include "core/passes/FoldBatchNorm.h"
#include "core/passes/FuseActivation.h"

#include <algorithm>

namespace tessera {

bool runPipeline(Graph& graph, const PassList& passes, const PipelineOptions& options)
{
    bool everChanged = false;
    for (int iteration = 0; iteration < std::max(1, options.maxIterations); ++iteration) {
        bool changed = false;
        for (const auto& pass : passes) {
            if (pass->run(graph))
                changed = true;
            if (options.verifyEachPass)
                verifyOrThrow(graph, strCat("pass '", pass->name(), "'"));
        }
        everChanged |= changed;
        if (!changed)
            break;
    }
    return everChanged;
}

PassList defaultPipeline()
{
    // Folding first so BN/activation patterns see constant weights; DCE last sweeps what
    // folding and fusion left unread.
    PassList passes;
    passes.push_back(std::make_unique<ConstantFolding>());
    passes.push_back(std::make_unique<EliminateIdentity>());
    passes.push_back(std::make_unique<FoldBatchNorm>());
    passes.push_back(std::make_unique<FuseActivation>());
    passes.push_back(std::make_unique<DeadCodeElimination>());
    return passes;
}

} // namespace tessera

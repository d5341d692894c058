#include "core/passes/PassRegistry.h"

#include "core/Error.h"
#include "core/passes/ConstantFolding.h"
#include "core/passes/DeadCodeElimination.h"
#include "core/passes/EliminateIdentity.h"
#include "core/passes/FoldBatchNorm.h"
#include "core/passes/FuseActivation.h"

#include <mutex>

namespace tessera {

namespace {

template <class P>
std::unique_ptr<Pass> make()
{
    return std::make_unique<P>();
}

// One row per built-in pass.
const PassInfo kBuiltinPasses[] = {
    {"ConstantFolding", "replaces nodes whose outputs are known before running by constants", make<ConstantFolding>},
    {"EliminateIdentity", "removes Identity and (inference-mode) Dropout nodes", make<EliminateIdentity>},
    {"FoldBatchNorm", "folds a BatchNormalization into the Conv/ConvTranspose/Gemm before it", make<FoldBatchNorm>},
    {"FuseActivation", "fuses a Relu or constant Clip into the Conv/ConvTranspose/Gemm/MatMul before it",
     make<FuseActivation>},
    {"DeadCodeElimination", "removes nodes none of whose outputs reach a graph output", make<DeadCodeElimination>},
};

struct ExtraPasses {
    std::mutex mutex;
    std::vector<PassInfo> rows;
};

ExtraPasses& extraPasses()
{
    static ExtraPasses extra;
    return extra;
}

std::string knownNames(const std::vector<PassInfo>& passes)
{
    std::string names;
    for (const PassInfo& p : passes)
        names += (names.empty() ? "" : ", ") + p.name;
    return names;
}

} // namespace

std::vector<PassInfo> registeredPasses()
{
    std::vector<PassInfo> all(std::begin(kBuiltinPasses), std::end(kBuiltinPasses));
    ExtraPasses& extra = extraPasses();
    std::lock_guard<std::mutex> lock(extra.mutex);
    all.insert(all.end(), extra.rows.begin(), extra.rows.end());
    return all;
}

void registerPass(PassInfo info)
{
    if (info.name.empty() || !info.create)
        fail("a pass is registered without a name or a factory");
    for (const PassInfo& p : registeredPasses())
        if (p.name == info.name)
            fail("pass '", info.name, "' is registered twice");
    ExtraPasses& extra = extraPasses();
    std::lock_guard<std::mutex> lock(extra.mutex);
    extra.rows.push_back(std::move(info));
}

std::unique_ptr<Pass> createPass(const std::string& name)
{
    std::vector<PassInfo> passes = registeredPasses();
    for (const PassInfo& p : passes)
        if (p.name == name)
            return p.create();
    fail("unknown pass '", name, "'; known passes: ", knownNames(passes));
}

PassList createPasses(const std::vector<std::string>& names)
{
    PassList passes;
    for (const std::string& name : names)
        passes.push_back(createPass(name));
    return passes;
}

} // namespace tessera

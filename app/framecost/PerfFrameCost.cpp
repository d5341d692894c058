#include "app/framecost/PerfFrameCost.h"

#include "compiler/Compiler.h"
#include "compiler/PackageBuilder.h"
#include "core/Error.h"
#include "simulator/PerfModel.h"

#include <set>

namespace tessera {

FrameFigures frameFiguresOf(const sim::PerfReport& r, const QuantSpec& spec)
{
    FrameFigures f;
    f.energyUjPerFrame = r.energyPjPerFrame * 1e-6;
    f.latencyUs = r.latencyNs * 1e-3;
    f.fps = r.fps;
    f.bottleneck = r.bottleneck;
    std::set<std::string> analog;
    for (const LayerQuant& l : spec.layers)
        analog.insert(l.node);
    for (const sim::LayerPerf& l : r.layers)
        if (analog.count(l.name) && l.resourceNsPerFrame >= 0.98 * r.boundNsPerFrame && r.boundNsPerFrame > 0)
            f.bottleneckLayers.push_back(l.name);
    return f;
}

FrameFigures PerfFrameCost::frameCost(const Graph& graph, const QuantSpec& spec) const
{
    const compiler::CompileResult r = compiler::compileGraph(graph, m_target, &spec);
    if (!r.fits)
        fail(graph.name, ": does not fit on target '", m_target.name, "': ", r.fitMessage);
    const package::Package pkg = compiler::buildPackage(graph, r, &spec, {graph.name, "", ""});
    return frameFiguresOf(sim::modelPerformance(pkg), spec); // the package's target, as `tessera simulate`
}

std::string PerfFrameCost::describe() const
{
    return strCat(m_target.name, ": compiled, event-driven performance model");
}

} // namespace tessera

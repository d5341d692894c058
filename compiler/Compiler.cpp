// compileGraph: the stages in order (docs/compiler.md).
#include "compiler/Stages.h"

#include <algorithm>
#include <chrono>

namespace tessera::compiler {

CompileResult compileGraph(const Graph& graph, const Target& target, const QuantSpec* spec,
                           const CompileOptions& options, ProgressSink* progress)
{
    const auto start = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    CompileResult result;
    result.model = graph.name;
    result.target = target;
    sink.checkpoint(0.0, "partitioning and programming layers");
    partitionGraph(graph, spec, options, result);
    sink.checkpoint(0.4, "packing blocks into arrays");
    std::vector<int> blocks;
    for (size_t i = 0; i < result.layers.size(); ++i)
        if (result.layers[i].unit == Unit::Analog) {
            const std::vector<int> ids = splitLayer(result, static_cast<int>(i), 0);
            blocks.insert(blocks.end(), ids.begin(), ids.end());
        }
    packBlocks(result, blocks);
    result.arraysUnreplicated = static_cast<int64_t>(result.arrays.size());
    const int64_t perArray = target.weightCellsPerArray();
    result.arraysLowerBound = (result.weightCells + perArray - 1) / perArray;
    sink.checkpoint(0.55, "estimating the pipeline");
    relieveSram(graph, result, sink);
    result.arraysSramRelieved = static_cast<int64_t>(result.arrays.size());
    result.fpsUnreplicated = scheduleTiming(result);
    replicateBottlenecks(graph, result, options, sink);
    result.fps = scheduleTiming(result);
    sink.checkpoint(0.9, "placing arrays on the tile mesh");
    placeOnMesh(graph, result, options);
    if (result.busiestLinkNs > 0 && 1e9 / result.busiestLinkNs < result.fps) {
        result.fps = 1e9 / result.busiestLinkNs;
        result.nocLimited = true;
    }
    std::vector<bool> used(result.tiles.size(), false);
    for (const LayerPlan& l : result.layers)
        for (int t : l.tiles)
            used[t] = true;
    result.tilesUsed = std::count(used.begin(), used.end(), true);
    decideFit(result);
    sink.checkpoint(1.0, "compiled");
    result.compileSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace tessera::compiler

#include "core/passes/ImportCleanup.h"

#include "core/ShapeInference.h"
#include "core/passes/EliminateIdentity.h"

namespace tessera {

void cleanUpImportedGraph(Graph& graph, PassContext& context, const std::vector<std::string>& passNames)
{
    foldForwardedConstants(graph, context.foldLog);
    graph.compact();
    if (passNames.empty())
        return;
    inferShapes(graph);
    runPipeline(graph, passNames, context);
}

} // namespace tessera

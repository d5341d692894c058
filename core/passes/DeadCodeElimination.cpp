#include "core/passes/DeadCodeElimination.h"

#include "core/passes/PassUtils.h"

namespace tessera {

bool DeadCodeElimination::run(Graph& graph, const PassContext& context)
{
    // Walk backwards from the graph outputs, marking every value something live reads.
    std::vector<bool> live(graph.valueCount(), false);
    for (ValueId out : graph.outputs())
        live[out] = true;
    std::vector<NodeId> order = graph.topologicalOrder();
    bool changed = false;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const Node& node = graph.node(*it);
        bool used = false;
        for (ValueId out : node.outputs)
            used = used || live[out];
        if (!used) {
            passes::recordRemoval(context, graph, *it, kNoNode, kNoValue, "removed: no output reaches a graph output");
            graph.removeNode(*it);
            changed = true;
            continue;
        }
        for (ValueId in : node.inputs)
            if (in != kNoValue)
                live[in] = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

#include "core/passes/EliminateIdentity.h"

#include "core/passes/PassUtils.h"

namespace tessera {

namespace {

bool isForwarding(const Graph& graph, const Node& node)
{
    if (node.opType == "Identity")
        return true;
    // Dropout is the identity at inference; its optional mask output must be unused.
    if (node.opType != "Dropout")
        return false;
    for (size_t i = 1; i < node.outputs.size(); ++i)
        if (!graph.value(node.outputs[i]).consumers.empty() || graph.isGraphOutput(node.outputs[i]))
            return false;
    return true;
}

// Bypasses one forwarding node; returns false when it has to stay.
bool bypass(Graph& graph, NodeId id)
{
    const Node& node = graph.node(id);
    ValueId in = node.inputs[0];
    ValueId out = node.outputs[0];
    if (!graph.isGraphOutput(out)) {
        graph.removeNode(id);
        graph.replaceAllUses(out, in);
        return true;
    }
    // The output is a graph output: keep its name by letting the input's producer write
    // it directly, when nothing else reads the input.
    NodeId producer = graph.value(in).producer;
    if (producer == kNoNode || passes::soleConsumer(graph, in) != id)
        return false;
    Node& p = graph.node(producer);
    for (size_t i = 0; i < p.outputs.size(); ++i)
        if (p.outputs[i] == in)
            passes::redirectOutput(graph, producer, i, out);
    graph.removeNode(id);
    graph.rebuildUses();
    return true;
}

} // namespace

bool EliminateIdentity::run(Graph& graph, const PassContext&)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder())
        if (isForwarding(graph, graph.node(id)) && bypass(graph, id))
            changed = true;
    return passes::finishPass(graph, changed);
}

} // namespace tessera

#include "core/passes/EliminateIdentity.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/passes/PassUtils.h"

#include <map>

namespace tessera {

namespace {

// Output 0 forwards input 0 and the node's other outputs (Dropout's mask) are unread.
bool isForwarding(const Graph& graph, const Node& node)
{
    if (!node.op || !node.op->forwardsInputValue() || node.inputs.empty() || node.outputs.empty())
        return false;
    for (size_t i = 1; i < node.outputs.size(); ++i)
        if (!graph.value(node.outputs[i]).consumers.empty() || graph.isGraphOutput(node.outputs[i]))
            return false;
    return true;
}

// Bypasses one forwarding node; returns false when it has to stay.
bool bypass(Graph& graph, NodeId id, const PassContext& context)
{
    const Node& node = graph.node(id);
    ValueId in = node.inputs[0];
    ValueId out = node.outputs[0];
    const std::string reason = strCat("removed: ", node.opType, " forwards its input");
    if (!graph.isGraphOutput(out)) {
        passes::recordRemoval(context, graph, id, kNoNode, in, reason);
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
    passes::recordRemoval(context, graph, id, kNoNode, out, reason);
    graph.removeNode(id);
    graph.rebuildUses();
    return true;
}

} // namespace

int foldForwardedConstants(Graph& graph, FoldLog* foldLog)
{
    graph.rebuildUses();
    PassContext context;
    context.foldLog = foldLog;
    std::map<ValueId, std::string> weightOf; // a folded output -> the initializer it forwards
    int folded = 0;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& node = graph.node(id);
        // Only input 0 given: optional inputs (Dropout's training_mode) keep their checks.
        if (node.inputs.size() != 1 || !isForwarding(graph, node) || !graph.value(node.inputs[0]).isConstant())
            continue;
        const Value& in = graph.value(node.inputs[0]);
        Value& out = graph.value(node.outputs[0]);
        out.constant = in.constant;
        out.dtype = in.dtype;
        out.shape = in.shape;
        out.producer = kNoNode;
        const auto origin = weightOf.find(node.inputs[0]);
        weightOf[node.outputs[0]] = origin == weightOf.end() ? in.name : origin->second;
        passes::recordRemoval(context, graph, id, kNoNode, node.outputs[0],
                              strCat("removed as ", node.opType, " of weight ", weightOf[node.outputs[0]]));
        graph.removeNode(id);
        ++folded;
    }
    return folded;
}

bool EliminateIdentity::run(Graph& graph, const PassContext& context)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder())
        if (isForwarding(graph, graph.node(id)) && bypass(graph, id, context))
            changed = true;
    return passes::finishPass(graph, changed);
}

} // namespace tessera

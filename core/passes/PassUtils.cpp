#include "core/passes/PassUtils.h"

#include "core/ShapeInference.h"
#include "core/passes/FoldLog.h"

namespace tessera::passes {

NodeId soleConsumer(const Graph& graph, ValueId value)
{
    const Value& v = graph.value(value);
    if (v.consumers.size() != 1 || graph.isGraphOutput(value))
        return kNoNode;
    return v.consumers[0];
}

NodeId producerOfInput(const Graph& graph, const Node& node, size_t i)
{
    if (!node.hasInput(i))
        return kNoNode;
    NodeId producer = graph.value(node.inputs[i]).producer;
    if (producer == kNoNode || graph.node(producer).removed)
        return kNoNode;
    return producer;
}

const Tensor* constantInput(const Graph& graph, const Node& node, size_t i)
{
    if (!node.hasInput(i) || !graph.value(node.inputs[i]).isConstant())
        return nullptr;
    return &graph.value(node.inputs[i]).constant;
}

void redirectOutput(Graph& graph, NodeId node, size_t index, ValueId value)
{
    graph.node(node).outputs.at(index) = value;
    graph.value(value).producer = node;
}

ValueId addDerivedConstant(Graph& graph, const std::string& base, Tensor data)
{
    return graph.addConstant(graph.uniqueValueName(base), std::move(data));
}

void recordRemoval(const PassContext& context, const Graph& graph, NodeId removed, NodeId into, ValueId stand,
                   std::string reason)
{
    if (!context.foldLog)
        return;
    const Node& node = graph.node(removed);
    context.foldLog->record({node.name, node.opType, into == kNoNode ? std::string() : graph.node(into).name,
                                stand == kNoValue ? std::string() : graph.value(stand).name, std::move(reason), {}});
}

bool finishPass(Graph& graph, bool changed)
{
    if (changed) {
        graph.compact();
        inferShapes(graph);
    }
    return changed;
}

} // namespace tessera::passes

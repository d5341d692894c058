#include "core/passes/ConstantFolding.h"

#include "core/OpRegistry.h"
#include "core/ShapeInference.h"
#include "core/passes/PassUtils.h"

namespace tessera {

namespace {

int64_t outputElements(const Graph& graph, const Node& node)
{
    int64_t total = 0;
    for (ValueId out : node.outputs)
        total += numElements(graph.value(out).shape);
    return total;
}

// Shape inference stops evaluating at kMaxInferenceFoldElements; a larger result of
// all-constant inputs is computed here with the op's own kernel.
bool evaluate(const Graph& graph, const Node& node, std::vector<Tensor>& results)
{
    if (!node.op || !node.op->kernelFn() || node.inputs.empty())
        return false;
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        const Tensor* t = passes::constantInput(graph, node, i);
        if (node.hasInput(i) && !t)
            return false;
        inputs.push_back(t);
    }
    results = evaluateNode(graph, node, inputs);
    return true;
}

bool worthFolding(const Graph& graph, const Node& node)
{
    int64_t produced = outputElements(graph, node);
    // A source node (Constant) already holds its data: folding it costs nothing.
    if (produced <= ConstantFolding::kAlwaysFoldElements || node.inputs.empty())
        return true;
    int64_t consumed = 0;
    for (size_t i = 0; i < node.inputs.size(); ++i)
        if (const Tensor* t = passes::constantInput(graph, node, i))
            consumed += t->numel();
    return produced <= consumed;
}

// Turns the node's outputs into constants in place: value ids and names stay, so graph
// outputs and downstream references need no rewiring.
void replaceByConstants(Graph& graph, NodeId id, std::vector<Tensor> results, const PassContext& context)
{
    Node& node = graph.node(id);
    passes::recordRemoval(context, graph, id, kNoNode, node.outputs.empty() ? kNoValue : node.outputs[0], "constant-folded");
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        Value& v = graph.value(node.outputs[i]);
        v.constant = std::move(results[i]);
        v.producer = kNoNode;
    }
    graph.removeNode(id);
}

} // namespace

bool ConstantFolding::run(Graph& graph, const PassContext& context)
{
    InferenceResult inferred = inferShapes(graph);
    bool changed = false;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& node = graph.node(id);
        if (!worthFolding(graph, node))
            continue;
        std::vector<Tensor> results;
        bool allKnown = !node.outputs.empty();
        for (ValueId out : node.outputs) {
            auto it = inferred.knownValues.find(out);
            allKnown = allKnown && it != inferred.knownValues.end();
            if (allKnown)
                results.push_back(it->second);
        }
        if (!allKnown && !evaluate(graph, node, results))
            continue;
        replaceByConstants(graph, id, std::move(results), context);
        changed = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

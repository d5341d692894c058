#include "core/ShapeInference.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

#include <cassert>

namespace tessera {

namespace {

void checkArity(const Node& node)
{
    if (!node.op)
        fail(describeNode(node), ": operator '", node.opType, "' is not supported");
    const OpDef& op = *node.op;
    int inputs = static_cast<int>(node.inputs.size());
    if (inputs < op.minInputs() || inputs > op.maxInputs())
        fail(describeNode(node), ": has ", inputs, " inputs, expected ", op.minInputs(),
             op.minInputs() == op.maxInputs() ? "" : strCat("..", op.maxInputs()));
    for (int i = 0; i < op.minInputs(); ++i)
        if (!node.hasInput(static_cast<size_t>(i)))
            fail(describeNode(node), ": required input ", i, " is missing");
    int outputs = static_cast<int>(node.outputs.size());
    if (outputs < op.minOutputs() || outputs > op.maxOutputs())
        fail(describeNode(node), ": has ", outputs, " outputs, expected ", op.minOutputs(), "..", op.maxOutputs());
}

bool allInputsKnown(const std::vector<const Tensor*>& known, const Node& node)
{
    for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.hasInput(i) && !known[i])
            return false;
    return !node.inputs.empty();
}

// Runs the node's kernel on known inputs to learn its outputs during inference.
void evaluateKnown(Graph& graph, const Node& node, const std::vector<const Tensor*>& known,
                   InferenceResult& result)
{
    int64_t total = 0;
    for (ValueId out : node.outputs)
        total += numElements(graph.value(out).shape);
    if (total > kMaxInferenceFoldElements || !node.op->kernelFn())
        return;
    std::vector<Tensor> outputs = evaluateNode(graph, node, known);
    for (size_t i = 0; i < node.outputs.size(); ++i)
        result.knownValues[node.outputs[i]] = std::move(outputs[i]);
}

} // namespace

std::vector<Tensor> evaluateNode(const Graph& graph, const Node& node, const std::vector<const Tensor*>& inputs)
{
    assert(node.op && node.op->kernelFn());
    std::vector<Tensor> outputs;
    std::vector<Tensor*> outputPtrs;
    outputs.reserve(node.outputs.size());
    for (ValueId out : node.outputs)
        outputs.emplace_back(graph.value(out).dtype, graph.value(out).shape);
    for (Tensor& t : outputs)
        outputPtrs.push_back(&t);
    std::vector<float> scratch;
    KernelContext ctx(node, inputs, outputPtrs, scratch);
    node.op->kernelFn()(ctx);
    return outputs;
}

InferenceResult inferShapes(Graph& graph)
{
    InferenceResult result;
    for (NodeId id : graph.topologicalOrder()) {
        Node& node = graph.node(id);
        checkArity(node);
        std::vector<const Tensor*> known(node.inputs.size(), nullptr);
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            if (!node.hasInput(i))
                continue;
            const Value& v = graph.value(node.inputs[i]);
            if (v.dtype == DType::Undefined)
                fail(describeNode(node), ": input '", v.name, "' has no producer, initializer or graph input");
            if (v.isConstant())
                known[i] = &v.constant;
            else if (auto it = result.knownValues.find(node.inputs[i]); it != result.knownValues.end())
                known[i] = &it->second;
        }
        if (!node.op->shapeFn())
            fail(describeNode(node), ": operator has no shape inference");
        InferContext ctx(graph, node, known);
        node.op->shapeFn()(ctx);
        if (ctx.outputs().size() < node.outputs.size())
            fail(describeNode(node), ": shape inference did not define every output");
        for (size_t i = 0; i < node.outputs.size(); ++i) {
            Value& out = graph.value(node.outputs[i]);
            out.dtype = ctx.outputs()[i].first;
            out.shape = ctx.outputs()[i].second;
        }
        bool valuesGiven = false;
        for (size_t i = 0; i < ctx.outputValues().size(); ++i)
            if (ctx.outputValues()[i].isValid()) {
                result.knownValues[node.outputs[i]] = ctx.outputValues()[i];
                valuesGiven = true;
            }
        if (!valuesGiven && allInputsKnown(known, node))
            evaluateKnown(graph, node, known, result);
    }
    return result;
}

} // namespace tessera

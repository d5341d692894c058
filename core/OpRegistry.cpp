#include "core/OpRegistry.h"

#include "core/Error.h"
#include "core/ops/OpGroups.h"

namespace tessera {

const char* placementName(Placement placement)
{
    switch (placement) {
    case Placement::Analog: return "analog";
    case Placement::Digital: return "digital";
    case Placement::Unsupported: return "unsupported";
    }
    return "unsupported";
}

const char* quantPolicyName(QuantPolicy policy)
{
    switch (policy) {
    case QuantPolicy::AnalogMatmul: return "analog-matmul";
    case QuantPolicy::Requantize: return "requantize";
    case QuantPolicy::ShareScale: return "share-scale";
    case QuantPolicy::KeepFloat: return "keep-float";
    case QuantPolicy::ShapeOnly: return "shape-only";
    }
    return "requantize";
}

const Tensor& InferContext::requireConst(size_t i, const char* what) const
{
    const Tensor* t = inConst(i);
    if (!t)
        fail(strCat(what, " (input ", i, ") must be a constant or computable from static shapes"));
    return *t;
}

void InferContext::setOutput(size_t i, DType type, Shape shape)
{
    if (m_outputs.size() <= i)
        m_outputs.resize(i + 1);
    for (int64_t d : shape)
        if (d < 0)
            fail(strCat("inferred output ", i, " shape ", shapeToString(shape), " has a negative dimension"));
    m_outputs[i] = {type, std::move(shape)};
}

void InferContext::setOutputValue(size_t i, Tensor value)
{
    setOutput(i, value.dtype(), value.shape());
    if (m_outputValues.size() <= i)
        m_outputValues.resize(i + 1);
    m_outputValues[i] = std::move(value);
}

void InferContext::fail(const std::string& message) const
{
    tessera::fail(describeNode(m_node), ": ", message);
}

PlacementDecision OpDef::placeNode(const Node& node, const Graph& graph) const
{
    if (m_placement)
        return m_placement(node, graph);
    return {Placement::Digital, "runs on the tile's SIMD vector engine"};
}

OpCost OpDef::costOf(const Node& node, const Graph& graph) const
{
    OpCost cost;
    if (m_cost)
        cost = m_cost(node, graph);
    for (ValueId out : node.outputs)
        cost.outputBytes += numElements(graph.value(out).shape) * static_cast<int64_t>(dtypeSize(graph.value(out).dtype));
    if (!m_cost && !node.outputs.empty()) // default: one op per output element
        cost.macs = numElements(graph.value(node.outputs[0]).shape);
    return cost;
}

OpDef& OpRegistry::add(const std::string& name)
{
    auto [it, inserted] = m_ops.emplace(name, std::make_unique<OpDef>(name));
    (void)inserted;
    return *it->second;
}

const OpDef* OpRegistry::find(const std::string& name) const
{
    auto it = m_ops.find(name);
    return it == m_ops.end() ? nullptr : it->second.get();
}

std::vector<const OpDef*> OpRegistry::all() const
{
    std::vector<const OpDef*> ops;
    for (const auto& [name, def] : m_ops)
        ops.push_back(def.get());
    return ops;
}

const OpRegistry& OpRegistry::global()
{
    static const OpRegistry registry = [] {
        OpRegistry r;
        registerConvOps(r);
        registerMatmulOps(r);
        registerPoolOps(r);
        registerNormOps(r);
        registerElementwiseOps(r);
        registerActivationOps(r);
        registerShapeOps(r);
        registerReduceOps(r);
        registerResizeOps(r);
        registerQuantOps(r);
        return r;
    }();
    return registry;
}

PlacementFn analogWhenWeightConstant(size_t weightInput)
{
    return [weightInput](const Node& node, const Graph& graph) -> PlacementDecision {
        if (node.hasInput(weightInput) && graph.value(node.inputs[weightInput]).isConstant())
            return {Placement::Analog, "constant weights are programmed into the analog array"};
        return {Placement::Digital, "weights are computed at run time, so they cannot live in flash cells"};
    };
}

} // namespace tessera

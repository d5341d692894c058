#include "core/OpRegistry.h"

#include "core/Error.h"
#include "core/ops/OpGroups.h"

#include <stdexcept>

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

const AttrSpec* OpDef::findAttr(const std::string& name) const
{
    for (const AttrSpec& spec : m_attrs)
        if (spec.name == name)
            return &spec;
    return nullptr;
}

const void* OpDef::findColumn(std::type_index type) const
{
    auto it = m_columns.find(type);
    return it == m_columns.end() ? nullptr : it->second.get();
}

void OpRegistry::setColumnErased(const std::string& op, std::type_index type, std::shared_ptr<const void> value)
{
    const OpDef* def = global().find(op);
    if (!def)
        throw std::logic_error(strCat("setColumn: op '", op, "' is not in the registry"));
    def->m_columns[type] = std::move(value);
}

const OpDef* opDefOf(const Node& node) { return node.op ? node.op : OpRegistry::global().find(node.opType); }

namespace {

template <class T> const T& declaredDefault(const Node& node, const std::string& name)
{
    const OpDef* def = opDefOf(node);
    const AttrSpec* spec = def ? def->findAttr(name) : nullptr;
    if (!spec)
        throw std::logic_error(strCat("op '", node.opType, "' declares no attribute '", name, "'"));
    const T* value = std::get_if<T>(&spec->defaultValue);
    if (!value)
        throw std::logic_error(strCat("attribute '", name, "' of op '", node.opType, "' has another type"));
    return *value;
}

} // namespace

template <> int64_t attrOf<int64_t>(const Node& node, const std::string& name)
{
    return node.attrs.getInt(name, declaredDefault<int64_t>(node, name));
}

template <> float attrOf<float>(const Node& node, const std::string& name)
{
    return node.attrs.getFloat(name, declaredDefault<float>(node, name));
}

template <> std::string attrOf<std::string>(const Node& node, const std::string& name)
{
    return node.attrs.getString(name, declaredDefault<std::string>(node, name));
}

template <> std::vector<int64_t> attrOf<std::vector<int64_t>>(const Node& node, const std::string& name)
{
    return node.attrs.getInts(name, declaredDefault<std::vector<int64_t>>(node, name));
}

template <> std::vector<float> attrOf<std::vector<float>>(const Node& node, const std::string& name)
{
    return node.attrs.getFloats(name, declaredDefault<std::vector<float>>(node, name));
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

PlacementDecision analogWhenLowerable(const Node& node, const Graph& graph)
{
    const std::string why = whyNotLowerable(graph, node);
    if (why.empty())
        return {Placement::Analog, "constant weights are programmed into the analog array"};
    return {Placement::Digital, why};
}

} // namespace tessera

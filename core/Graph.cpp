#include "core/Graph.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

#include <algorithm>
#include <unordered_set>

namespace tessera {

std::string describeNode(const Node& node)
{
    return strCat(node.opType, " node '", node.name, "'");
}

ValueId Graph::addValue(const std::string& name, DType dtype, Shape shape)
{
    if (m_valueByName.count(name))
        fail("tensor name '", name, "' is defined twice");
    ValueId id = static_cast<ValueId>(m_values.size());
    Value v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    m_values.push_back(std::move(v));
    m_valueByName[name] = id;
    return id;
}

ValueId Graph::addConstant(const std::string& name, Tensor data)
{
    ValueId id = addValue(name, data.dtype(), data.shape());
    m_values[id].constant = std::move(data);
    return id;
}

NodeId Graph::addNode(const std::string& name, const std::string& opType, std::vector<ValueId> inputs,
                      std::vector<ValueId> outputs, Attributes attrs, bool allowUnknownOp)
{
    Node n;
    n.name = name;
    n.opType = opType;
    n.op = OpRegistry::global().find(opType);
    if (!n.op && !allowUnknownOp)
        fail(describeNode(n), ": operator '", opType, "' is not supported");
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.attrs = std::move(attrs);
    NodeId id = static_cast<NodeId>(m_nodes.size());
    for (ValueId out : n.outputs)
        m_values[out].producer = id;
    for (ValueId in : n.inputs)
        if (in != kNoValue)
            m_values[in].consumers.push_back(id);
    m_nodes.push_back(std::move(n));
    return id;
}

void Graph::replaceAllUses(ValueId from, ValueId to)
{
    for (Node& n : m_nodes) {
        if (n.removed)
            continue;
        for (ValueId& in : n.inputs)
            if (in == from)
                in = to;
    }
    for (ValueId& out : m_outputs)
        if (out == from)
            out = to;
    rebuildUses();
}

void Graph::rebuildUses()
{
    for (Value& v : m_values) {
        v.consumers.clear();
        v.producer = kNoNode;
    }
    for (NodeId id = 0; id < static_cast<NodeId>(m_nodes.size()); ++id) {
        const Node& n = m_nodes[id];
        if (n.removed)
            continue;
        for (ValueId out : n.outputs)
            m_values[out].producer = id;
        for (ValueId in : n.inputs)
            if (in != kNoValue)
                m_values[in].consumers.push_back(id);
    }
}

void Graph::compact()
{
    rebuildUses();
    std::vector<bool> keepValue(m_values.size(), false);
    for (ValueId id : m_inputs)
        keepValue[id] = true;
    for (ValueId id : m_outputs)
        keepValue[id] = true;
    for (const Node& n : m_nodes) {
        if (n.removed)
            continue;
        for (ValueId v : n.inputs)
            if (v != kNoValue)
                keepValue[v] = true;
        for (ValueId v : n.outputs)
            keepValue[v] = true;
    }
    std::vector<ValueId> newId(m_values.size(), kNoValue);
    std::vector<Value> values;
    for (size_t i = 0; i < m_values.size(); ++i)
        if (keepValue[i]) {
            newId[i] = static_cast<ValueId>(values.size());
            values.push_back(std::move(m_values[i]));
        }
    auto remap = [&](std::vector<ValueId>& ids) {
        for (ValueId& v : ids)
            if (v != kNoValue)
                v = newId[v];
    };
    std::vector<Node> nodes;
    for (Node& n : m_nodes)
        if (!n.removed) {
            remap(n.inputs);
            remap(n.outputs);
            nodes.push_back(std::move(n));
        }
    remap(m_inputs);
    remap(m_outputs);
    m_values = std::move(values);
    m_nodes = std::move(nodes);
    m_valueByName.clear();
    for (size_t i = 0; i < m_values.size(); ++i)
        m_valueByName[m_values[i].name] = static_cast<ValueId>(i);
    rebuildUses();
}

size_t Graph::liveNodeCount() const
{
    return static_cast<size_t>(std::count_if(m_nodes.begin(), m_nodes.end(), [](const Node& n) { return !n.removed; }));
}

std::vector<NodeId> Graph::liveNodes() const
{
    std::vector<NodeId> ids;
    for (NodeId id = 0; id < static_cast<NodeId>(m_nodes.size()); ++id)
        if (!m_nodes[id].removed)
            ids.push_back(id);
    return ids;
}

std::optional<ValueId> Graph::findValue(const std::string& name) const
{
    auto it = m_valueByName.find(name);
    if (it == m_valueByName.end())
        return std::nullopt;
    return it->second;
}

std::optional<NodeId> Graph::findNode(const std::string& name) const
{
    for (NodeId id = 0; id < static_cast<NodeId>(m_nodes.size()); ++id)
        if (!m_nodes[id].removed && m_nodes[id].name == name)
            return id;
    return std::nullopt;
}

bool Graph::isGraphOutput(ValueId id) const
{
    return std::find(m_outputs.begin(), m_outputs.end(), id) != m_outputs.end();
}

std::vector<NodeId> Graph::topologicalOrder() const
{
    // Kahn's algorithm over producer edges; keeps file order among ready nodes.
    std::vector<int> pending(m_nodes.size(), 0);
    std::vector<std::vector<NodeId>> users(m_nodes.size());
    std::vector<NodeId> ready;
    for (NodeId id = 0; id < static_cast<NodeId>(m_nodes.size()); ++id) {
        const Node& n = m_nodes[id];
        if (n.removed)
            continue;
        for (ValueId in : n.inputs) {
            if (in == kNoValue)
                continue;
            NodeId p = m_values[in].producer;
            if (p != kNoNode && !m_nodes[p].removed) {
                ++pending[id];
                users[p].push_back(id);
            }
        }
        if (pending[id] == 0)
            ready.push_back(id);
    }
    std::vector<NodeId> order;
    for (size_t head = 0; head < ready.size(); ++head) {
        NodeId id = ready[head];
        order.push_back(id);
        for (NodeId u : users[id])
            if (--pending[u] == 0)
                ready.push_back(u);
    }
    if (order.size() != liveNodeCount()) {
        std::string names;
        int listed = 0;
        for (NodeId id = 0; id < static_cast<NodeId>(m_nodes.size()) && listed < 5; ++id)
            if (!m_nodes[id].removed && pending[id] > 0) {
                names += (listed++ ? ", " : "") + describeNode(m_nodes[id]);
            }
        fail("graph '", name, "' has a cycle through ", names);
    }
    return order;
}

std::string Graph::uniqueValueName(const std::string& base) const
{
    if (!m_valueByName.count(base))
        return base;
    for (int i = 1;; ++i) {
        std::string candidate = strCat(base, "_", i);
        if (!m_valueByName.count(candidate))
            return candidate;
    }
}

std::string Graph::uniqueNodeName(const std::string& base) const
{
    std::unordered_set<std::string> taken;
    for (const Node& n : m_nodes)
        taken.insert(n.name);
    if (!taken.count(base))
        return base;
    for (int i = 1;; ++i) {
        std::string candidate = strCat(base, "_", i);
        if (!taken.count(candidate))
            return candidate;
    }
}

} // namespace tessera

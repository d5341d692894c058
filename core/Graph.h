#pragma once
// The graph IR: values (tensors with dtype and static shape), nodes (one op each) and
// constants (initializers, held as shared Tensors, never copied).
//
// Ids are indices. Removing a node leaves a tombstone until compact(); passes call
// compact() once at the end so ids stay valid while they work.
#include "core/Attributes.h"
#include "core/Tensor.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera {

class OpDef;

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1; // an omitted optional input
constexpr NodeId kNoNode = -1;

struct Value {
    std::string name;
    DType dtype = DType::Undefined;
    Shape shape;
    NodeId producer = kNoNode;       // kNoNode for graph inputs and constants
    std::vector<NodeId> consumers;   // maintained by Graph::rebuildUses()
    Tensor constant;                 // valid for initializers / folded constants
    bool isConstant() const { return constant.isValid(); }
};

struct Node {
    std::string name;
    std::string opType;
    std::vector<ValueId> inputs;  // kNoValue where an optional input is omitted
    std::vector<ValueId> outputs;
    Attributes attrs;
    const OpDef* op = nullptr;    // resolved from the registry when the node is added
    bool removed = false;

    bool hasInput(size_t i) const { return i < inputs.size() && inputs[i] != kNoValue; }
};

class Graph {
public:
    std::string name;

    ValueId addValue(const std::string& name, DType dtype = DType::Undefined, Shape shape = {});
    ValueId addConstant(const std::string& name, Tensor data);
    // Adds a node; throws tessera::Error naming the node if the op is not registered,
    // unless allowUnknownOp (lenient import for inspection: the node keeps op == nullptr,
    // is placed Unsupported, and the executor refuses the graph).
    NodeId addNode(const std::string& name, const std::string& opType, std::vector<ValueId> inputs,
                   std::vector<ValueId> outputs, Attributes attrs = {}, bool allowUnknownOp = false);
    void removeNode(NodeId id) { m_nodes[id].removed = true; }
    void markGraphInput(ValueId id) { m_inputs.push_back(id); }
    void markGraphOutput(ValueId id) { m_outputs.push_back(id); }
    void setGraphOutputs(std::vector<ValueId> outputs) { m_outputs = std::move(outputs); }

    // Every use of `from` (node inputs and graph outputs) now reads `to`.
    void replaceAllUses(ValueId from, ValueId to);
    void rebuildUses();
    // Drops removed nodes and values nothing refers to; renumbers ids.
    void compact();

    Value& value(ValueId id) { return m_values[id]; }
    const Value& value(ValueId id) const { return m_values[id]; }
    Node& node(NodeId id) { return m_nodes[id]; }
    const Node& node(NodeId id) const { return m_nodes[id]; }
    size_t valueCount() const { return m_values.size(); }
    size_t nodeSlotCount() const { return m_nodes.size(); }
    size_t liveNodeCount() const;
    std::vector<NodeId> liveNodes() const;
    const std::vector<ValueId>& inputs() const { return m_inputs; }
    const std::vector<ValueId>& outputs() const { return m_outputs; }
    std::optional<ValueId> findValue(const std::string& name) const;
    std::optional<NodeId> findNode(const std::string& name) const;
    bool isGraphOutput(ValueId id) const;

    // Live nodes ordered so producers come before consumers. Throws tessera::Error
    // naming the nodes on a cycle.
    std::vector<NodeId> topologicalOrder() const;

    // A unique value/node name built from `base`.
    std::string uniqueValueName(const std::string& base) const;
    std::string uniqueNodeName(const std::string& base) const;

private:
    std::vector<Value> m_values;
    std::vector<Node> m_nodes;
    std::vector<ValueId> m_inputs;
    std::vector<ValueId> m_outputs;
    std::unordered_map<std::string, ValueId> m_valueByName;
};

// Describes a node for error messages: "Conv node 'conv1'".
std::string describeNode(const Node& node);

} // namespace tessera

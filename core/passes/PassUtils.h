#pragma once
// Small graph queries and the common epilogue shared by the passes in this folder.
#include "core/Graph.h"
#include "core/passes/PassContext.h"

#include <vector>

namespace tessera::passes {

// The only node reading `value`, or kNoNode when there are several readers, none, or the
// value is also a graph output (then rewriting its producer would change what the graph
// returns).
NodeId soleConsumer(const Graph& graph, ValueId value);

// The node producing input `i` of `node`, or kNoNode (graph input, constant, omitted).
NodeId producerOfInput(const Graph& graph, const Node& node, size_t i);

// The constant behind input `i`, or null when it is omitted or computed at run time.
const Tensor* constantInput(const Graph& graph, const Node& node, size_t i);

// Makes `node` write `value` as its output `index` (the value keeps its name, so graph
// outputs and the names users see survive fusions).
void redirectOutput(Graph& graph, NodeId node, size_t index, ValueId value);

// A new constant named after `base`, for rewritten weights (originals may be shared and
// are read-only when wrapped from the file).
ValueId addDerivedConstant(Graph& graph, const std::string& base, Tensor data);

// Tells context.foldLog (when set) that `removed` is gone: `into` (kNoNode: none) now
// does its work, `stand` (kNoValue: none) is the value its readers read instead, `reason` says how.
void recordRemoval(const PassContext& context, const Graph& graph, NodeId removed, NodeId into, ValueId stand,
                   std::string reason);

// Every pass ends with this when it changed something: drop tombstones, re-infer shapes.
bool finishPass(Graph& graph, bool changed);

} // namespace tessera::passes

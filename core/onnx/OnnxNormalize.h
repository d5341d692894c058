#pragma once
// Rewrites older-opset node forms into the newest ONNX form the op registry implements
// (attributes that later opsets turned into inputs become constant inputs, Upsample
// becomes Resize...). Internal to the importer.
#include "core/Graph.h"

#include <string>
#include <vector>

namespace tessera::onnximport {

// A node read from the file, before it is added to the graph.
struct NodeDraft {
    std::string name;
    std::string opType;
    std::string domain; // "" for the default ai.onnx domain
    std::vector<ValueId> inputs;
    std::vector<ValueId> outputs;
    Attributes attrs;
    bool hasSubgraph = false; // had GRAPH/GRAPHS attributes (control flow)
};

// Normalizes `node` in place for a model of default-domain opset `opset`. May add small
// constants to `graph` (the new inputs). Throws tessera::Error naming the node when a
// legacy form cannot be expressed (e.g. an opset-18 ReduceMean with computed axes).
void normalizeLegacyForm(NodeDraft& node, int64_t opset, Graph& graph);

} // namespace tessera::onnximport

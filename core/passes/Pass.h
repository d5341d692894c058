#pragma once
// Graph passes as data (after Glow's pass manager): each pass is a small class in its own
// file whose run() returns whether it changed the graph, registered by name in
// core/passes/PassRegistry.cpp. A pipeline is a list of pass names.
#include "core/Graph.h"
#include "core/passes/PassContext.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera {

class Pass {
public:
    virtual ~Pass() = default;
    virtual std::string name() const = 0;
    // Returns true when the graph changed. Leaves the graph compacted and shape-inferred.
    virtual bool run(Graph& graph, const PassContext& context) = 0;
    // With a default context (no target, default options), for a single pass applied
    // outside a pipeline. Subclasses say `using Pass::run;` to keep it visible.
    bool run(Graph& graph) { return run(graph, PassContext()); }
};

using PassList = std::vector<std::unique_ptr<Pass>>;

// Runs the passes in order, repeating the list until nothing changes (at most
// context.maxIterations rounds), appending one log entry per pass run. With
// context.verifyEachPass the verifier runs after every pass, checking structure, input and
// output counts and shapes; its error names the pass and the node.
bool runPasses(Graph& graph, const PassList& passes, PassContext& context);
// The same with passes looked up by name (createPass: unknown names are an error).
bool runPipeline(Graph& graph, const std::vector<std::string>& passNames, PassContext& context);
bool runPipeline(Graph& graph, const std::vector<std::string>& passNames);

// The import-time cleanup pipeline: constant folding, Identity/Dropout removal,
// BatchNorm folding, activation fusion, dead-code elimination.
std::vector<std::string> defaultPipeline();

} // namespace tessera

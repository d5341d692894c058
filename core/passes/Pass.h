#pragma once
// Graph passes as data (after Glow's pass list): each pass is a small class in its own
// file whose run() returns whether it changed the graph. A pipeline is a list of them.
#include "core/Graph.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera {

class Pass {
public:
    virtual ~Pass() = default;
    virtual std::string name() const = 0;
    // Returns true when the graph changed. Leaves the graph compacted and shape-inferred.
    virtual bool run(Graph& graph) = 0;
};

using PassList = std::vector<std::unique_ptr<Pass>>;

struct PipelineOptions {
    bool verifyEachPass = false; // on in tests and debug builds
    int maxIterations = 4;       // the list is repeated while something changes
};

// Runs the passes in order, repeating the list until nothing changes (bounded).
// With verifyEachPass, the verifier runs after every pass and names the pass that broke it.
bool runPipeline(Graph& graph, const PassList& passes, const PipelineOptions& options = {});

// The import-time cleanup pipeline: constant folding, Identity/Dropout removal,
// BatchNorm folding, activation fusion, dead-code elimination.
PassList defaultPipeline();

} // namespace tessera

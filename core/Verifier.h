#pragma once
// Structural checks on a graph. Run after every pass in tests and debug builds; each
// problem names the node or tensor it is about.
#include "core/Graph.h"

#include <string>
#include <vector>

namespace tessera {

struct VerifyOptions {
    // Also re-infer every shape on a copy and compare with the stored ones (a pass that
    // leaves a stale shape is caught). Only for graphs whose shapes were inferred before:
    // passes leave them so, hand-built graphs may not.
    bool shapes = false;
};

// Always checked: registered op, input and output counts within the op's registry range,
// inputs defined, single definitions, no cycle.
std::vector<std::string> verifyGraph(const Graph& graph, const VerifyOptions& options = {});

// Throws tessera::Error listing every problem (first line: how many).
void verifyOrThrow(const Graph& graph, const std::string& context = {}, const VerifyOptions& options = {});

} // namespace tessera

#pragma once
// Structural checks on a graph. Run after every pass in tests and debug builds; each
// problem names the node or tensor it is about.
#include "core/Graph.h"

#include <string>
#include <vector>

namespace tessera {

std::vector<std::string> verifyGraph(const Graph& graph);

// Throws tessera::Error listing every problem (first line: how many).
void verifyOrThrow(const Graph& graph, const std::string& context = {});

} // namespace tessera

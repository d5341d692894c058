#pragma once
// A model's content hash: what a quantization spec or a deployment package records to
// recognise the model it was made for. It covers what the model computes (nodes with
// their op, attributes and wiring; constants with dtype, shape and bytes; graph inputs and
// outputs by name and dtype) and nothing else (producer, doc strings, the order of
// initializers, input dims fixed at import), so a re-export of the same network with the
// same weights hashes the same and one changed weight does not.
#include "core/Graph.h"

#include <string>

namespace tessera {

// "xxh3-64:<16 hex digits>" of the graph as imported (before any pass rewrites it).
std::string graphContentHash(const Graph& graph);

} // namespace tessera

#pragma once
// The model as the file has it, next to the cleaned graph the studio works on: PyTorch
// routes weights through Identity nodes, which the importer folds into constants
// (core/passes/EliminateIdentity.h, foldForwardedConstants). View > Show As Imported draws
// the file's graph; this says what each of its nodes became in the cleaned one.
#include "core/Graph.h"

#include <string>
#include <vector>

namespace tessera::studio {

struct ImportedFate {
    enum class Kind { Unchanged, ForwardedWeight, Removed };
    Kind kind = Kind::Removed;
    NodeId cleaned = kNoNode; // the same node in the cleaned graph (Unchanged only)
    std::string weight;       // ForwardedWeight: the constant it forwarded (through a chain)
    std::string readers;      // ForwardedWeight: cleaned nodes that now read that constant
    // "removed: Identity of weight W (now a constant input of MatMul_1)" and the like.
    std::string text() const;
};

// One entry per node slot of `raw` (tombstones Removed). A node is Unchanged when the
// cleaned graph has a node of its name.
std::vector<ImportedFate> mapImportedNodes(const Graph& raw, const Graph& cleaned);

} // namespace tessera::studio

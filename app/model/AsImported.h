#pragma once
// The model as the file has it, next to the cleaned graph the studio works on, which is the
// graph the engines run: the importer's folding of PyTorch's Identity aliases of weights plus
// the cleanup pipeline (constant folding, BatchNorm folding, activation fusion, dead code;
// core/passes/ImportCleanup.h). View > Show As Imported draws the file's graph; this says
// what each of its nodes became, from the passes' own record (core/passes/FoldLog.h).
#include "core/Graph.h"
#include "core/passes/FoldLog.h"

#include <string>
#include <vector>

namespace tessera::studio {

struct ImportedFate {
    enum class Kind { Unchanged, MergedInto, Removed };
    Kind kind = Kind::Removed;
    // The cleaned node that carries it: the same node (Unchanged) or the node it was fused or
    // folded into (MergedInto); kNoNode for Removed.
    NodeId cleaned = kNoNode;
    std::string cleanedName; // that node's name (MergedInto: the survivor's)
    std::string reason;  // the pass's words: "fused into /conv1/Conv as its activation"
    std::string readers; // Removed: "a constant input of X" / "read by X", of the value standing for its output
    // "unchanged", "fused into X as its activation", "removed as Identity of weight W (now a
    // constant input of MatMul_1)" and the like.
    std::string text() const;
};

// One entry per node slot of `raw` (tombstones Removed). A node the passes did not remove is
// Unchanged (the cleaned graph has it by name); a removed one follows `foldLog`.
std::vector<ImportedFate> mapImportedNodes(const Graph& raw, const Graph& cleaned, const FoldLog& foldLog);

} // namespace tessera::studio

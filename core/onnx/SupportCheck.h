#pragma once
// "Can this model run on the accelerator?" — every node with its placement (analog,
// digital or unsupported) and why, from a lenient import and the op registry's placement
// column. Used by `tessera inspect --supported` and the studio.
#include "core/OpRegistry.h"
#include "core/onnx/OnnxImporter.h"

#include <string>
#include <vector>

namespace tessera {

struct NodeSupport {
    std::string nodeName;
    std::string opType;
    Placement placement = Placement::Digital;
    std::string reason;
};

struct SupportReport {
    std::string path;
    int64_t opsetVersion = 0;
    std::string producer;
    // Graph nodes in execution order, then unsupported nodes found inside control-flow
    // subgraphs (which are not part of the imported graph).
    std::vector<NodeSupport> nodes;
    std::vector<std::string> warnings; // e.g. shape inference failed

    size_t count(Placement placement) const;
    bool fullySupported() const { return count(Placement::Unsupported) == 0; }
};

// Imports `path` leniently (ImportOptions::lenient is forced on) and places every node.
// Throws tessera::Error for files that cannot be read as ONNX at all.
SupportReport checkSupport(const std::string& path, const ImportOptions& options = {});
// Places the nodes of an already (leniently) imported model.
SupportReport checkSupport(const ImportedModel& model);

// A plain-text table: one line per node, then totals.
std::string formatSupportReport(const SupportReport& report);

} // namespace tessera

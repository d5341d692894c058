#include "core/onnx/SupportCheck.h"

#include "core/Error.h"

#include <algorithm>
#include <set>

namespace tessera {

size_t SupportReport::count(Placement placement) const
{
    return static_cast<size_t>(
        std::count_if(nodes.begin(), nodes.end(), [&](const NodeSupport& n) { return n.placement == placement; }));
}

SupportReport checkSupport(const ImportedModel& model)
{
    SupportReport report;
    report.path = model.report.sourcePath;
    report.opsetVersion = model.report.opsetVersion;
    report.producer = model.report.producer;
    report.warnings = model.report.warnings;
    std::set<std::string> inGraph;
    const Graph& graph = model.graph;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& node = graph.node(id);
        inGraph.insert(node.name);
        NodeSupport entry{node.name, node.opType, Placement::Unsupported, {}};
        if (!node.op) {
            auto it = std::find_if(model.report.unsupported.begin(), model.report.unsupported.end(),
                                   [&](const UnsupportedNode& u) { return u.nodeName == node.name; });
            entry.reason = it != model.report.unsupported.end() ? it->reason : "operator is not supported";
        } else {
            try {
                PlacementDecision decision = node.op->placeNode(node, graph);
                entry.placement = decision.placement;
                entry.reason = decision.reason;
            } catch (const Error& e) { // a placement rule that needs shapes lenient import lacks
                entry.reason = strCat("placement could not be decided: ", e.what());
            }
        }
        report.nodes.push_back(std::move(entry));
    }
    for (const UnsupportedNode& u : model.report.unsupported)
        if (!inGraph.count(u.nodeName))
            report.nodes.push_back({u.nodeName, u.opType, Placement::Unsupported, u.reason});
    return report;
}

SupportReport checkSupport(const std::string& path, const ImportOptions& options)
{
    ImportOptions lenient = options;
    lenient.lenient = true;
    lenient.runCleanupPasses = false; // report the file's own nodes
    return checkSupport(importOnnxFile(path, lenient));
}

std::string formatSupportReport(const SupportReport& report)
{
    size_t nameWidth = 4, opWidth = 2;
    for (const NodeSupport& n : report.nodes) {
        nameWidth = std::max(nameWidth, n.nodeName.size());
        opWidth = std::max(opWidth, n.opType.size());
    }
    auto pad = [](const std::string& s, size_t width) { return s + std::string(width - std::min(width, s.size()), ' '); };
    std::string out = strCat(report.path, " (opset ", report.opsetVersion,
                             report.producer.empty() ? "" : ", " + report.producer, ")\n");
    out += strCat(pad("node", nameWidth), "  ", pad("op", opWidth), "  ", pad("placement", 11), "  reason\n");
    for (const NodeSupport& n : report.nodes)
        out += strCat(pad(n.nodeName, nameWidth), "  ", pad(n.opType, opWidth), "  ", pad(placementName(n.placement), 11),
                      "  ", n.reason, "\n");
    out += strCat(report.nodes.size(), " nodes: ", report.count(Placement::Analog), " analog, ",
                  report.count(Placement::Digital), " digital, ", report.count(Placement::Unsupported), " unsupported\n");
    for (const std::string& w : report.warnings)
        out += strCat("warning: ", w, "\n");
    return out;
}

} // namespace tessera

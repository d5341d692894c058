#pragma once
// The loaded model as every studio view sees it: the imported graph plus what the views
// derive from it once (placement and cost per node, display nodes/edges, totals).
// Immutable after construction, so worker threads (layout) can read it while the UI does.
#include "app/model/AsImported.h"
#include "core/Graph.h"
#include "core/OpRegistry.h"
#include "core/onnx/OnnxImporter.h"
#include "core/onnx/SupportCheck.h"

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera::studio {

enum class DisplayKind { Op, GraphInput, GraphOutput };

// One box in the graph view: an op node, or a pill for a graph input/output. Constant
// values are never drawn; the inspector lists them as node inputs.
struct DisplayNode {
    DisplayKind kind = DisplayKind::Op;
    NodeId node = kNoNode;    // for Op
    ValueId value = kNoValue; // for GraphInput / GraphOutput
};

struct DisplayEdge {
    int from = -1; // display node indices
    int to = -1;
    ValueId value = kNoValue; // the tensor flowing along the edge
};

struct NodeAnalysis {
    PlacementDecision placement;
    OpCost cost;
};

struct ModelTotals {
    int nodes = 0;
    int64_t params = 0;
    int64_t macs = 0;
    std::map<std::string, int> nodesByOp;
    std::array<int, 3> nodesByPlacement{}; // indexed by Placement
    std::array<int64_t, 3> macsByPlacement{};
};

class GraphDocument {
public:
    // `strictError` is the strict import's message when the graph was imported leniently.
    GraphDocument(Graph graph, ImportReport report, std::string sourcePath, std::string strictError = {});
    GraphDocument(const GraphDocument&) = delete;
    GraphDocument& operator=(const GraphDocument&) = delete;

    const Graph& graph() const { return m_model.graph; }
    const ImportReport& report() const { return m_model.report; }
    // Unsupported nodes that are not in the graph (inside control-flow subgraphs), and
    // import warnings, from core/onnx/SupportCheck.
    const std::vector<NodeSupport>& hiddenUnsupported() const { return m_hiddenUnsupported; }
    const std::vector<std::string>& warnings() const { return m_warnings; }
    const std::string& sourcePath() const { return m_sourcePath; }
    const std::string& strictImportError() const { return m_strictError; }
    bool isLenient() const { return !m_strictError.empty(); }

    const std::vector<DisplayNode>& displayNodes() const { return m_displayNodes; }
    const std::vector<DisplayEdge>& displayEdges() const { return m_displayEdges; }
    // -1 when the node is not drawn (removed).
    int displayIndexOf(NodeId node) const;
    const NodeAnalysis& analysis(NodeId node) const { return m_analysis.at(node); }
    const ModelTotals& totals() const { return m_totals; }
    // Drawn op nodes in topological order.
    const std::vector<NodeId>& orderedNodes() const { return m_ordered; }

    // Producer node of a value, kNoNode for graph inputs/constants.
    NodeId producerOf(ValueId value) const { return m_graph.value(value).producer; }
    // Live consumer nodes of a node's outputs, in topological order, without duplicates.
    std::vector<NodeId> consumersOf(NodeId node) const;
    // Producer nodes of a node's non-constant inputs, without duplicates.
    std::vector<NodeId> producersOf(NodeId node) const;

    // The graph as the file has it (weights through Identity nodes), drawn by View > Show As
    // Imported; null when the model was not imported twice (synthetic documents).
    const std::shared_ptr<const GraphDocument>& asImported() const { return m_asImported; }
    // On the as-imported document: what each node became in the cleaned one, and back.
    bool isAsImported() const { return !m_fates.empty(); }
    const ImportedFate* fateOf(NodeId rawNode) const;
    NodeId cleanedNodeOf(NodeId rawNode) const; // kNoNode when it is not in the cleaned graph
    NodeId importedNodeOf(NodeId cleanedNode) const;
    // Pairs `raw` (the same file from importOnnxFileAsWritten, core/onnx/ImportAsWritten.h) with
    // `cleaned` (raw cleaned up with `foldLog` recorded): unchanged raw nodes take the
    // placement and cost of their cleaned counterpart, a fused or folded one the placement of
    // the node it became (its cost is in that node's), and the totals are the cleaned graph's,
    // so every count reads the same in both views.
    static void attachAsImported(GraphDocument& cleaned, std::shared_ptr<GraphDocument> raw, const FoldLog& foldLog);
    // On the cleaned document: the op types of the file's nodes the cleanup merged into `node`
    // (a folded BatchNormalization, a fused activation), in file order; empty when none or
    // when the model was not imported as written.
    const std::vector<std::string>& mergedOps(NodeId node) const;

private:
    void analyse();
    void buildDisplay();

    ImportedModel m_model;
    const Graph& m_graph; // m_model.graph
    std::string m_sourcePath;
    std::vector<NodeSupport> m_hiddenUnsupported;
    std::vector<std::string> m_warnings;
    std::string m_strictError;
    std::vector<NodeAnalysis> m_analysis; // by node id
    std::vector<NodeId> m_ordered;
    std::vector<int> m_displayOfNode;     // by node id
    std::vector<int> m_topoRank;          // by node id
    std::vector<DisplayNode> m_displayNodes;
    std::vector<DisplayEdge> m_displayEdges;
    ModelTotals m_totals;
    std::shared_ptr<const GraphDocument> m_asImported;
    std::vector<ImportedFate> m_fates;     // as-imported document: by raw node id
    std::vector<NodeId> m_importedOfClean; // as-imported document: by cleaned node id
    std::vector<std::vector<std::string>> m_mergedOps; // cleaned document: by node id
};

using DocumentPtr = std::shared_ptr<const GraphDocument>;

// "12.3 M" style numbers for counts (params, MACs).
std::string humanCount(int64_t value);

} // namespace tessera::studio

#include "app/model/GraphDocument.h"

#include "core/Error.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace tessera::studio {

GraphDocument::GraphDocument(Graph graph, ImportReport report, std::string sourcePath, std::string strictError)
    : m_model{std::move(graph), std::move(report)}, m_graph(m_model.graph), m_sourcePath(std::move(sourcePath)),
      m_strictError(std::move(strictError))
{
    try {
        m_ordered = m_graph.topologicalOrder();
    } catch (const Error&) {
        // A leniently imported graph may be malformed; draw it in file order anyway.
        m_ordered = m_graph.liveNodes();
    }
    m_topoRank.assign(m_graph.nodeSlotCount(), -1);
    for (size_t i = 0; i < m_ordered.size(); ++i)
        m_topoRank[m_ordered[i]] = static_cast<int>(i);
    analyse();
    buildDisplay();
}

void GraphDocument::analyse()
{
    // Placement comes from the support check shared with `tessera inspect --supported`.
    std::unordered_map<std::string, const NodeSupport*> supportByName;
    SupportReport support;
    try {
        support = checkSupport(m_model);
        m_warnings = support.warnings;
        for (const NodeSupport& s : support.nodes) {
            if (m_graph.findNode(s.nodeName))
                supportByName[s.nodeName] = &s;
            else
                m_hiddenUnsupported.push_back(s);
        }
    } catch (const Error& e) { // e.g. a cycle in a leniently imported graph
        m_warnings.push_back(e.what());
    }
    m_analysis.assign(m_graph.nodeSlotCount(), {});
    for (NodeId id : m_ordered) {
        const Node& node = m_graph.node(id);
        NodeAnalysis& a = m_analysis[id];
        auto it = supportByName.find(node.name);
        a.placement = it != supportByName.end() ? PlacementDecision{it->second->placement, it->second->reason}
                                                : PlacementDecision{Placement::Unsupported, "placement unknown"};
        if (node.op) {
            try {
                a.cost = node.op->costOf(node, m_graph);
            } catch (const Error&) { // cost needs shapes a lenient import may lack
            }
        }
        int p = static_cast<int>(a.placement.placement);
        m_totals.nodes++;
        m_totals.params += a.cost.params;
        m_totals.macs += a.cost.macs;
        m_totals.nodesByOp[node.opType]++;
        m_totals.nodesByPlacement[p]++;
        m_totals.macsByPlacement[p] += a.cost.macs;
    }
}

void GraphDocument::buildDisplay()
{
    m_displayOfNode.assign(m_graph.nodeSlotCount(), -1);
    std::unordered_map<ValueId, int> inputPill;
    for (ValueId v : m_graph.inputs()) {
        if (m_graph.value(v).isConstant())
            continue;
        inputPill[v] = static_cast<int>(m_displayNodes.size());
        m_displayNodes.push_back({DisplayKind::GraphInput, kNoNode, v});
    }
    for (NodeId id : m_ordered) {
        m_displayOfNode[id] = static_cast<int>(m_displayNodes.size());
        m_displayNodes.push_back({DisplayKind::Op, id, kNoValue});
    }
    // The display index that produces a value, or -1 (constants, dangling values).
    auto sourceOf = [&](ValueId v) {
        NodeId producer = m_graph.value(v).producer;
        if (producer != kNoNode)
            return m_displayOfNode[producer];
        auto it = inputPill.find(v);
        return it == inputPill.end() ? -1 : it->second;
    };
    for (NodeId id : m_ordered) {
        const Node& node = m_graph.node(id);
        for (ValueId v : node.inputs) {
            if (v == kNoValue || m_graph.value(v).isConstant())
                continue;
            int from = sourceOf(v);
            if (from >= 0)
                m_displayEdges.push_back({from, m_displayOfNode[id], v});
        }
    }
    for (ValueId v : m_graph.outputs()) {
        int from = sourceOf(v);
        int pill = static_cast<int>(m_displayNodes.size());
        m_displayNodes.push_back({DisplayKind::GraphOutput, kNoNode, v});
        if (from >= 0)
            m_displayEdges.push_back({from, pill, v});
    }
}

int GraphDocument::displayIndexOf(NodeId node) const
{
    return node >= 0 && static_cast<size_t>(node) < m_displayOfNode.size() ? m_displayOfNode[node] : -1;
}

std::vector<NodeId> GraphDocument::consumersOf(NodeId id) const
{
    std::vector<NodeId> result;
    for (ValueId out : m_graph.node(id).outputs)
        for (NodeId c : m_graph.value(out).consumers)
            if (!m_graph.node(c).removed && std::find(result.begin(), result.end(), c) == result.end())
                result.push_back(c);
    std::sort(result.begin(), result.end(), [&](NodeId a, NodeId b) { return m_topoRank[a] < m_topoRank[b]; });
    return result;
}

std::vector<NodeId> GraphDocument::producersOf(NodeId id) const
{
    std::vector<NodeId> result;
    for (ValueId in : m_graph.node(id).inputs) {
        if (in == kNoValue)
            continue;
        NodeId p = m_graph.value(in).producer;
        if (p != kNoNode && std::find(result.begin(), result.end(), p) == result.end())
            result.push_back(p);
    }
    return result;
}

const ImportedFate* GraphDocument::fateOf(NodeId rawNode) const
{
    return rawNode >= 0 && static_cast<size_t>(rawNode) < m_fates.size() ? &m_fates[rawNode] : nullptr;
}

NodeId GraphDocument::cleanedNodeOf(NodeId rawNode) const
{
    const ImportedFate* fate = fateOf(rawNode);
    return fate ? fate->cleaned : kNoNode;
}

NodeId GraphDocument::importedNodeOf(NodeId cleanedNode) const
{
    return cleanedNode >= 0 && static_cast<size_t>(cleanedNode) < m_importedOfClean.size() ? m_importedOfClean[cleanedNode]
                                                                                             : kNoNode;
}

void GraphDocument::attachAsImported(GraphDocument& cleaned, std::shared_ptr<GraphDocument> raw, const FoldLog& foldLog)
{
    raw->m_fates = mapImportedNodes(raw->graph(), cleaned.graph(), foldLog);
    raw->m_importedOfClean.assign(cleaned.graph().nodeSlotCount(), kNoNode);
    cleaned.m_mergedOps.assign(cleaned.graph().nodeSlotCount(), {});
    for (size_t id = 0; id < raw->m_fates.size(); ++id) {
        const NodeId counterpart = raw->m_fates[id].cleaned;
        if (counterpart == kNoNode)
            continue;
        if (raw->m_fates[id].kind == ImportedFate::Kind::MergedInto) {
            raw->m_analysis[id] = {cleaned.m_analysis[counterpart].placement, {}};
            cleaned.m_mergedOps[counterpart].push_back(raw->graph().node(static_cast<NodeId>(id)).opType);
            continue;
        }
        raw->m_importedOfClean[counterpart] = static_cast<NodeId>(id);
        raw->m_analysis[id] = cleaned.m_analysis[counterpart];
    }
    raw->m_totals = cleaned.m_totals;
    cleaned.m_asImported = std::move(raw);
}

const std::vector<std::string>& GraphDocument::mergedOps(NodeId node) const
{
    static const std::vector<std::string> none;
    return node >= 0 && static_cast<size_t>(node) < m_mergedOps.size() ? m_mergedOps[node] : none;
}

std::string humanCount(int64_t value)
{
    const char* units[] = {"", " K", " M", " G", " T"};
    double v = static_cast<double>(value);
    int unit = 0;
    while (v >= 1000.0 && unit < 4) {
        v /= 1000.0;
        ++unit;
    }
    char buf[32];
    if (unit == 0)
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
    else
        std::snprintf(buf, sizeof buf, v < 10 ? "%.2f%s" : (v < 100 ? "%.1f%s" : "%.0f%s"), v, units[unit]);
    return buf;
}

} // namespace tessera::studio

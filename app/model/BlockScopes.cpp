#include "app/model/BlockScopes.h"

#include <algorithm>

namespace tessera::studio {

std::vector<std::string> ScopeTree::scopePartsOf(const std::string& nodeName)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t slash = nodeName.find('/', start);
        if (slash == std::string::npos)
            break; // the rest is the op's own name
        if (slash > start)
            parts.push_back(nodeName.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

ScopeTree::ScopeTree(const GraphDocument& doc) : m_doc(doc)
{
    const auto& nodes = doc.displayNodes();
    m_scopeOfDisplay.assign(nodes.size(), -1);
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].kind != DisplayKind::Op)
            continue;
        const Node& node = doc.graph().node(nodes[i].node);
        const NodeAnalysis& a = doc.analysis(nodes[i].node);
        const bool analog = a.placement.placement == Placement::Analog;
        int parent = -1;
        std::string path;
        for (const std::string& part : scopePartsOf(node.name)) {
            path += path.empty() ? part : "/" + part;
            auto [it, added] = m_byPath.emplace(path, static_cast<int>(m_scopes.size()));
            if (added) {
                BlockScope s;
                s.name = part;
                s.path = path;
                s.parent = parent;
                s.depth = parent < 0 ? 0 : m_scopes[parent].depth + 1;
                if (parent >= 0)
                    m_scopes[parent].children.push_back(it->second);
                m_scopes.push_back(std::move(s));
            }
            BlockScope& s = m_scopes[it->second];
            s.members.push_back(static_cast<int>(i));
            s.params += a.cost.params;
            s.macs += a.cost.macs;
            s.analogMacs += analog ? a.cost.macs : 0;
            s.analogNodes += analog ? 1 : 0;
            parent = it->second;
        }
        m_scopeOfDisplay[i] = parent;
    }
}

int ScopeTree::scopeOf(int displayIndex) const
{
    return displayIndex >= 0 && displayIndex < static_cast<int>(m_scopeOfDisplay.size()) ? m_scopeOfDisplay[displayIndex]
                                                                                           : -1;
}

int ScopeTree::findPath(const std::string& path) const
{
    auto it = m_byPath.find(path);
    return it == m_byPath.end() ? -1 : it->second;
}

std::vector<char> ScopeTree::collapsedFromDepth(int depth) const
{
    std::vector<char> flags(m_scopes.size(), 0);
    for (size_t s = 0; s < m_scopes.size(); ++s)
        flags[s] = m_scopes[s].depth >= depth && collapsible(static_cast<int>(s));
    return flags;
}

std::vector<char> ScopeTree::defaultCollapsed(int minGroups, int minItems) const
{
    int maxDepth = -1;
    for (const BlockScope& s : m_scopes)
        maxDepth = std::max(maxDepth, s.depth);
    for (int depth = 0; depth <= maxDepth; ++depth) {
        std::vector<char> flags = collapsedFromDepth(depth);
        const BlockView view(m_doc, this, flags);
        if (view.groupCount() > 0 && (view.groupCount() >= minGroups || static_cast<int>(view.items().size()) >= minItems))
            return flags;
    }
    return collapsedFromDepth(0);
}

BlockView::BlockView(const GraphDocument& doc, const ScopeTree* tree, const std::vector<char>& collapsed)
    : m_collapsed(collapsed)
{
    const auto& nodes = doc.displayNodes();
    m_itemOfDisplay.assign(nodes.size(), -1);
    for (size_t i = 0; i < nodes.size(); ++i) {
        const int scope = tree && !m_collapsed.empty() ? outermostCollapsed(static_cast<int>(i), *tree) : -1;
        if (scope < 0) {
            m_itemOfDisplay[i] = static_cast<int>(m_items.size());
            m_items.push_back({static_cast<int>(i), -1});
            continue;
        }
        auto [it, added] = m_itemOfScope.emplace(scope, static_cast<int>(m_items.size()));
        if (added) {
            m_items.push_back({-1, scope});
            ++m_groups;
        }
        m_itemOfDisplay[i] = it->second;
    }
    std::unordered_map<int64_t, int> edgeOf; // (from, to) -> edge index
    for (const DisplayEdge& e : doc.displayEdges()) {
        const int from = m_itemOfDisplay[e.from], to = m_itemOfDisplay[e.to];
        if (from == to)
            continue; // inside one box
        const int64_t key = (static_cast<int64_t>(from) << 32) | static_cast<uint32_t>(to);
        auto [it, added] = edgeOf.emplace(key, static_cast<int>(m_edges.size()));
        if (added)
            m_edges.push_back({from, to, e.value, 1});
        else
            m_edges[it->second].count++;
    }
}

int BlockView::outermostCollapsed(int displayIndex, const ScopeTree& tree) const
{
    int outermost = -1;
    for (int s = tree.scopeOf(displayIndex); s >= 0; s = tree.scope(s).parent)
        if (s < static_cast<int>(m_collapsed.size()) && m_collapsed[s])
            outermost = s;
    return outermost;
}

int BlockView::itemOfScope(int scope) const
{
    auto it = m_itemOfScope.find(scope);
    return it == m_itemOfScope.end() ? -1 : it->second;
}

} // namespace tessera::studio

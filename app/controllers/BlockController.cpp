#include "app/controllers/BlockController.h"

namespace tessera::studio {

void BlockController::setDocument(const DocumentPtr& doc)
{
    if (doc == m_doc)
        return;
    m_doc = doc;
    m_tree = doc ? std::make_shared<const ScopeTree>(*doc) : nullptr;
    m_collapsed = m_tree ? m_tree->defaultCollapsed() : std::vector<char>{};
    m_focusScope = -1;
    const bool on = m_tree && !m_tree->isEmpty() && doc->totals().nodes > kCollapseAboveNodes;
    if (on != m_enabled) {
        m_enabled = on;
        emit enabledChanged(on);
    }
}

void BlockController::setEnabled(bool on)
{
    if (on == m_enabled)
        return;
    m_enabled = on;
    if (m_tree)
        m_collapsed = m_tree->defaultCollapsed();
    m_focusScope = -1;
    emit enabledChanged(on);
    emit changed();
}

void BlockController::setCollapsed(int scope, bool collapsed)
{
    if (scope < 0 || scope >= static_cast<int>(m_collapsed.size()))
        return;
    if (!m_enabled) { // collapsing one block of a fully drawn graph: only that one
        if (!collapsed)
            return;
        m_collapsed.assign(m_collapsed.size(), 0);
        m_enabled = true;
        emit enabledChanged(true);
    } else if (m_collapsed[scope] == collapsed) {
        return;
    }
    m_collapsed[scope] = collapsed;
    m_focusScope = scope;
    emit changed();
}

bool BlockController::reveal(NodeId node)
{
    if (!m_enabled || !m_doc)
        return false;
    int first = -1;
    for (int s = m_tree->scopeOf(m_doc->displayIndexOf(node)); s >= 0; s = m_tree->scope(s).parent)
        if (m_collapsed[s]) {
            m_collapsed[s] = 0;
            first = s;
        }
    if (first < 0)
        return false;
    m_focusScope = -1; // the scene reveals the selected node itself
    emit changed();
    return true;
}

BlockSnapshot BlockController::snapshot() const
{
    if (!m_doc)
        return {};
    const bool collapse = m_enabled && m_tree && !m_tree->isEmpty();
    BlockSnapshot snap;
    snap.tree = m_tree;
    snap.view = std::make_shared<const BlockView>(*m_doc, m_tree.get(), collapse ? m_collapsed : std::vector<char>{});
    return snap;
}

int BlockController::takeFocusScope()
{
    const int scope = m_focusScope;
    m_focusScope = -1;
    return scope;
}

} // namespace tessera::studio

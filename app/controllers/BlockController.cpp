#include "app/controllers/BlockController.h"

#include <QJsonObject>

namespace tessera::studio {

namespace {
const QString kPanel = QStringLiteral("view");
} // namespace

void BlockController::setDocument(const DocumentPtr& doc)
{
    if (doc == m_doc)
        return;
    m_doc = doc;
    m_tree = doc ? std::make_shared<const ScopeTree>(*doc) : nullptr;
    m_default = m_tree ? m_tree->defaultCollapsed() : std::vector<char>{};
    m_collapsed = m_default;
    m_focusScope = -1;
    bool on = false;
    if (m_tree && !m_tree->isEmpty())
        on = restoreFromProject(doc->totals().nodes > kCollapseAboveNodes);
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
    m_collapsed = m_default;
    m_focusScope = -1;
    saveToProject();
    emit enabledChanged(on);
    emit changed();
}

bool BlockController::restoreFromProject(bool enabledByDefault)
{
    if (!m_project)
        return enabledByDefault;
    const QJsonObject view = m_project->panelState(kPanel);
    const bool enabled = view.contains("collapseBlocks") ? view.value("collapseBlocks").toBool() : enabledByDefault;
    const QJsonObject overrides = view.value("blockOverrides").toObject();
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        const int scope = m_tree->findPath(it.key().toStdString());
        if (scope >= 0) // a scope the model no longer has is ignored
            m_collapsed[scope] = it.value().toBool();
    }
    return enabled;
}

void BlockController::saveToProject() const
{
    if (!m_project || !m_tree)
        return;
    QJsonObject view = m_project->panelState(kPanel);
    view["collapseBlocks"] = m_enabled;
    QJsonObject overrides;
    for (size_t s = 0; s < m_collapsed.size(); ++s)
        if (m_collapsed[s] != m_default[s])
            overrides[QString::fromStdString(m_tree->scope(static_cast<int>(s)).path)] = bool(m_collapsed[s]);
    view["blockOverrides"] = overrides;
    m_project->setViewState(kPanel, view);
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
    saveToProject();
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
    saveToProject();
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

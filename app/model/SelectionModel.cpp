#include "app/model/SelectionModel.h"

namespace tessera::studio {

void SelectionModel::select(NodeId node, bool reveal)
{
    if (node == kNoNode) {
        clear();
        return;
    }
    if (m_current == node && m_selected.size() == 1 && m_value == kNoValue && !dropImported()) {
        if (reveal)
            emit selectionChanged(m_current, true);
        return;
    }
    dropImported();
    m_current = node;
    m_selected = {node};
    m_value = kNoValue;
    emit selectionChanged(m_current, reveal);
}

void SelectionModel::setSelection(const QVector<NodeId>& nodes)
{
    if (nodes == m_selected && m_value == kNoValue && !dropImported())
        return;
    dropImported();
    m_value = kNoValue;
    m_selected = nodes;
    m_current = nodes.isEmpty() ? kNoNode : nodes.first();
    emit selectionChanged(m_current, false);
}

void SelectionModel::selectValue(ValueId value, bool reveal)
{
    if (value == kNoValue) {
        clear();
        return;
    }
    if (m_value == value && !reveal && !dropImported())
        return;
    dropImported();
    m_value = value;
    m_current = kNoNode;
    m_selected.clear();
    emit selectionChanged(kNoNode, reveal);
}

bool SelectionModel::dropImported()
{
    const bool had = m_imported != kNoNode;
    m_imported = kNoNode;
    return had;
}

void SelectionModel::selectImported(NodeId importedNode, NodeId cleanedNode)
{
    if (m_imported == importedNode && m_current == cleanedNode)
        return;
    m_imported = importedNode;
    m_current = cleanedNode;
    m_selected.clear();
    if (cleanedNode != kNoNode)
        m_selected = {cleanedNode};
    m_value = kNoValue;
    emit selectionChanged(m_current, false);
}

void SelectionModel::clear()
{
    if (m_current == kNoNode && m_selected.isEmpty() && m_value == kNoValue && !dropImported())
        return;
    dropImported();
    m_current = kNoNode;
    m_selected.clear();
    m_value = kNoValue;
    emit selectionChanged(kNoNode, false);
}

} // namespace tessera::studio

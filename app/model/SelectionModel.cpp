#include "app/model/SelectionModel.h"

namespace tessera::studio {

void SelectionModel::select(NodeId node, bool reveal)
{
    if (node == kNoNode) {
        clear();
        return;
    }
    if (m_current == node && m_selected.size() == 1) {
        if (reveal)
            emit selectionChanged(m_current, true);
        return;
    }
    m_current = node;
    m_selected = {node};
    emit selectionChanged(m_current, reveal);
}

void SelectionModel::setSelection(const QVector<NodeId>& nodes)
{
    if (nodes == m_selected)
        return;
    m_selected = nodes;
    m_current = nodes.isEmpty() ? kNoNode : nodes.first();
    emit selectionChanged(m_current, false);
}

void SelectionModel::clear()
{
    if (m_current == kNoNode && m_selected.isEmpty())
        return;
    m_current = kNoNode;
    m_selected.clear();
    emit selectionChanged(kNoNode, false);
}

} // namespace tessera::studio

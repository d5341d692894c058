#include "app/model/SelectionModel.h"

namespace tessera::studio {

void SelectionModel::select(NodeId node, bool reveal)
{
    if (node == kNoNode) {
        clear();
        return;
    }
    if (m_current == node && m_selected.size() == 1 && m_value == kNoValue) {
        if (reveal)
            emit selectionChanged(m_current, true);
        return;
    }
    m_current = node;
    m_selected = {node};
    m_value = kNoValue;
    emit selectionChanged(m_current, reveal);
}

void SelectionModel::setSelection(const QVector<NodeId>& nodes)
{
    if (nodes == m_selected && m_value == kNoValue)
        return;
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
    if (m_value == value && !reveal)
        return;
    m_value = value;
    m_current = kNoNode;
    m_selected.clear();
    emit selectionChanged(kNoNode, reveal);
}

void SelectionModel::clear()
{
    if (m_current == kNoNode && m_selected.isEmpty() && m_value == kNoValue)
        return;
    m_current = kNoNode;
    m_selected.clear();
    m_value = kNoValue;
    emit selectionChanged(kNoNode, false);
}

} // namespace tessera::studio

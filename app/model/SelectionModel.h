#pragma once
// The one selection every view shares: selecting a node in the graph, the summary or the
// search selects it everywhere. Besides nodes it can hold one graph input/output value
// (its pill in the graph view); selecting a node clears it and selecting it clears nodes.
#include "core/Graph.h"

#include <QObject>
#include <QVector>

namespace tessera::studio {

class SelectionModel : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    NodeId current() const { return m_current; }
    const QVector<NodeId>& selected() const { return m_selected; }
    bool isSelected(NodeId node) const { return m_selected.contains(node); }
    // The selected graph input/output, kNoValue when nodes (or nothing) are selected.
    ValueId currentValue() const { return m_value; }

    // Selects one node. `reveal` asks views to scroll it into view (search, summary click).
    void select(NodeId node, bool reveal = true);
    // Several nodes (rubber band); current is the first. Does not reveal.
    void setSelection(const QVector<NodeId>& nodes);
    // Selects one graph input/output value; emits selectionChanged(kNoNode, reveal).
    void selectValue(ValueId value, bool reveal = true);
    void clear();
    // A node picked in View > Show As Imported (an id of the document's asImported()), with
    // its cleaned counterpart as the current node (kNoNode for an Identity folded away).
    // Any other selection drops it.
    void selectImported(NodeId importedNode, NodeId cleanedNode);
    NodeId importedNode() const { return m_imported; }

signals:
    void selectionChanged(tessera::NodeId current, bool reveal);

private:
    NodeId m_current = kNoNode;
    QVector<NodeId> m_selected;
    ValueId m_value = kNoValue;
    NodeId m_imported = kNoNode;
    bool dropImported(); // clears m_imported; returns whether it was set
};

} // namespace tessera::studio

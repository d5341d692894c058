#pragma once
// Model summary dock: totals (params, MACs, layers by kind), and what runs where, with
// every unsupported node and why, and the graph's inputs and outputs. Clicking an entry
// selects and reveals its node or value.
#include "app/model/ProjectModel.h"

#include <QWidget>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace tessera::studio {

class SummaryPanel : public QWidget {
    Q_OBJECT
public:
    explicit SummaryPanel(ProjectModel* model, QWidget* parent = nullptr);

    QTreeWidget* placementTree() const { return m_placements; }
    QString totalsText() const;
    // The tree item for a node (nullptr if not listed).
    QTreeWidgetItem* itemForNode(NodeId node) const;
    // The tree item for a graph input/output (nullptr if not one).
    QTreeWidgetItem* itemForValue(ValueId value) const;

private:
    void rebuild();
    void fillTotals(const GraphDocument& doc);     // totals, import notes, ops table
    void fillInputsOutputs(const GraphDocument& doc); // graph inputs and outputs, selectable
    void fillPlacements(const GraphDocument& doc);    // the "where it runs" tree
    void fillProperties(const GraphDocument& doc);    // producer, opset, IR version, metadata

    ProjectModel* m_model;
    QLabel* m_totals;
    QLabel* m_importNote;
    QTreeWidget* m_ops;
    QTreeWidget* m_placements;
};

} // namespace tessera::studio

#pragma once
// Inspector dock: the selected node's op, placement, attributes, input/output tensors,
// params and MACs, and for a constant (weight) input its histogram and statistics, with
// export to .npy. For a selected graph input/output: its name, dtype, dims (symbolic
// ones named), role and producer/consumers.
#include "app/model/NodeDetails.h"
#include "app/model/ProjectModel.h"

#include <QWidget>

class QCustomPlot;
class QComboBox;
class QLabel;
class QPushButton;
class QTreeWidget;

namespace tessera::studio {

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(ProjectModel* model, QWidget* parent = nullptr);

    // For tests: what is shown.
    NodeId shownNode() const { return m_node; }
    QTreeWidget* tree() const { return m_tree; }
    QString headerText() const;
    // The header and every tree row as "key: value" lines.
    QString shownText() const;
    ValueId shownTensor() const { return m_tensor; }
    const TensorStats& shownStats() const { return m_stats; }
    // The shown constant's values (small constants only, else empty).
    QString shownValuesText() const;
    // Writes the tensor shown in the histogram to `path` (.npy). Throws tessera::Error.
    void exportShownTensor(const QString& path) const;

signals:
    void message(const QString& text, bool isError);

private:
    void showSelection();
    void showNode(NodeId node);
    // A node of `doc` (the project's document or its as-imported graph).
    void showNodeOf(const DocumentPtr& doc, NodeId node);
    // A node picked in View > Show As Imported, with what it became in the cleaned graph.
    void showImportedNode(NodeId importedNode);
    void showGraphValue(ValueId value);
    void showTensor(ValueId value);
    void onExportClicked();

    ProjectModel* m_model;
    NodeId m_node = kNoNode;
    DocumentPtr m_shownDoc; // the document whose node and tensors are shown
    ValueId m_tensor = kNoValue;
    TensorStats m_stats;
    QLabel* m_title;
    QLabel* m_placement;
    QTreeWidget* m_tree;
    QComboBox* m_tensorChoice;
    QCustomPlot* m_plot;
    QLabel* m_statsLabel;
    QLabel* m_valuesLabel;
    QPushButton* m_export;
    QWidget* m_weightsBox;
};

} // namespace tessera::studio

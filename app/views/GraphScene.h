#pragma once
// The scene of the graph view: one NodeItem per display node and one EdgeItem per edge,
// placed by the last layout. Keeps the scene's selection and the shared SelectionModel
// in step in both directions.
#include "app/layout/GraphLayout.h"
#include "app/model/ProjectModel.h"
#include "app/views/GraphItems.h"

#include <QGraphicsScene>

#include <functional>
#include <memory>
#include <unordered_map>

namespace tessera::studio {

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit GraphScene(ProjectModel* model, QObject* parent = nullptr);
    ~GraphScene() override;

    void build(const DocumentPtr& doc, const LayoutResult& layout);
    void clearGraph();
    const DocumentPtr& document() const { return m_doc; }
    int nodeItemCount() const { return static_cast<int>(m_nodeItems.size()); }
    NodeItem* itemForNode(NodeId node) const;
    // The pill of a graph input/output (its input pill when it is both), or nullptr.
    NodeItem* itemForValue(ValueId value) const;
    NodeItem* itemAt(int displayIndex) const { return m_nodeItems.at(displayIndex); }
    // Overrides op node colours (e.g. by quantization bits): `colour` returns the colour of
    // a node or an invalid QColor to keep its placement colour; nullptr restores all.
    // Kept across rebuilds.
    void setNodeColouring(std::function<QColor(NodeId)> colour);

signals:
    void revealRequested(const QRectF& rect);
    void built();

private:
    void onSceneSelectionChanged();
    void onModelSelectionChanged(NodeId current, bool reveal);
    void highlightEdges(const QVector<int>& displayIndices);
    QVector<int> displayIndicesOf(const QVector<NodeId>& nodes) const;

    ProjectModel* m_model;
    DocumentPtr m_doc;
    std::vector<NodeItem*> m_nodeItems;                 // by display index
    std::vector<EdgeItem*> m_edgeItems;                 // by display edge index
    std::unordered_map<int, std::vector<int>> m_edgesOf; // display index -> edges
    std::vector<EdgeItem*> m_highlighted;
    std::function<QColor(NodeId)> m_colouring;
    bool m_syncing = false;
};

} // namespace tessera::studio

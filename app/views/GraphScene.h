#pragma once
// The scene of the graph view: one NodeItem per drawn display node, one GroupItem per
// collapsed block and one EdgeItem per (aggregated) edge, placed by the last layout. Keeps
// the scene's selection and the shared SelectionModel in step in both directions: a
// selected node hidden in a collapsed block selects its block.
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

    // `blocks` is the collapsed view the layout was made for (none: every display node).
    void build(const DocumentPtr& doc, const LayoutResult& layout, const BlockSnapshot& blocks = {});
    void clearGraph();
    const DocumentPtr& document() const { return m_doc; }
    const BlockSnapshot& blocks() const { return m_blocks; }
    // Drawn node cards (display nodes not hidden in a block), in layout order.
    int nodeItemCount() const { return static_cast<int>(m_nodeItems.size()); }
    int groupItemCount() const { return static_cast<int>(m_groupItems.size()); }
    GroupItem* groupItemAt(int index) const { return m_groupItems.at(index); }
    // Every box (node cards and blocks) by layout item index.
    const std::vector<NodeItem*>& boxItems() const { return m_boxItems; }
    // Node ids below are of the project's document, also while View > Show As Imported
    // draws the file's graph (where an Identity folded away has no such id).
    // The card of a node, nullptr when it is hidden in a collapsed block (or not drawn).
    NodeItem* itemForNode(NodeId node) const;
    // The collapsed block hiding a node, nullptr when the node has its own card.
    GroupItem* groupForNode(NodeId node) const;
    GroupItem* groupForScope(int scope) const;
    int frameItemCount() const { return static_cast<int>(m_frameItems.size()); }
    ScopeFrameItem* frameForScope(int scope) const; // an expanded block's frame, or nullptr
    // The region of a scope's members (cards and blocks), empty when none is drawn.
    QRectF scopeRect(int scope) const;
    // The pill of a graph input/output (its input pill when it is both), or nullptr.
    NodeItem* itemForValue(ValueId value) const;
    NodeItem* itemAt(int index) const { return m_nodeItems.at(index); }
    // Overrides op node colours (e.g. by quantization bits): `colour` returns the colour of
    // a node or an invalid QColor to keep its placement colour; nullptr restores all.
    // Kept across rebuilds.
    void setNodeColouring(std::function<QColor(NodeId)> colour);
    // Tensor dims as labels on every edge (View > Tensor Shapes on Edges); kept across rebuilds.
    void setEdgeShapesShown(bool on);
    bool edgeShapesShown() const { return m_edgeShapes; }
    const std::vector<EdgeItem*>& edgeItems() const { return m_edgeItems; }

signals:
    void revealRequested(const QRectF& rect);
    void built();
    // Expand / collapse one block (double-click or "+" on a block, context menu).
    void scopeCollapseRequested(int scope, bool collapsed);
    // A node to reveal is hidden in a collapsed block (search, summary click).
    void hiddenNodeRevealRequested(NodeId node);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) override;
    void contextMenuEvent(QGraphicsSceneContextMenuEvent* event) override;

private:
    void onSceneSelectionChanged();
    void onModelSelectionChanged(NodeId current, bool reveal);
    void highlightEdges(const QVector<int>& displayIndices);
    QVector<int> itemIndicesOf(const QVector<NodeId>& nodes) const;
    NodeItem* boxForNode(NodeId node) const; // its card or its block
    NodeItem* boxForShown(NodeId shownNode) const;
    // Node ids of the project's document <-> of the drawn one (they differ while the
    // as-imported graph is drawn); kNoNode when the node is in one graph only.
    NodeId toShown(NodeId node) const;
    NodeId toModel(NodeId shownNode) const;
    QVector<NodeId> modelNodes(const QVector<NodeId>& shownNodes) const;
    GroupItem* groupAt(const QPointF& scenePos) const;
    void addScopeFrames();

    ProjectModel* m_model;
    DocumentPtr m_doc;
    BlockSnapshot m_blocks;
    std::vector<NodeItem*> m_nodeItems;                 // drawn cards
    std::vector<GroupItem*> m_groupItems;               // collapsed blocks
    std::vector<NodeItem*> m_boxItems;                  // by layout item index
    std::vector<ScopeFrameItem*> m_frameItems;          // expanded blocks
    std::vector<EdgeItem*> m_edgeItems;                 // by layout edge index
    std::unordered_map<int, std::vector<int>> m_edgesOf; // layout item index -> edges
    std::vector<EdgeItem*> m_highlighted;
    std::function<QColor(NodeId)> m_colouring;
    bool m_syncing = false;
    bool m_edgeShapes = false;
    NodeId m_pendingReveal = kNoNode; // hidden node to reveal once its block is expanded
};

} // namespace tessera::studio

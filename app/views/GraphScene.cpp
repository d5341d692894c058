#include "app/views/GraphScene.h"

namespace tessera::studio {

GraphScene::GraphScene(ProjectModel* model, QObject* parent) : QGraphicsScene(parent), m_model(model)
{
    setBackgroundBrush(style::canvasColor());
    connect(this, &QGraphicsScene::selectionChanged, this, &GraphScene::onSceneSelectionChanged);
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &GraphScene::onModelSelectionChanged);
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        if (m_model->document() != m_doc)
            clearGraph();
    });
}

GraphScene::~GraphScene()
{
    // Deleting selected items emits selectionChanged; this part of the object is gone then.
    disconnect(this, nullptr, this, nullptr);
    clearGraph();
}

void GraphScene::clearGraph()
{
    m_syncing = true;
    clear();
    m_syncing = false;
    m_nodeItems.clear();
    m_edgeItems.clear();
    m_edgesOf.clear();
    m_highlighted.clear();
    m_doc.reset();
}

void GraphScene::build(const DocumentPtr& doc, const LayoutResult& layout)
{
    clearGraph();
    m_doc = doc;
    const auto& nodes = doc->displayNodes();
    const auto& edges = doc->displayEdges();
    // Indexing while thousands of items are added is slow; index once at the end.
    setItemIndexMethod(NoIndex);
    m_nodeItems.reserve(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
        NodeLabel label = nodeLabel(*doc, nodes[i]);
        const QSizeF size = i < layout.sizes.size() ? layout.sizes[i] : nodeSize(label);
        auto* item = new NodeItem(static_cast<int>(i), nodes[i], std::move(label), nodeColor(*doc, nodes[i]), size);
        item->setPos(layout.centers.at(i));
        if (nodes[i].kind == DisplayKind::Op) {
            const auto& placement = doc->analysis(nodes[i].node).placement;
            item->setToolTip(QString("%1 — %2").arg(placementName(placement.placement),
                                                    QString::fromStdString(placement.reason)));
        }
        addItem(item);
        m_nodeItems.push_back(item);
    }
    m_edgeItems.reserve(edges.size());
    for (size_t e = 0; e < edges.size(); ++e) {
        const Value& v = doc->graph().value(edges[e].value);
        auto* item = new EdgeItem(layout.edgePaths.at(e), QString("%1: %2").arg(QString::fromStdString(v.name),
                                                                                tensorTypeText(v)));
        addItem(item);
        m_edgeItems.push_back(item);
        m_edgesOf[edges[e].from].push_back(static_cast<int>(e));
        m_edgesOf[edges[e].to].push_back(static_cast<int>(e));
    }
    setItemIndexMethod(BspTreeIndex);
    setSceneRect(layout.bounds.adjusted(-60, -60, 60, 60));
    onModelSelectionChanged(m_model->selection()->current(), false);
    if (m_colouring)
        setNodeColouring(m_colouring);
    emit built();
}

void GraphScene::setNodeColouring(std::function<QColor(NodeId)> colour)
{
    m_colouring = std::move(colour);
    if (!m_doc)
        return;
    for (NodeItem* item : m_nodeItems) {
        const QColor c = m_colouring && item->nodeId() != kNoNode ? m_colouring(item->nodeId()) : QColor();
        item->setColor(c.isValid() ? c : nodeColor(*m_doc, item->displayNode()));
    }
}

NodeItem* GraphScene::itemForNode(NodeId node) const
{
    if (!m_doc)
        return nullptr;
    const int index = m_doc->displayIndexOf(node);
    return index >= 0 && index < static_cast<int>(m_nodeItems.size()) ? m_nodeItems[index] : nullptr;
}

void GraphScene::onSceneSelectionChanged()
{
    if (m_syncing)
        return;
    QVector<NodeId> nodes;
    for (QGraphicsItem* item : selectedItems())
        if (auto* node = qgraphicsitem_cast<NodeItem*>(item); node && node->nodeId() != kNoNode)
            nodes.append(node->nodeId());
    m_syncing = true;
    if (nodes.size() == 1)
        m_model->selection()->select(nodes.first(), false);
    else
        m_model->selection()->setSelection(nodes);
    m_syncing = false;
    highlightEdges(nodes);
}

void GraphScene::onModelSelectionChanged(NodeId current, bool reveal)
{
    if (!m_doc)
        return;
    const QVector<NodeId>& selected = m_model->selection()->selected();
    if (!m_syncing) {
        m_syncing = true;
        clearSelection();
        for (NodeId id : selected)
            if (NodeItem* item = itemForNode(id))
                item->setSelected(true);
        m_syncing = false;
        highlightEdges(selected);
    }
    if (reveal)
        if (NodeItem* item = itemForNode(current))
            emit revealRequested(item->sceneBoundingRect());
}

void GraphScene::highlightEdges(const QVector<NodeId>& nodes)
{
    for (EdgeItem* e : m_highlighted)
        e->setHighlighted(false);
    m_highlighted.clear();
    for (NodeId id : nodes) {
        auto it = m_edgesOf.find(m_doc->displayIndexOf(id));
        if (it == m_edgesOf.end())
            continue;
        for (int e : it->second) {
            m_edgeItems[e]->setHighlighted(true);
            m_highlighted.push_back(m_edgeItems[e]);
        }
    }
}

} // namespace tessera::studio

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

NodeItem* GraphScene::itemForValue(ValueId value) const
{
    if (value == kNoValue)
        return nullptr;
    for (NodeItem* item : m_nodeItems)
        if (item->displayNode().kind != DisplayKind::Op && item->displayNode().value == value)
            return item;
    return nullptr;
}

void GraphScene::onSceneSelectionChanged()
{
    if (m_syncing)
        return;
    QVector<NodeId> nodes;
    QVector<int> indices;
    ValueId value = kNoValue;
    for (QGraphicsItem* item : selectedItems()) {
        auto* node = qgraphicsitem_cast<NodeItem*>(item);
        if (!node)
            continue;
        indices.append(node->displayIndex());
        if (node->nodeId() != kNoNode)
            nodes.append(node->nodeId());
        else
            value = node->displayNode().value;
    }
    m_syncing = true;
    if (nodes.isEmpty() && indices.size() == 1)
        m_model->selection()->selectValue(value, false);
    else if (nodes.size() == 1)
        m_model->selection()->select(nodes.first(), false);
    else
        m_model->selection()->setSelection(nodes);
    m_syncing = false;
    highlightEdges(indices);
}

void GraphScene::onModelSelectionChanged(NodeId current, bool reveal)
{
    if (!m_doc)
        return;
    const SelectionModel* selection = m_model->selection();
    NodeItem* valueItem = itemForValue(selection->currentValue());
    if (!m_syncing) {
        m_syncing = true;
        clearSelection();
        for (NodeId id : selection->selected())
            if (NodeItem* item = itemForNode(id))
                item->setSelected(true);
        if (valueItem)
            valueItem->setSelected(true);
        m_syncing = false;
        QVector<int> indices = displayIndicesOf(selection->selected());
        if (valueItem)
            indices.append(valueItem->displayIndex());
        highlightEdges(indices);
    }
    NodeItem* shown = valueItem ? valueItem : itemForNode(current);
    if (reveal && shown)
        emit revealRequested(shown->sceneBoundingRect());
}

QVector<int> GraphScene::displayIndicesOf(const QVector<NodeId>& nodes) const
{
    QVector<int> indices;
    for (NodeId id : nodes)
        indices.append(m_doc->displayIndexOf(id));
    return indices;
}

void GraphScene::highlightEdges(const QVector<int>& displayIndices)
{
    for (EdgeItem* e : m_highlighted)
        e->setHighlighted(false);
    m_highlighted.clear();
    for (int index : displayIndices) {
        auto it = m_edgesOf.find(index);
        if (it == m_edgesOf.end())
            continue;
        for (int e : it->second) {
            m_edgeItems[e]->setHighlighted(true);
            m_highlighted.push_back(m_edgeItems[e]);
        }
    }
}

} // namespace tessera::studio

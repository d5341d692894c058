#include "app/views/GraphScene.h"

#include <QGraphicsSceneContextMenuEvent>
#include <QGraphicsSceneMouseEvent>
#include <QMenu>

#include <algorithm>

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
    m_groupItems.clear();
    m_boxItems.clear();
    m_frameItems.clear();
    m_edgeItems.clear();
    m_edgesOf.clear();
    m_highlighted.clear();
    m_doc.reset();
    m_blocks = {};
}

void GraphScene::build(const DocumentPtr& doc, const LayoutResult& layout, const BlockSnapshot& blocks)
{
    clearGraph();
    m_doc = doc;
    m_blocks = blocks;
    if (!m_blocks.view) // every display node drawn
        m_blocks.view = std::make_shared<const BlockView>(*doc, nullptr, std::vector<char>{});
    const auto& nodes = doc->displayNodes();
    const auto& items = m_blocks.view->items();
    // Indexing while thousands of items are added is slow; index once at the end.
    setItemIndexMethod(NoIndex);
    m_boxItems.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        const QSizeF size = i < layout.sizes.size() ? layout.sizes[i] : blockItemSize(*doc, m_blocks, static_cast<int>(i));
        NodeItem* item = nullptr;
        if (items[i].scope >= 0) {
            const BlockScope& scope = m_blocks.tree->scope(items[i].scope);
            auto* group = new GroupItem(items[i].scope, QString::fromStdString(scope.path), groupLabel(scope),
                                        groupColor(scope), size);
            m_groupItems.push_back(group);
            item = group;
        } else {
            const DisplayNode& node = nodes[items[i].display];
            item = new NodeItem(items[i].display, node, nodeLabel(*doc, node), nodeColor(*doc, node), size);
            if (node.kind == DisplayKind::Op) {
                const auto& placement = doc->analysis(node.node).placement;
                item->setToolTip(QString("%1 — %2").arg(placementName(placement.placement),
                                                        QString::fromStdString(placement.reason)));
            }
            m_nodeItems.push_back(item);
        }
        item->setPos(layout.centers.at(i));
        addItem(item);
        m_boxItems.push_back(item);
    }
    const auto& edges = m_blocks.view->edges();
    m_edgeItems.reserve(edges.size());
    for (size_t e = 0; e < edges.size(); ++e) {
        const Value& v = doc->graph().value(edges[e].value);
        QString text = QString("%1: %2").arg(QString::fromStdString(v.name), tensorTypeText(v));
        if (edges[e].count > 1)
            text += tr("  (+%1 more tensors)").arg(edges[e].count - 1);
        auto* item = new EdgeItem(layout.edgePaths.at(e), text, shapeText(v.shape));
        item->setShapeLabelShown(m_edgeShapes);
        addItem(item);
        m_edgeItems.push_back(item);
        m_edgesOf[edges[e].from].push_back(static_cast<int>(e));
        m_edgesOf[edges[e].to].push_back(static_cast<int>(e));
    }
    addScopeFrames();
    setItemIndexMethod(BspTreeIndex);
    setSceneRect(layout.bounds.adjusted(-60, -60, 60, 60));
    const NodeId current = m_model->selection()->current();
    const bool revealNow = current != kNoNode && current == m_pendingReveal && itemForNode(current);
    m_pendingReveal = kNoNode;
    onModelSelectionChanged(current, revealNow);
    if (m_colouring)
        setNodeColouring(m_colouring);
    emit built();
}

void GraphScene::setEdgeShapesShown(bool on)
{
    m_edgeShapes = on;
    for (EdgeItem* edge : m_edgeItems)
        edge->setShapeLabelShown(on);
}

void GraphScene::setNodeColouring(std::function<QColor(NodeId)> colour)
{
    m_colouring = std::move(colour);
    if (!m_doc)
        return;
    for (NodeItem* item : m_nodeItems) {
        const NodeId node = toModel(item->nodeId());
        const QColor c = m_colouring && node != kNoNode ? m_colouring(node) : QColor();
        item->setColor(c.isValid() ? c : nodeColor(*m_doc, item->displayNode()));
    }
}

NodeId GraphScene::toShown(NodeId node) const
{
    return m_doc && m_doc->isAsImported() ? m_doc->importedNodeOf(node) : node;
}

NodeId GraphScene::toModel(NodeId shownNode) const
{
    return m_doc && m_doc->isAsImported() ? m_doc->cleanedNodeOf(shownNode) : shownNode;
}

NodeItem* GraphScene::boxForNode(NodeId node) const
{
    return boxForShown(toShown(node));
}

NodeItem* GraphScene::boxForShown(NodeId shownNode) const
{
    if (!m_doc)
        return nullptr;
    const int index = m_doc->displayIndexOf(shownNode);
    if (index < 0 || index >= static_cast<int>(m_doc->displayNodes().size()))
        return nullptr;
    return m_boxItems.at(m_blocks.view->itemOfDisplay(index));
}

NodeItem* GraphScene::itemForNode(NodeId node) const
{
    NodeItem* box = boxForNode(node);
    return box && box->type() == NodeItem::Type ? box : nullptr;
}

GroupItem* GraphScene::groupForNode(NodeId node) const
{
    NodeItem* box = boxForNode(node);
    return box && box->type() == GroupItem::Type ? static_cast<GroupItem*>(box) : nullptr;
}

void GraphScene::addScopeFrames()
{
    // Only while blocks are collapsed: a frame for each expanded block with a card or block
    // of its own inside (a graph drawn whole has none).
    constexpr size_t kMaxFrames = 200;
    const std::vector<char>& collapsed = m_blocks.view->collapsed();
    if (!m_blocks.tree || collapsed.empty())
        return;
    for (size_t s = 0; s < collapsed.size() && m_frameItems.size() < kMaxFrames; ++s) {
        const BlockScope& scope = m_blocks.tree->scope(static_cast<int>(s));
        if (collapsed[s] || !m_blocks.tree->collapsible(static_cast<int>(s)))
            continue;
        QRectF rect;
        bool hidden = false; // inside a collapsed outer block
        for (int display : scope.members) {
            const int item = m_blocks.view->itemOfDisplay(display);
            const int itemScope = m_blocks.view->items()[item].scope;
            hidden = itemScope >= 0 && m_blocks.tree->scope(itemScope).depth < scope.depth;
            if (hidden)
                break;
            rect |= m_boxItems[item]->sceneBoundingRect();
        }
        if (hidden || rect.isEmpty())
            continue;
        auto* frame = new ScopeFrameItem(static_cast<int>(s), QString::fromStdString(scope.path), groupColor(scope), rect,
                                         scope.depth);
        addItem(frame);
        m_frameItems.push_back(frame);
    }
}

ScopeFrameItem* GraphScene::frameForScope(int scope) const
{
    for (ScopeFrameItem* frame : m_frameItems)
        if (frame->scope() == scope)
            return frame;
    return nullptr;
}

GroupItem* GraphScene::groupForScope(int scope) const
{
    const int item = m_blocks.view ? m_blocks.view->itemOfScope(scope) : -1;
    return item >= 0 ? static_cast<GroupItem*>(m_boxItems.at(item)) : nullptr;
}

QRectF GraphScene::scopeRect(int scope) const
{
    QRectF rect;
    if (!m_blocks.tree || scope < 0 || scope >= static_cast<int>(m_blocks.tree->scopes().size()))
        return rect;
    for (int display : m_blocks.tree->scope(scope).members)
        rect |= m_boxItems.at(m_blocks.view->itemOfDisplay(display))->sceneBoundingRect();
    return rect;
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
        if (auto* group = qgraphicsitem_cast<GroupItem*>(item)) { // a block selects its nodes
            indices.append(m_blocks.view->itemOfScope(group->scope()));
            for (int display : m_blocks.tree->scope(group->scope()).members)
                nodes.append(m_doc->displayNodes()[display].node);
            continue;
        }
        auto* node = qgraphicsitem_cast<NodeItem*>(item);
        if (!node)
            continue;
        indices.append(m_blocks.view->itemOfDisplay(node->displayIndex()));
        if (node->nodeId() != kNoNode)
            nodes.append(node->nodeId());
        else
            value = node->displayNode().value;
    }
    m_syncing = true;
    if (m_doc->isAsImported() && nodes.size() == 1 && indices.size() == 1)
        m_model->selection()->selectImported(nodes.first(), toModel(nodes.first()));
    else if (nodes.isEmpty() && indices.size() == 1)
        m_model->selection()->selectValue(value, false);
    else if (nodes.size() == 1)
        m_model->selection()->select(nodes.first(), false);
    else
        m_model->selection()->setSelection(modelNodes(nodes));
    m_syncing = false;
    highlightEdges(indices);
}

QVector<NodeId> GraphScene::modelNodes(const QVector<NodeId>& shownNodes) const
{
    QVector<NodeId> nodes;
    for (NodeId id : shownNodes)
        if (toModel(id) != kNoNode)
            nodes.append(toModel(id));
    return nodes;
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
            if (NodeItem* item = boxForNode(id))
                item->setSelected(true);
        if (valueItem)
            valueItem->setSelected(true);
        NodeItem* imported = m_doc->isAsImported() ? boxForShown(selection->importedNode()) : nullptr;
        if (imported)
            imported->setSelected(true);
        m_syncing = false;
        QVector<int> indices = itemIndicesOf(selection->selected());
        if (imported)
            indices.append(m_blocks.view->itemOfDisplay(imported->displayIndex()));
        if (valueItem)
            indices.append(m_blocks.view->itemOfDisplay(valueItem->displayIndex()));
        highlightEdges(indices);
    }
    if (reveal && !valueItem && current != kNoNode && groupForNode(current)) {
        // Hidden in a block: have it expanded; the next build reveals the node.
        m_pendingReveal = current;
        emit hiddenNodeRevealRequested(toShown(current));
        return;
    }
    NodeItem* shown = valueItem ? valueItem : boxForNode(current);
    if (reveal && shown)
        emit revealRequested(shown->sceneBoundingRect());
}

QVector<int> GraphScene::itemIndicesOf(const QVector<NodeId>& nodes) const
{
    QVector<int> indices;
    for (NodeId id : nodes) {
        const int display = m_doc->displayIndexOf(toShown(id));
        if (display >= 0)
            indices.append(m_blocks.view->itemOfDisplay(display));
    }
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    return indices;
}

GroupItem* GraphScene::groupAt(const QPointF& scenePos) const
{
    for (QGraphicsItem* item : items(scenePos))
        if (auto* group = qgraphicsitem_cast<GroupItem*>(item))
            return group;
    return nullptr;
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* event)
{
    GroupItem* group = event->button() == Qt::LeftButton ? groupAt(event->scenePos()) : nullptr;
    if (group && group->expandButtonRect().contains(group->mapFromScene(event->scenePos()))) {
        emit scopeCollapseRequested(group->scope(), false);
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton && !group)
        for (ScopeFrameItem* frame : m_frameItems) // the innermost frame's "−" is on top
            if (frame->collapseButtonRect().contains(event->scenePos())) {
                emit scopeCollapseRequested(frame->scope(), true);
                event->accept();
                return;
            }
    QGraphicsScene::mousePressEvent(event);
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event)
{
    if (GroupItem* group = groupAt(event->scenePos())) {
        emit scopeCollapseRequested(group->scope(), false);
        event->accept();
        return;
    }
    QGraphicsScene::mouseDoubleClickEvent(event);
}

void GraphScene::contextMenuEvent(QGraphicsSceneContextMenuEvent* event)
{
    if (!m_blocks.tree)
        return;
    QMenu menu;
    if (GroupItem* group = groupAt(event->scenePos())) {
        menu.addAction(tr("Expand %1").arg(group->path()), this,
                       [this, s = group->scope()] { emit scopeCollapseRequested(s, false); });
        for (int s = m_blocks.tree->scope(group->scope()).parent; s >= 0; s = m_blocks.tree->scope(s).parent)
            menu.addAction(tr("Collapse %1").arg(QString::fromStdString(m_blocks.tree->scope(s).path)), this,
                           [this, s] { emit scopeCollapseRequested(s, true); });
    } else {
        for (QGraphicsItem* item : items(event->scenePos())) {
            auto* node = qgraphicsitem_cast<NodeItem*>(item);
            if (!node)
                continue;
            for (int s = m_blocks.tree->scopeOf(node->displayIndex()); s >= 0; s = m_blocks.tree->scope(s).parent)
                if (m_blocks.tree->collapsible(s))
                    menu.addAction(tr("Collapse %1").arg(QString::fromStdString(m_blocks.tree->scope(s).path)), this,
                                   [this, s] { emit scopeCollapseRequested(s, true); });
            break;
        }
    }
    if (!menu.isEmpty())
        menu.exec(event->screenPos());
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

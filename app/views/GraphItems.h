#pragma once
// Scene items for the graph view. Painting degrades with zoom (level of detail) so an
// 8,000-node graph fitted to the window paints as plain coloured boxes.
#include "app/views/NodeStyle.h"

#include <QGraphicsItem>

namespace tessera::studio {

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    NodeItem(int displayIndex, const DisplayNode& node, NodeLabel label, QColor color, QSizeF size);

    int type() const override { return Type; }
    int displayIndex() const { return m_index; }
    NodeId nodeId() const { return m_node.node; }
    const DisplayNode& displayNode() const { return m_node; }
    const NodeLabel& label() const { return m_label; }
    const QColor& color() const { return m_color; }
    void setColor(const QColor& color)
    {
        m_color = color;
        update();
    }
    QRectF boundingRect() const override { return m_rect; }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    int m_index;
    DisplayNode m_node;
    NodeLabel m_label;
    QColor m_color;
    QRectF m_rect;
};

// A collapsed block (name scope): one box with the scope's name, node count, analog MACs
// and params, drawn as a stack of cards; its "+" (or a double-click) expands it.
class GroupItem : public NodeItem {
public:
    enum { Type = UserType + 3 };
    GroupItem(int scope, QString path, NodeLabel label, QColor color, QSizeF size);

    int type() const override { return Type; }
    int scope() const { return m_scope; }
    const QString& path() const { return m_path; }
    // The "+" button in the header, in item coordinates.
    QRectF expandButtonRect() const;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int m_scope;
    QString m_path;
};

// The frame behind the members of an expanded block: its name and a "−" that collapses it.
// Presses fall through to the scene (pan, rubber band) except on the "−".
class ScopeFrameItem : public QGraphicsItem {
public:
    enum { Type = UserType + 4 };
    ScopeFrameItem(int scope, QString path, QColor color, const QRectF& membersRect, int depth);

    int type() const override { return Type; }
    int scope() const { return m_scope; }
    QRectF collapseButtonRect() const;
    QRectF boundingRect() const override { return m_rect; }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int m_scope;
    QString m_path;
    QColor m_color;
    QRectF m_rect;
};

class EdgeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };
    // `shapeLabel`: the tensor's dims, drawn next to the edge while labels are shown.
    EdgeItem(QPainterPath path, QString tensorText, QString shapeLabel = {});

    int type() const override { return Type; }
    const QString& tensorText() const { return m_text; }
    void setShapeLabelShown(bool on);
    bool shapeLabelShown() const { return m_labelShown; }
    QRectF boundingRect() const override { return m_bounds; }
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    void setHighlighted(bool on);

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent* event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    QPainterPath m_path;
    QString m_text;
    QString m_shapeLabel;
    QRectF m_labelRect; // where the shape label goes (scene units)
    QRectF m_bounds;
    bool m_labelShown = false;
    bool m_hovered = false;
    bool m_highlighted = false;
};

} // namespace tessera::studio

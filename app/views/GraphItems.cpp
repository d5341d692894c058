#include "app/views/GraphItems.h"

#include <QFontMetricsF>
#include <QObject>
#include <QGraphicsSceneHoverEvent>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>
#include <QtMath>

namespace tessera::studio {

NodeItem::NodeItem(int displayIndex, const DisplayNode& node, NodeLabel label, QColor color, QSizeF size)
    : m_index(displayIndex), m_node(node), m_label(std::move(label)), m_color(color),
      m_rect(-size.width() / 2, -size.height() / 2, size.width(), size.height())
{
    setFlags(ItemIsSelectable);
    setZValue(1);
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const bool selected = isSelected();
    if (lod < 0.3) { // far away: a coloured block is all that reads
        painter->fillRect(m_rect, selected ? style::highlightColor() : m_color);
        return;
    }
    const bool pill = m_node.kind != DisplayKind::Op;
    const double radius = pill ? m_rect.height() / 2 : 5;
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.6);
    QPen border(selected ? style::highlightColor() : m_color.darker(130), selected ? 3 : 1);
    painter->setPen(border);
    painter->setBrush(pill ? style::pillColor() : style::surfaceColor());
    painter->drawRoundedRect(m_rect, radius, radius);
    if (lod < style::kLabelZoom) {
        painter->fillRect(QRectF(m_rect.left(), m_rect.top(), m_rect.width(), style::kHeaderHeight).adjusted(1, 1, -1, 0),
                          m_color);
        return;
    }
    // Header band with the op type.
    QPainterPath header;
    header.setFillRule(Qt::WindingFill); // the two shapes overlap; keep the union
    QRectF head(m_rect.left(), m_rect.top(), m_rect.width(), style::kHeaderHeight);
    if (pill) {
        header.addRoundedRect(m_rect, radius, radius);
    } else {
        header.addRoundedRect(head, radius, radius);
        header.addRect(head.adjusted(0, radius, 0, 0));
    }
    painter->setPen(Qt::NoPen);
    painter->setBrush(pill ? style::pillColor() : m_color);
    painter->drawPath(header);
    painter->setPen(pill ? style::mix(m_color, style::textColor(), 0.5) : QColor(Qt::white));
    painter->setFont(style::titleFont());
    painter->drawText(head, Qt::AlignCenter, m_label.title);
    painter->setFont(style::bodyFont());
    painter->setPen(style::textColor());
    QRectF line(m_rect.left() + 4, head.bottom() + 1, m_rect.width() - 8, style::kLineHeight);
    painter->drawText(line, Qt::AlignCenter, m_label.name);
    painter->setPen(style::subtleTextColor());
    painter->drawText(line.translated(0, style::kLineHeight), Qt::AlignCenter, m_label.shape);
    if (selected) { // redraw the border on top of the header
        painter->setPen(border);
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(m_rect, radius, radius);
    }
}

GroupItem::GroupItem(int scope, QString path, NodeLabel label, QColor color, QSizeF size)
    : NodeItem(-1, DisplayNode{}, std::move(label), color, size), m_scope(scope), m_path(std::move(path))
{
    setToolTip(QObject::tr("%1 — %2, %3\nDouble-click or + to expand").arg(m_path, m_label.name, m_label.shape));
}

QRectF GroupItem::expandButtonRect() const
{
    const double e = style::kGroupExtra;
    return QRectF(m_rect.right() - e - style::kHeaderHeight, m_rect.top(), style::kHeaderHeight, style::kHeaderHeight);
}

void GroupItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const bool selected = isSelected();
    const double e = style::kGroupExtra;
    const QRectF card = m_rect.adjusted(0, 0, -e, -e);
    if (lod < 0.3) {
        painter->fillRect(card.translated(e, e), m_color.darker(140));
        painter->fillRect(card, selected ? style::highlightColor() : m_color);
        return;
    }
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.6);
    const QPen border(selected ? style::highlightColor() : m_color.darker(130), selected ? 3 : 1.5);
    painter->setPen(QPen(m_color.darker(130), 1));
    painter->setBrush(style::mix(style::surfaceColor(), m_color, 0.25));
    for (double offset : {e, e / 2}) // the stack behind the front card
        painter->drawRoundedRect(card.translated(offset, offset), 5, 5);
    painter->setPen(border);
    painter->setBrush(style::surfaceColor());
    painter->drawRoundedRect(card, 5, 5);
    const QRectF head(card.left(), card.top(), card.width(), style::kHeaderHeight);
    QPainterPath header;
    header.setFillRule(Qt::WindingFill);
    header.addRoundedRect(head, 5, 5);
    header.addRect(head.adjusted(0, 5, 0, 0));
    painter->setPen(Qt::NoPen);
    painter->setBrush(m_color);
    painter->drawPath(header);
    if (lod < style::kLabelZoom)
        return;
    painter->setPen(QColor(Qt::white));
    painter->setFont(style::titleFont());
    painter->drawText(head.adjusted(6, 0, -style::kHeaderHeight, 0), Qt::AlignVCenter | Qt::AlignLeft, m_label.title);
    painter->drawText(expandButtonRect(), Qt::AlignCenter, QStringLiteral("+"));
    painter->setFont(style::bodyFont());
    painter->setPen(style::textColor());
    const QRectF line(card.left() + 4, head.bottom() + 1, card.width() - 8, style::kLineHeight);
    painter->drawText(line, Qt::AlignCenter, m_label.name);
    painter->setPen(style::subtleTextColor());
    painter->drawText(line.translated(0, style::kLineHeight), Qt::AlignCenter, m_label.shape);
    if (selected) {
        painter->setPen(border);
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(card, 5, 5);
    }
}

ScopeFrameItem::ScopeFrameItem(int scope, QString path, QColor color, const QRectF& membersRect, int depth)
    : m_scope(scope), m_path(std::move(path)), m_color(color)
{
    const double pad = std::max(4.0, 12.0 - 3.0 * depth); // nested frames stay inside their parent
    m_rect = membersRect.adjusted(-pad, -pad - style::kLineHeight, pad, pad);
    setZValue(-1 + 0.01 * depth);
    setAcceptedMouseButtons(Qt::NoButton);
    setToolTip(QObject::tr("%1 (expanded): − collapses it").arg(m_path));
}

QRectF ScopeFrameItem::collapseButtonRect() const
{
    return QRectF(m_rect.left() + 2, m_rect.top() + 1, style::kLineHeight, style::kLineHeight);
}

void ScopeFrameItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    QColor fill = m_color;
    fill.setAlpha(style::isDarkPalette() ? 40 : 22);
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.6);
    painter->setPen(QPen(m_color, 1, Qt::DashLine));
    painter->setBrush(fill);
    painter->drawRoundedRect(m_rect, 8, 8);
    if (lod < style::kLabelZoom)
        return;
    painter->setFont(style::titleFont());
    painter->setPen(m_color.darker(style::isDarkPalette() ? 70 : 130));
    painter->drawText(collapseButtonRect(), Qt::AlignCenter, QStringLiteral("\u2212"));
    painter->drawText(QRectF(collapseButtonRect().right() + 2, m_rect.top() + 1, m_rect.width() - 24, style::kLineHeight),
                      Qt::AlignVCenter | Qt::AlignLeft, m_path);
}

EdgeItem::EdgeItem(QPainterPath path, QString tensorText, QString shapeLabel)
    : m_path(std::move(path)), m_text(std::move(tensorText)), m_shapeLabel(std::move(shapeLabel))
{
    // Measuring every label would cost as much as the layout: 7 px a character is an upper
    // bound of the body font's digits and "×".
    const QPointF mid = m_path.pointAtPercent(0.5);
    m_labelRect = QRectF(mid + QPointF(4, -8), QSizeF(m_shapeLabel.size() * 7.0 + 8, 16));
    m_bounds = m_path.controlPointRect().adjusted(-6, -6, 6, 6) | m_labelRect;
    setAcceptHoverEvents(true);
    setZValue(0);
}

QPainterPath EdgeItem::shape() const
{
    QPainterPathStroker stroker;
    stroker.setWidth(8);
    return stroker.createStroke(m_path);
}

void EdgeItem::setShapeLabelShown(bool on)
{
    if (m_labelShown == on)
        return;
    m_labelShown = on;
    update();
}

void EdgeItem::setHighlighted(bool on)
{
    if (m_highlighted == on)
        return;
    m_highlighted = on;
    update();
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const bool strong = m_hovered || m_highlighted;
    const QColor color = strong ? style::highlightColor() : style::edgeColor();
    if (lod < 0.3) {
        painter->setPen(QPen(color, 0)); // cosmetic hairline
        if (lod < 0.12) // a whole big graph on screen: straight lines read the same, far cheaper
            painter->drawLine(m_path.elementAt(0), m_path.currentPosition());
        else
            painter->drawPath(m_path);
        return;
    }
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(QPen(color, strong ? 2.5 : 1.3));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(m_path);
    // Arrowhead at the target end.
    const QPointF tip = m_path.pointAtPercent(1.0);
    const double angle = qDegreesToRadians(m_path.angleAtPercent(0.98));
    const QPointF dir(std::cos(angle), -std::sin(angle));
    const QPointF normal(-dir.y(), dir.x());
    QPolygonF head{tip, tip - dir * 8 + normal * 4, tip - dir * 8 - normal * 4};
    painter->setPen(Qt::NoPen);
    painter->setBrush(color);
    painter->drawPolygon(head);
    if (m_labelShown && !m_hovered && !m_shapeLabel.isEmpty() && lod >= style::kLabelZoom) {
        painter->setFont(style::bodyFont());
        painter->setPen(Qt::NoPen);
        painter->setBrush(style::canvasColor());
        QFontMetricsF fm(painter->font());
        const QRectF box(m_labelRect.topLeft(), QSizeF(std::min(m_labelRect.width(), fm.horizontalAdvance(m_shapeLabel) + 6),
                                                     m_labelRect.height()));
        painter->drawRect(box);
        painter->setPen(style::subtleTextColor());
        painter->drawText(box, Qt::AlignCenter, m_shapeLabel);
    }
    if (m_hovered) { // the tensor's shape, next to the edge's middle
        painter->setFont(style::bodyFont());
        const QPointF mid = m_path.pointAtPercent(0.5);
        QFontMetricsF fm(painter->font());
        QRectF box(mid + QPointF(6, -9), QSizeF(fm.horizontalAdvance(m_text) + 8, 18));
        painter->setBrush(style::calloutColor());
        painter->setPen(QPen(style::highlightColor(), 1));
        painter->drawRoundedRect(box, 3, 3);
        painter->setPen(style::textColor());
        painter->drawText(box, Qt::AlignCenter, m_text);
    }
}

void EdgeItem::hoverEnterEvent(QGraphicsSceneHoverEvent*)
{
    prepareGeometryChange();
    m_hovered = true;
    QFontMetricsF fm(style::bodyFont());
    const QPointF mid = m_path.pointAtPercent(0.5);
    m_bounds |= QRectF(mid + QPointF(0, -12), QSizeF(fm.horizontalAdvance(m_text) + 24, 26));
    setZValue(2);
    setToolTip(m_text);
    update();
}

void EdgeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*)
{
    m_hovered = false;
    setZValue(0);
    update();
}

} // namespace tessera::studio

#include "app/views/NodeStyle.h"

#include <QFontMetricsF>
#include <QFile>
#include <QGuiApplication>
#include <QPainter>
#include <QSvgRenderer>

#include <algorithm>

namespace tessera::studio {

namespace style {

QColor placementColor(Placement placement)
{
    switch (placement) {
    case Placement::Analog: return QColor(0x1f, 0x9e, 0x89);      // teal: runs in the analog array
    case Placement::Digital: return QColor(0x3b, 0x6f, 0xc4);     // blue: tile SIMD engine
    case Placement::Unsupported: return QColor(0xd6, 0x3c, 0x3c); // red: cannot run
    }
    return QColor(Qt::gray);
}

QColor ioColor() { return QColor(0x6b, 0x72, 0x80); }
QColor highlightColor() { return QColor(0xf5, 0x9e, 0x0b); }

QColor mix(const QColor& a, const QColor& b, double t)
{
    const auto lerp = [t](double x, double y) { return x + (y - x) * t; };
    return QColor::fromRgbF(lerp(a.redF(), b.redF()), lerp(a.greenF(), b.greenF()), lerp(a.blueF(), b.blueF()),
                            lerp(a.alphaF(), b.alphaF()));
}

namespace {
QPalette palette()
{
    return qobject_cast<QGuiApplication*>(QCoreApplication::instance()) ? QGuiApplication::palette() : QPalette();
}
} // namespace

bool isDarkPalette() { return palette().color(QPalette::Window).lightness() < 128; }
QColor surfaceColor() { return palette().color(QPalette::Base); }
QColor textColor() { return palette().color(QPalette::Text); }
QColor canvasColor() { return mix(palette().color(QPalette::Base), palette().color(QPalette::Window), 0.35); }
QColor edgeColor() { return mix(textColor(), surfaceColor(), 0.5); }
QColor pillColor() { return mix(surfaceColor(), textColor(), 0.08); }
QColor subtleTextColor() { return mix(textColor(), surfaceColor(), 0.4); }
QColor gridColor() { return mix(textColor(), surfaceColor(), 0.85); }
QColor overlayBorderColor() { return mix(textColor(), surfaceColor(), 0.75); }
QColor calloutColor() { return tint(QColor(0xff, 0xfb, 0xeb)); }

QColor overlayColor()
{
    QColor c = surfaceColor();
    c.setAlpha(235);
    return c;
}

QColor tint(const QColor& light)
{
    return isDarkPalette() ? mix(surfaceColor(), light, 0.38) : light;
}

QColor onTheme(const QColor& light, const QColor& dark) { return isDarkPalette() ? dark : light; }
QColor warningTextColor() { return onTheme(QColor(0x99, 0x1b, 0x1b), QColor(0xfc, 0xa5, 0xa5)); }

QString subtleLabelCss()
{
    return QString("QLabel { color:%1; }").arg(subtleTextColor().name());
}

QIcon icon(const QString& name)
{
    QFile file(QString(":/icons/%1.svg").arg(name));
    if (!isDarkPalette() || !file.open(QIODevice::ReadOnly))
        return QIcon(file.fileName());
    const QByteArray svg = file.readAll().replace("#374151", textColor().name().toLatin1());
    QSvgRenderer renderer(svg);
    QIcon result;
    for (int size : {16, 24, 32, 48}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        renderer.render(&painter);
        painter.end();
        result.addPixmap(pixmap);
    }
    return result;
}

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe7, 0xea);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x8b, 0x90, 0x98));
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xd0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Light, QColor(0x3a, 0x3c, 0x41));
    p.setColor(QPalette::Midlight, QColor(0x33, 0x35, 0x3a));
    p.setColor(QPalette::Mid, QColor(0x24, 0x25, 0x28));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(0x6f, 0x73, 0x7a));
    return p;
}

QFont titleFont()
{
    QFont f;
    f.setPointSizeF(9.5);
    f.setBold(true);
    return f;
}

QFont bodyFont()
{
    QFont f;
    f.setPointSizeF(8.5);
    return f;
}

} // namespace style

QString shapeText(const Shape& shape)
{
    if (shape.empty())
        return QStringLiteral("scalar");
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    return dims.join(QChar(0x00D7));
}

QString tensorTypeText(const Value& value)
{
    return QString("%1 [%2]").arg(dtypeName(value.dtype), shapeText(value.shape));
}

namespace {

QString elide(const std::string& text, int maxChars)
{
    QString s = QString::fromStdString(text);
    if (s.size() <= maxChars)
        return s;
    // Keep the tail: exported names differ at the end ("/layer3/conv2/Conv").
    return QChar(0x2026) + s.right(maxChars - 1);
}

// A merged op in a box title: long names by their capitals ("BatchNormalization" -> "BN").
QString shortOpName(const std::string& op)
{
    QString name = QString::fromStdString(op);
    if (name.size() <= 12)
        return name;
    QString capitals;
    for (QChar c : name)
        if (c.isUpper())
            capitals += c;
    return capitals.size() >= 2 ? capitals : name.left(11) + QChar(0x2026);
}

// "Conv + BN + Relu": the op and what the cleanup merged into it (GraphDocument::mergedOps).
QString opTitle(const GraphDocument& doc, NodeId id)
{
    QString title = QString::fromStdString(doc.graph().node(id).opType);
    for (const std::string& op : doc.mergedOps(id))
        title += QStringLiteral(" + ") + shortOpName(op);
    return title;
}

} // namespace

NodeLabel nodeLabel(const GraphDocument& doc, const DisplayNode& node)
{
    const Graph& g = doc.graph();
    NodeLabel label;
    if (node.kind == DisplayKind::Op) {
        const Node& n = g.node(node.node);
        label.title = opTitle(doc, node.node);
        label.name = elide(n.name, 26);
        if (!n.outputs.empty()) {
            const Value& out = g.value(n.outputs[0]);
            label.shape = out.shape.empty() && out.dtype == DType::Undefined ? QStringLiteral("?") : shapeText(out.shape);
        }
    } else {
        const Value& v = g.value(node.value);
        label.title = node.kind == DisplayKind::GraphInput ? QStringLiteral("input") : QStringLiteral("output");
        label.name = elide(v.name, 26);
        label.shape = shapeText(v.shape);
    }
    return label;
}

namespace {

// Text width from per-character advances: shaping every label with QFontMetrics costs
// ~0.3 s for an 8,000-node graph; summing cached ASCII advances is ~100x cheaper and
// differs only by kerning (a few pixels, inside the padding).
class FastWidth {
public:
    explicit FastWidth(const QFont& font) : m_metrics(font)
    {
        for (int c = 0; c < 128; ++c)
            m_advance[c] = m_metrics.horizontalAdvance(QChar(c));
    }
    double operator()(const QString& text) const
    {
        double w = 0;
        for (QChar c : text) {
            if (c.unicode() >= 128)
                return m_metrics.horizontalAdvance(text);
            w += m_advance[c.unicode()];
        }
        return w;
    }

private:
    QFontMetricsF m_metrics;
    double m_advance[128];
};

} // namespace

QSizeF nodeSize(const NodeLabel& label)
{
    static const FastWidth title(style::titleFont());
    static const FastWidth body(style::bodyFont());
    double w = std::max({title(label.title), body(label.name), body(label.shape)});
    return QSizeF(std::clamp(w + 20, 96.0, 240.0), style::kHeaderHeight + 2 * style::kLineHeight + 4);
}

NodeLabel groupLabel(const BlockScope& scope)
{
    NodeLabel label;
    label.title = QString::fromStdString(scope.name);
    const int n = static_cast<int>(scope.members.size());
    label.name = QString("%1 nodes · %2 analog").arg(n).arg(scope.analogNodes);
    label.shape = QString("%1 analog MACs · %2 params")
                      .arg(QString::fromStdString(humanCount(scope.analogMacs)), QString::fromStdString(humanCount(scope.params)));
    return label;
}

QSizeF groupSize(const NodeLabel& label)
{
    const QSizeF card = nodeSize(label);
    return QSizeF(std::max(card.width() + 16, 160.0), card.height() + style::kGroupExtra);
}

QSizeF blockItemSize(const GraphDocument& doc, const BlockSnapshot& blocks, int item)
{
    const BlockItem& b = blocks.view->items().at(item);
    if (b.scope >= 0)
        return groupSize(groupLabel(blocks.tree->scope(b.scope)));
    return nodeSize(nodeLabel(doc, doc.displayNodes().at(b.display)));
}

QColor groupColor(const BlockScope& scope)
{
    const bool analog = scope.macs > 0 ? scope.analogMacs * 2 >= scope.macs : scope.analogNodes > 0;
    return style::placementColor(analog ? Placement::Analog : Placement::Digital);
}

QColor nodeColor(const GraphDocument& doc, const DisplayNode& node)
{
    if (node.kind != DisplayKind::Op)
        return style::ioColor();
    return style::placementColor(doc.analysis(node.node).placement.placement);
}

} // namespace tessera::studio

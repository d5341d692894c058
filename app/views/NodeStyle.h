#pragma once
// How a display node looks: its three text lines, colours, fonts and size. Shared by the
// scene (painting), the layout controller (sizes) and the legend, so they always agree.
#include "app/model/BlockScopes.h"
#include "app/model/GraphDocument.h"

#include <QColor>
#include <QFont>
#include <QIcon>
#include <QPalette>
#include <QSizeF>
#include <QString>

namespace tessera::studio {

struct NodeLabel {
    QString title; // op type, or "input" / "output"
    QString name;  // node or tensor name (elided)
    QString shape; // first output shape, e.g. "1×16×14×14"
};

// Colours of the studio's own drawing. Fixed hues carry meaning (placement, bits,
// selection); every surface and text colour comes from the application palette, so light
// and dark desktops both read (docs/studio.md, "Light and dark desktops").
namespace style {
QColor placementColor(Placement placement);
QColor ioColor();
QColor edgeColor();
QColor highlightColor();
QColor canvasColor();
QColor mix(const QColor& a, const QColor& b, double t); // a at t = 0, b at t = 1
bool isDarkPalette();
QColor surfaceColor();      // node bodies, plot backgrounds (palette Base)
QColor pillColor();         // graph input/output pills
QColor textColor();
QColor subtleTextColor();   // shapes, captions
QColor gridColor();         // plot grid lines, faint borders
QColor overlayColor();      // translucent legend / minimap background
QColor overlayBorderColor();
QColor calloutColor();      // hovered tensor label background
// A light tint (heat-map cell, warning) shown on the palette's surface: the tint itself
// on a light desktop, blended into the dark surface on a dark one.
QColor tint(const QColor& light);
QString subtleLabelCss();   // "QLabel { color: ... }" for captions
QColor warningTextColor();  // dark red on light, light red on dark
// A data colour chosen per desktop (a dark ink that would vanish on a dark surface).
QColor onTheme(const QColor& light, const QColor& dark);
// A toolbar/menu icon from resources/icons with its ink (#374151) in the palette's text colour.
QIcon icon(const QString& name);
// A dark Fusion palette (--dark, TESSERA_STUDIO_THEME=dark).
QPalette darkPalette();
QFont titleFont();
QFont bodyFont();
constexpr double kHeaderHeight = 20;
constexpr double kLineHeight = 16;
constexpr double kGroupExtra = 10; // stacked-card offset of a collapsed block
constexpr double kLabelZoom = 0.55; // below this zoom node cards are drawn without text
} // namespace style

QString shapeText(const Shape& shape);
QString tensorTypeText(const Value& value); // "float32 [1×3×32×32]"
NodeLabel nodeLabel(const GraphDocument& doc, const DisplayNode& node);
// Needs a QGuiApplication (font metrics): call on the UI thread.
QSizeF nodeSize(const NodeLabel& label);
// A collapsed block: title = scope name, then "53 nodes · 12 analog", then
// "1.2 M analog MACs · 3.1 M params".
NodeLabel groupLabel(const BlockScope& scope);
QSizeF groupSize(const NodeLabel& label); // taller and wider than a node card (stacked look)
// The size of item `item` of a collapsed view (a node card or a group box).
QSizeF blockItemSize(const GraphDocument& doc, const BlockSnapshot& blocks, int item);
// Colour of a collapsed block: analog when most of its MACs run analog, else digital.
QColor groupColor(const BlockScope& scope);
// The colour of a display node: placement for ops, neutral for inputs/outputs.
QColor nodeColor(const GraphDocument& doc, const DisplayNode& node);

} // namespace tessera::studio

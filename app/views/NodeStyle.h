#pragma once
// How a display node looks: its three text lines, colours, fonts and size. Shared by the
// scene (painting), the layout controller (sizes) and the legend, so they always agree.
#include "app/model/GraphDocument.h"

#include <QColor>
#include <QFont>
#include <QSizeF>
#include <QString>

namespace tessera::studio {

struct NodeLabel {
    QString title; // op type, or "input" / "output"
    QString name;  // node or tensor name (elided)
    QString shape; // first output shape, e.g. "1×16×14×14"
};

namespace style {
QColor placementColor(Placement placement);
QColor ioColor();
QColor edgeColor();
QColor highlightColor();
QColor canvasColor();
QFont titleFont();
QFont bodyFont();
constexpr double kHeaderHeight = 20;
constexpr double kLineHeight = 16;
} // namespace style

QString shapeText(const Shape& shape);
QString tensorTypeText(const Value& value); // "float32 [1×3×32×32]"
NodeLabel nodeLabel(const GraphDocument& doc, const DisplayNode& node);
// Needs a QGuiApplication (font metrics): call on the UI thread.
QSizeF nodeSize(const NodeLabel& label);
// The colour of a display node: placement for ops, neutral for inputs/outputs.
QColor nodeColor(const GraphDocument& doc, const DisplayNode& node);

} // namespace tessera::studio

#pragma once
// Window placement rules without widgets: a window never extends past the screen it is on,
// whatever size was saved (another monitor, another scale factor).
#include <QMargins>
#include <QRect>

class QWidget;

namespace tessera::studio {

// `frame` shrunk to fit `available` and moved inside it (top-left kept when it fits).
QRect fitToScreen(const QRect& frame, const QRect& available);

// Moves and resizes a top-level window so its frame lies within its screen's available
// area. Before the window manager has framed it, `assumedFrame` stands for the decorations.
void keepOnScreen(QWidget& window, const QMargins& assumedFrame = QMargins(4, 30, 4, 4));

} // namespace tessera::studio

#include "app/views/WindowFit.h"

#include <QScreen>
#include <QWidget>

#include <algorithm>

namespace tessera::studio {

QRect fitToScreen(const QRect& frame, const QRect& available)
{
    const QSize size = frame.size().boundedTo(available.size());
    const int x = std::clamp(frame.x(), available.left(), available.left() + available.width() - size.width());
    const int y = std::clamp(frame.y(), available.top(), available.top() + available.height() - size.height());
    return QRect(QPoint(x, y), size);
}

void keepOnScreen(QWidget& window, const QMargins& assumedFrame)
{
    if (window.isMaximized() || window.isFullScreen() || !window.screen())
        return;
    const QRect client = window.geometry();
    QMargins frame(client.left() - window.frameGeometry().left(), client.top() - window.frameGeometry().top(),
                   window.frameGeometry().right() - client.right(), window.frameGeometry().bottom() - client.bottom());
    if (frame.isNull())
        frame = assumedFrame;
    const QRect fitted = fitToScreen(client + frame, window.screen()->availableGeometry()) - frame;
    if (fitted != client)
        window.setGeometry(fitted);
}

} // namespace tessera::studio

#pragma once
// Look shared by the quantization dock's QCustomPlot charts.
#include "app/views/NodeStyle.h"

#include <qcustomplot.h>

namespace tessera::studio {

// Short tick label: the last path component of an ONNX node name ("/m/fc/Gemm" -> "fc/Gemm").
inline QString shortNodeName(const QString& name)
{
    const QStringList parts = name.split('/', Qt::SkipEmptyParts);
    return parts.size() >= 2 ? parts[parts.size() - 2] + "/" + parts.back() : name;
}

// Background, axes, ticks, labels, grid and legend in the palette's colours.
inline void themePlot(QCustomPlot* plot)
{
    const QColor text = style::textColor(), axisLine = style::subtleTextColor();
    plot->setBackground(style::surfaceColor());
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
        axis->setBasePen(QPen(axisLine, 0));
        axis->setTickPen(QPen(axisLine, 0));
        axis->setSubTickPen(QPen(axisLine, 0));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(style::gridColor(), 0, Qt::DotLine));
        axis->grid()->setZeroLinePen(QPen(style::gridColor(), 0));
    }
    plot->legend->setBrush(style::overlayColor());
    plot->legend->setBorderPen(QPen(style::overlayBorderColor()));
    plot->legend->setTextColor(text);
}

inline void styleQuantPlot(QCustomPlot* plot)
{
    plot->setMinimumHeight(110);
    plot->axisRect()->setAutoMargins(QCP::msAll);
    QFont small = plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setTickLabelFont(small);
        axis->setLabelFont(small);
    }
    themePlot(plot);
}

} // namespace tessera::studio

#pragma once
// Look shared by the quantization dock's QCustomPlot charts.
#include <qcustomplot.h>

namespace tessera::studio {

// Short tick label: the last path component of an ONNX node name ("/m/fc/Gemm" -> "fc/Gemm").
inline QString shortNodeName(const QString& name)
{
    const QStringList parts = name.split('/', Qt::SkipEmptyParts);
    return parts.size() >= 2 ? parts[parts.size() - 2] + "/" + parts.back() : name;
}

inline void styleQuantPlot(QCustomPlot* plot)
{
    plot->setMinimumHeight(170);
    plot->setBackground(QColor("#ffffff"));
    plot->axisRect()->setAutoMargins(QCP::msAll);
    QFont small = plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setTickLabelFont(small);
        axis->setLabelFont(small);
        axis->grid()->setPen(QPen(QColor("#e5e7eb"), 0, Qt::DotLine));
    }
}

} // namespace tessera::studio

#include "app/panels/RetrainCurve.h"

#include "app/panels/QuantPlotStyle.h"

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace tessera::studio {

namespace {

QCPGraph* lineGraph(QCustomPlot* plot, QCPAxis* valueAxis, const QColor& colour, Qt::PenStyle pen, const QString& name)
{
    QCPGraph* g = plot->addGraph(plot->xAxis, valueAxis);
    g->setPen(QPen(colour, 2.0, pen));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, 6));
    g->setName(name);
    return g;
}

} // namespace

RetrainCurve::RetrainCurve(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot)
{
    styleQuantPlot(m_plot);
    m_plot->setMinimumHeight(120); // legend, axes and a curve in a default-height dock
    m_plot->yAxis2->setVisible(true);
    const QColor loss = style::onTheme(QColor("#c2410c"), QColor("#fdba74"));
    const QColor acc = style::onTheme(QColor("#1d4ed8"), QColor("#93c5fd"));
    m_trainLoss = lineGraph(m_plot, m_plot->yAxis, loss, Qt::SolidLine, tr("train loss"));
    m_heldLoss = lineGraph(m_plot, m_plot->yAxis, loss, Qt::DashLine, tr("held-out loss"));
    m_trainAcc = lineGraph(m_plot, m_plot->yAxis2, acc, Qt::SolidLine, tr("train acc."));
    m_heldAcc = lineGraph(m_plot, m_plot->yAxis2, acc, Qt::DashLine, tr("held-out acc."));
    m_best = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_best->setLineStyle(QCPGraph::lsNone);
    m_best->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(acc, 2.0), Qt::NoBrush, 14));
    m_best->setName(tr("best (kept)"));
    m_plot->xAxis->setLabel(tr("epoch"));
    m_plot->yAxis->setLabel(tr("loss"));
    m_plot->yAxis2->setLabel(tr("accuracy %"));
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(ticker);
    // The legend in a row above the axes: inside it would hide points.
    m_plot->legend->setVisible(true);
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    m_plot->legend->setFont(small);
    m_plot->legend->setWrap(3); // two rows: the legend must not set the plot's width
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    clear(1);
}

void RetrainCurve::clear(int plannedEpochs)
{
    for (QCPGraph* g : {m_trainLoss, m_heldLoss, m_trainAcc, m_heldAcc, m_best})
        g->data()->clear();
    m_planned = std::max(1, plannedEpochs);
    m_maxLoss = 0.0;
    m_minAcc = 100.0;
    rescale();
}

void RetrainCurve::addEpoch(const train::EpochReport& e)
{
    const double x = e.epoch;
    m_trainLoss->addData(x, e.trainLoss);
    m_heldLoss->addData(x, e.heldoutLoss);
    m_trainAcc->addData(x, 100.0 * e.trainAccuracy);
    m_heldAcc->addData(x, 100.0 * e.heldoutAccuracy);
    if (e.best) {
        m_best->data()->clear();
        m_best->addData(x, 100.0 * e.heldoutAccuracy);
    }
    for (double v : {e.trainLoss, e.heldoutLoss})
        if (std::isfinite(v))
            m_maxLoss = std::max(m_maxLoss, v);
    m_minAcc = std::min({m_minAcc, 100.0 * e.trainAccuracy, 100.0 * e.heldoutAccuracy});
    m_planned = std::max(m_planned, e.epochs);
    rescale();
}

int RetrainCurve::pointCount() const
{
    return m_heldAcc->data()->size();
}

void RetrainCurve::rescale()
{
    m_plot->xAxis->setRange(0.5, m_planned + 0.5);
    m_plot->yAxis->setRange(0.0, m_maxLoss > 0.0 ? 1.1 * m_maxLoss : 1.0);
    // Accuracy from just below the lowest point to 100 %, in steps of 5.
    m_plot->yAxis2->setRange(std::max(0.0, 5.0 * std::floor((m_minAcc - 1.0) / 5.0)), 100.5);
    m_plot->replot();
}

} // namespace tessera::studio

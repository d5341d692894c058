#include "app/panels/QuantSqnrChart.h"

#include "app/panels/QuantPlotStyle.h"

#include <QLabel>
#include <QVBoxLayout>

#include <cmath>

namespace tessera::studio {

namespace {

QCPGraph* scatterGraph(QCustomPlot* plot, const QCPScatterStyle& style, const QString& name)
{
    QCPGraph* g = plot->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(style);
    g->setName(name);
    return g;
}

constexpr int kMaxTickLabels = 40; // more analog layers: no names on the axis

} // namespace

QuantSqnrChart::QuantSqnrChart(QuantController* controller, ProjectModel* model, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_model(model)
{
    m_plot = new QCustomPlot;
    styleQuantPlot(m_plot);
    m_line = m_plot->addGraph();
    m_line->setPen(QPen(QColor("#9ca3af"), 1.5));
    m_line->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor("#6b7280"), style::surfaceColor(), 6));
    m_line->setName(tr("every node"));
    m_analog = scatterGraph(m_plot, QCPScatterStyle(QCPScatterStyle::ssDisc, QColor("#0f766e"), 9), tr("analog layer"));
    m_worst = scatterGraph(m_plot, QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor("#dc2626"), 2.5), Qt::NoBrush, 17),
                           tr("worst drop"));
    m_selected = scatterGraph(m_plot, QCPScatterStyle(QCPScatterStyle::ssSquare, QPen(style::onTheme(QColor("#1e3a8a"), QColor("#93c5fd")), 1.5), Qt::NoBrush, 13),
                              tr("selected"));
    for (QCPGraph* g : {m_worst, m_selected})
        g->setSelectable(QCP::stNone);
    m_plot->yAxis->setLabel(tr("cumulative SQNR (dB)"));
    m_plot->xAxis->setTickLabelRotation(30);
    // The legend in a row above the axes: inside it would hide points.
    m_plot->legend->setVisible(true);
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    m_plot->legend->setFont(small);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_summary = new QLabel;
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_plot, 1);
    setToolTip(tr("SQNR of each node's output vs FP32, errors of earlier layers included; click a point to select the node"));

    connect(m_plot, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* p, int i, QMouseEvent*) { onClick(p, i); });
    connect(m_controller, &QuantController::measurementChanged, this, &QuantSqnrChart::rebuild);
    connect(m_controller, &QuantController::layersChanged, this, &QuantSqnrChart::rebuild);
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &QuantSqnrChart::updateSelection);
    rebuild();
}

void QuantSqnrChart::rebuild()
{
    const auto& m = m_controller->lastMeasurement();
    const std::vector<SqnrPoint> none;
    const std::vector<SqnrPoint>& pts = m ? m->sqnr.points : none;
    double top = 10.0, bottom = 0.0;
    for (const SqnrPoint& p : pts)
        if (std::isfinite(p.sqnrDb)) {
            top = std::max(top, p.sqnrDb);
            bottom = std::min(bottom, p.sqnrDb);
        }
    top += 8.0; // identical-to-FP32 (+inf) points sit on this line
    QVector<double> x, y, ax, ay;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    int analogCount = 0;
    for (const SqnrPoint& p : pts)
        analogCount += p.analog;
    for (int i = 0; i < static_cast<int>(pts.size()); ++i) {
        const double v = std::isfinite(pts[i].sqnrDb) ? pts[i].sqnrDb : (pts[i].sqnrDb > 0 ? top : bottom);
        x << i + 1;
        y << v;
        if (pts[i].analog) {
            ax << i + 1;
            ay << v;
            if (analogCount <= kMaxTickLabels)
                ticker->addTick(i + 1, shortNodeName(pts[i].node));
        }
    }
    m_line->setData(x, y, true);
    m_analog->setData(ax, ay, true);
    m_worst->data()->clear();
    QString text = tr("<b>Cumulative SQNR per node</b> — run <b>Evaluate</b> to measure it");
    if (m) {
        text = tr("<b>Cumulative SQNR per node</b> (last Evaluate, %1 samples): output %2 dB")
                   .arg(m->samples)
                   .arg(std::isfinite(m->outputSqnrDb) ? QString::number(m->outputSqnrDb, 'f', 1) : QStringLiteral("∞"));
        if (const int w = m->sqnr.worst; w >= 0) {
            m_worst->addData(w + 1, y[w]);
            text += tr(" · <span style='color:%4'>worst drop %1 dB at <b>%2</b> (%3)</span>")
                        .arg(std::abs(pts[w].dropDb), 0, 'f', 1)
                        .arg(pts[w].node.toHtmlEscaped(), pts[w].opType)
                        .arg(style::warningTextColor().name());
        }
    }
    m_summary->setText(text);
    if (analogCount > 0 && analogCount <= kMaxTickLabels)
        m_plot->xAxis->setTicker(ticker);
    else
        m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_plot->xAxis->setRange(0.3, std::max<double>(pts.size(), 1) + 0.7);
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) { // no numbers on an empty chart
        axis->setTickLabels(!pts.empty());
        axis->setTicks(!pts.empty());
    }
    m_plot->yAxis->setRange(bottom - 3.0, top + 4.0);
    updateSelection();
}

void QuantSqnrChart::updateSelection()
{
    m_selected->data()->clear();
    const auto& m = m_controller->lastMeasurement();
    const NodeId current = m_model->selection()->current();
    if (m && current != kNoNode)
        for (int i = 0; i < pointCount(); ++i)
            if (m->sqnr.points[i].id == current)
                m_selected->addData(i + 1, plottedSqnr(i));
    m_plot->replot();
}

QPoint QuantSqnrChart::pointCenter(int pointIndex) const
{
    const QPoint inPlot(int(m_plot->xAxis->coordToPixel(pointIndex + 1)), int(m_plot->yAxis->coordToPixel(plottedSqnr(pointIndex))));
    return m_plot->mapTo(this, inPlot);
}

void QuantSqnrChart::onClick(QCPAbstractPlottable* plottable, int dataIndex)
{
    // Every graph here is keyed by profile index + 1 (the markers on top get the click too).
    auto* graph = qobject_cast<QCPGraph*>(plottable);
    const auto& m = m_controller->lastMeasurement();
    if (!m || !graph || dataIndex < 0 || dataIndex >= graph->dataCount())
        return;
    const int index = static_cast<int>(std::lround(graph->data()->at(dataIndex)->key)) - 1;
    if (index < 0 || index >= static_cast<int>(m->sqnr.points.size()) || m->sqnr.points[index].id == kNoNode)
        return;
    m_model->selection()->select(m->sqnr.points[index].id, true);
}

} // namespace tessera::studio

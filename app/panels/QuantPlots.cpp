#include "app/panels/QuantPlots.h"

#include "app/panels/QuantPlotStyle.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace tessera::studio {

namespace {

constexpr double kMbit = 1e6;

} // namespace

QuantBarChart::QuantBarChart(QuantController* controller, ProjectModel* model, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_model(model)
{
    m_plot = new QCustomPlot;
    styleQuantPlot(m_plot);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setWidth(0.7);
    m_plot->yAxis->setLabel(tr("accuracy drop (pp)"));
    m_plot->xAxis->setTickLabelRotation(30);
    m_depth = new QComboBox;
    m_depth->addItem(tr("chosen bits"), 0);
    for (int b : m_controller->bitDepths())
        m_depth->addItem(tr("%1 bits").arg(b), b);
    m_depth->setCurrentIndex(m_depth->findData(4));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Sensitivity per layer — drop at")));
    top->addWidget(m_depth);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_plot, 1);
    setToolTip(tr("Click a bar to set that layer to the shown bit depth"));

    connect(m_depth, &QComboBox::currentIndexChanged, this, &QuantBarChart::rebuild);
    connect(m_plot, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* p, int i, QMouseEvent*) { onClick(p, i); });
    for (auto signal : {&QuantController::layersChanged, &QuantController::sensitivityChanged, &QuantController::bitsChanged})
        connect(m_controller, signal, this, &QuantBarChart::rebuild);
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &QuantBarChart::rebuild);
    rebuild();
}

int QuantBarChart::shownBits() const
{
    return m_depth->currentData().toInt();
}

void QuantBarChart::rebuild()
{
    const auto& layers = m_controller->layers();
    QVector<double> keys, values;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double maxDrop = 0.01;
    for (int i = 0; i < layers.size(); ++i) {
        const int bits = shownBits() ? shownBits() : m_controller->bitsOf(layers[i].name);
        const double drop = m_controller->measuredDrop(layers[i].name, bits) * 100.0;
        keys << i + 1;
        values << (std::isnan(drop) ? 0.0 : drop);
        maxDrop = std::max(maxDrop, std::isnan(drop) ? 0.0 : drop);
        ticker->addTick(i + 1, shortNodeName(layers[i].name));
    }
    m_bars->setData(keys, values, true);
    const int sel = m_controller->indexOfNode(m_model->selection()->current());
    // The selected layer's bar is darker (one bar set keeps click indices = layer indices).
    m_bars->setPen(QPen(QColor("#0f766e")));
    m_bars->setBrush(QColor("#5eead4"));
    m_bars->setSelectable(QCP::stSingleData);
    m_bars->selectionDecorator()->setBrush(QColor("#0f766e"));
    m_bars->setSelection(sel >= 0 ? QCPDataSelection(QCPDataRange(sel, sel + 1)) : QCPDataSelection());
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setRange(0.3, layers.size() + 0.7);
    const double minDrop = values.isEmpty() ? 0.0 : std::min(0.0, *std::min_element(values.begin(), values.end()));
    m_plot->yAxis->setRange(minDrop * 1.15, maxDrop * 1.15);
    m_plot->xAxis->setLabel(sel >= 0 ? tr("selected: %1").arg(layers[sel].name) : QString());
    m_plot->replot();
}

QPoint QuantBarChart::barCenter(int layerIndex) const
{
    const double x = m_plot->xAxis->coordToPixel(layerIndex + 1);
    const double value = m_bars->data()->at(layerIndex)->value;
    const double y = m_plot->yAxis->coordToPixel(value / 2.0);
    const double yBase = m_plot->yAxis->coordToPixel(0.0);
    // A bar of (almost) zero height is clicked just above its base.
    return m_plot->mapTo(this, QPoint(int(x), int(std::abs(y - yBase) < 4 ? yBase - 2 : y)));
}

void QuantBarChart::onClick(QCPAbstractPlottable* plottable, int dataIndex)
{
    const auto& layers = m_controller->layers();
    if (plottable != m_bars || dataIndex < 0 || dataIndex >= layers.size())
        return;
    if (shownBits())
        m_controller->setBits(layers[dataIndex].name, shownBits());
    m_model->selection()->select(layers[dataIndex].node, true);
}

QuantParetoPlot::QuantParetoPlot(QuantController* controller, QWidget* parent) : QWidget(parent), m_controller(controller)
{
    m_plot = new QCustomPlot;
    styleQuantPlot(m_plot);
    auto makeGraph = [this](QColor colour, QCPScatterStyle::ScatterShape shape, double size, const QString& name) {
        QCPGraph* g = m_plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setPen(QPen(colour, 1.5));
        g->setScatterStyle(QCPScatterStyle(shape, colour, size));
        g->setName(name);
        return g;
    };
    m_measured = makeGraph(QColor("#9ca3af"), QCPScatterStyle::ssDisc, 7, tr("measured"));
    m_front = makeGraph(QColor("#2563eb"), QCPScatterStyle::ssDisc, 9, tr("Pareto front"));
    m_front->setLineStyle(QCPGraph::lsStepLeft);
    m_current = makeGraph(QColor("#dc2626"), QCPScatterStyle::ssCrossCircle, 12, tr("chosen (estimate)"));
    m_lastEval = makeGraph(QColor("#16a34a"), QCPScatterStyle::ssDiamond, 12, tr("chosen (measured)"));
    m_lastEval->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QColor("#14532d"), QColor("#22c55e"), 12));
    m_plot->yAxis->setLabel(tr("accuracy drop (pp)"));
    m_plot->legend->setVisible(true);
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    m_plot->legend->setFont(small);
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Mixed precision — click a point to apply it")));
    layout->addWidget(m_plot, 1);

    connect(m_plot, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* p, int i, QMouseEvent*) { onClick(p, i); });
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const QString tip = toolTipAt(m_plot->mapTo(this, event->pos()));
        m_plot->setToolTip(tip);
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), tip, m_plot);
    });
    connect(m_controller, &QuantController::paretoChanged, this, &QuantParetoPlot::rebuild);
    connect(m_controller, &QuantController::bitsChanged, this, &QuantParetoPlot::updateMarkers);
    connect(m_controller, &QuantController::sensitivityChanged, this, &QuantParetoPlot::updateMarkers);
    connect(m_controller, &QuantController::calibrationChanged, this, &QuantParetoPlot::updateMarkers);
    connect(m_controller, &QuantController::measurementChanged, this, &QuantParetoPlot::updateMarkers);
    rebuild();
}

bool QuantParetoPlot::costIsWeightBits() const
{
    return m_controller->paretoObjective() == quant::CostObjective::WeightBits;
}

double QuantParetoPlot::xOf(const quant::ParetoPoint& p) const
{
    switch (m_controller->paretoObjective()) {
    case quant::CostObjective::Energy: return p.cost / 1e6;  // pJ -> µJ
    case quant::CostObjective::Latency: return p.cost / 1e3; // ns -> µs
    case quant::CostObjective::FrameEnergy: return p.cost;   // µJ per frame
    case quant::CostObjective::Fps: return p.cost > 0 ? 1e6 / p.cost : 0.0; // µs per frame -> frames/s
    case quant::CostObjective::WeightBits: break;
    }
    return p.cost / kMbit;
}

QString QuantParetoPlot::costLabel() const
{
    switch (m_controller->paretoObjective()) {
    case quant::CostObjective::Energy: return tr("cost: analog energy per frame (µJ, cost model)");
    case quant::CostObjective::Latency: return tr("cost: analog latency per frame (µs, cost model)");
    case quant::CostObjective::FrameEnergy: return tr("energy per frame (µJ/frame, simulated: performance model)");
    case quant::CostObjective::Fps: return tr("throughput (frames/s, simulated: performance model; right is better)");
    case quant::CostObjective::WeightBits: break;
    }
    return tr("cost: weight storage (Mbit)");
}

QString QuantParetoPlot::costText(const quant::ParetoPoint& p) const
{
    switch (m_controller->paretoObjective()) {
    case quant::CostObjective::Energy: return tr("%1 µJ (cost model)").arg(xOf(p), 0, 'g', 4);
    case quant::CostObjective::Latency: return tr("%1 µs (cost model)").arg(xOf(p), 0, 'g', 4);
    case quant::CostObjective::FrameEnergy: return tr("%1 µJ/frame").arg(xOf(p), 0, 'g', 4);
    case quant::CostObjective::Fps: return tr("%1 frames/s").arg(xOf(p), 0, 'f', 0);
    case quant::CostObjective::WeightBits: break;
    }
    return tr("%1 Mbit").arg(xOf(p), 0, 'f', 3);
}

void QuantParetoPlot::rebuild()
{
    m_plot->xAxis->setLabel(costLabel());
    // The per-layer energy and latency span orders of magnitude (the base's 12-bit ADCs against
    // the searched points): a log axis; weight storage and the simulated frame figures (static
    // energy and the pipeline keep them within a small factor) stay linear. The chosen-bits
    // markers (priced in weight storage) leave the legend on every axis but weight storage.
    const quant::CostObjective objective = m_controller->paretoObjective();
    const bool linear = objective != quant::CostObjective::Energy && objective != quant::CostObjective::Latency;
    if (linear != (m_plot->xAxis->scaleType() == QCPAxis::stLinear)) {
        m_plot->xAxis->setScaleType(linear ? QCPAxis::stLinear : QCPAxis::stLogarithmic);
        m_plot->xAxis->setTicker(linear ? QSharedPointer<QCPAxisTicker>(new QCPAxisTicker)
                                        : QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
    }
    for (QCPGraph* g : {m_current, m_lastEval})
        costIsWeightBits() ? (void)g->addToLegend() : (void)g->removeFromLegend();
    const auto& pts = m_controller->paretoPoints();
    m_measuredOrder.clear();
    m_frontOrder.clear();
    for (int i = 0; i < static_cast<int>(pts.size()); ++i) {
        m_measuredOrder.push_back(i);
        if (pts[i].onFront)
            m_frontOrder.push_back(i);
    }
    // By x (the graphs take their keys sorted; frames/s runs opposite to the cost).
    auto byCost = [&](int a, int b) { return xOf(pts[a]) < xOf(pts[b]); };
    std::stable_sort(m_measuredOrder.begin(), m_measuredOrder.end(), byCost);
    std::stable_sort(m_frontOrder.begin(), m_frontOrder.end(), byCost);
    auto fill = [&](QCPGraph* g, const std::vector<int>& order) {
        QVector<double> x, y;
        for (int i : order) {
            x << xOf(pts[i]);
            y << pts[i].accuracyDrop * 100.0;
        }
        g->setData(x, y, true);
    };
    fill(m_measured, m_measuredOrder);
    fill(m_front, m_frontOrder);
    updateMarkers();
}

void QuantParetoPlot::updateMarkers()
{
    m_current->data()->clear();
    m_lastEval->data()->clear();
    // The chosen bits' estimate and measurement are priced in weight storage: shown only on
    // that axis.
    const double cost = m_controller->estimatedCost(), drop = m_controller->estimatedDrop();
    if (!std::isnan(cost) && !std::isnan(drop) && costIsWeightBits())
        m_current->addData(cost / kMbit, drop * 100.0);
    if (const auto& m = m_controller->lastMeasurement(); m && !std::isnan(m->cost) && costIsWeightBits())
        m_lastEval->addData(m->cost / kMbit, m->accuracyDrop * 100.0);
    m_plot->rescaleAxes();
    // Margins so points on the edge stay clickable and visible.
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        const QCPRange r = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic && r.lower > 0) {
            axis->setRange(r.lower / 1.3, r.upper * 1.3);
            continue;
        }
        const double pad = std::max(r.size() * 0.08, axis == m_plot->yAxis ? 0.2 : 0.01);
        axis->setRange(r.lower - pad, r.upper + pad);
    }
    m_plot->replot();
}

QString QuantParetoPlot::toolTipAt(const QPoint& widgetPos) const
{
    const auto& pts = m_controller->paretoPoints();
    int nearest = -1, best = 9; // the nearest point within 8 px; the later one of two at the same spot
    for (int i = 0; i < static_cast<int>(pts.size()); ++i)
        if (const int d = (pointCenter(i) - widgetPos).manhattanLength(); d <= best)
            nearest = i, best = d;
    if (nearest >= 0) {
        const quant::ParetoPoint& p = pts[nearest];
        std::map<int, int> layersAtBits;
        for (const auto& [layer, bits] : p.weightBits)
            layersAtBits[bits]++;
        QStringList mix;
        for (auto it = layersAtBits.rbegin(); it != layersAtBits.rend(); ++it)
            mix << tr("%1 × %2-bit").arg(it->second).arg(it->first);
        return tr("%1%2 · drop %3 pp · top-1 %4%\n%5\nClick to apply")
            .arg(p.onFront ? tr("Pareto front: ") : QString())
            .arg(costText(p))
            .arg(p.accuracyDrop * 100.0, 0, 'f', 2)
            .arg(p.top1 * 100.0, 0, 'f', 1)
            .arg(mix.join(", "));
    }
    return {};
}

QPoint QuantParetoPlot::pointCenter(int pointIndex) const
{
    const quant::ParetoPoint& p = m_controller->paretoPoints().at(pointIndex);
    const QPoint inPlot(int(m_plot->xAxis->coordToPixel(xOf(p))),
                        int(m_plot->yAxis->coordToPixel(p.accuracyDrop * 100.0)));
    return m_plot->mapTo(this, inPlot);
}

void QuantParetoPlot::onClick(QCPAbstractPlottable* plottable, int dataIndex)
{
    const std::vector<int>* order = plottable == m_measured ? &m_measuredOrder
                                    : plottable == m_front  ? &m_frontOrder
                                                            : nullptr;
    if (!order || dataIndex < 0 || dataIndex >= static_cast<int>(order->size()))
        return;
    const quant::ParetoPoint& p = m_controller->paretoPoints().at((*order)[dataIndex]);
    m_controller->applyConfiguration(
        p.weightBits, tr("Apply mixed-precision point (%1, %2 pp)").arg(costText(p)).arg(p.accuracyDrop * 100.0, 0, 'f', 2),
        p.adcBits, p.dacBits);
}

} // namespace tessera::studio

#include "app/panels/QuantLayerDetail.h"

#include "app/panels/QuantPlotStyle.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace tessera::studio {

namespace {

constexpr int kMinAdcBits = 4, kMaxAdcBits = 16;

QString percent(double fraction)
{
    return QString::number(fraction * 100.0, 'f', fraction < 0.001 ? 3 : 2) + "%";
}

QString captionText(const GridHistogram& h)
{
    const QString grid = h.stride > 1 ? QObject::tr("grid: every %1th of %2 levels").arg(h.stride).arg(h.levels())
                                      : QObject::tr("grid: all %1 levels").arg(h.levels());
    return QObject::tr("%1 · clip [%2, %3] · clipped %4/%5 = %6")
        .arg(grid)
        .arg(h.clipLo, 0, 'g', 4)
        .arg(h.clipHi, 0, 'g', 4)
        .arg(h.clipped)
        .arg(h.total)
        .arg(percent(h.clippedFraction()));
}

} // namespace

QuantHistogramPlot::QuantHistogramPlot(const QString& xLabel, QWidget* parent) : QWidget(parent), m_xLabel(xLabel)
{
    m_plot = new QCustomPlot;
    styleQuantPlot(m_plot);
    m_plot->setMinimumHeight(80);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor("#60a5fa"));
    m_plot->xAxis->setLabel(xLabel);
    m_plot->yAxis->setLabel(tr("count"));
    m_spike = new QCPItemText(m_plot); // the cut-off bin's count
    m_spike->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_spike->setColor(style::onTheme(QColor("#1d4ed8"), QColor("#93c5fd")));
    m_spike->setVisible(false);
    m_caption = new QLabel;
    m_caption->setStyleSheet(style::subtleLabelCss());
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_caption);
}

void QuantHistogramPlot::setHistogram(const std::optional<GridHistogram>& h, const QString& emptyText)
{
    for (auto* item : m_grid)
        m_plot->removeItem(item);
    for (auto* item : m_clip)
        m_plot->removeItem(item);
    m_grid.clear();
    m_clip.clear();
    m_bars->data()->clear();
    m_spike->setVisible(false);
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) { // no meaningless ticks while empty
        axis->setTickLabels(h.has_value());
        axis->setTicks(h.has_value());
    }
    if (!h) {
        m_caption->setText(emptyText);
        m_plot->replot();
        return;
    }
    QVector<double> keys, values;
    for (size_t i = 0; i < h->counts.size(); ++i) {
        keys << h->binStart + (static_cast<double>(i) + 0.5) * h->binWidth;
        values << static_cast<double>(h->counts[i]);
    }
    // One spike (e.g. the ReLU zeros) would flatten the rest: cut the axis above the others.
    const auto spike = std::max_element(h->counts.begin(), h->counts.end()) - h->counts.begin();
    const int64_t most = std::max<int64_t>(1, h->counts[spike]);
    int64_t second = 1;
    for (size_t i = 0; i < h->counts.size(); ++i)
        if (static_cast<ptrdiff_t>(i) != spike)
            second = std::max(second, h->counts[i]);
    const bool cut = most > 4 * second;
    const double yTop = static_cast<double>(cut ? second * 2 : most) * 1.08;
    m_bars->setWidth(h->binWidth);
    m_bars->setData(keys, values, true);
    // Grid and clip lines are vertical lines in plot coordinates (x, 0)-(x, 1).
    auto addLine = [this](double x, const QPen& pen) {
        auto* line = new QCPItemStraightLine(m_plot);
        line->point1->setCoords(x, 0.0);
        line->point2->setCoords(x, 1.0);
        line->setPen(pen);
        line->setLayer("grid"); // under the bars
        return line;
    };
    for (double x : h->gridLines)
        m_grid.push_back(addLine(x, QPen(QColor(217, 119, 6, 150), 0)));
    for (double x : {h->clipLo, h->clipHi})
        m_clip.push_back(addLine(x, QPen(QColor("#dc2626"), 1.6, Qt::DashLine)));
    m_plot->xAxis->setRange(h->binStart, h->binStart + h->binWidth * static_cast<double>(h->counts.size()));
    m_plot->yAxis->setRange(0, yTop);
    if (cut) {
        m_spike->position->setCoords(keys[static_cast<int>(spike)], yTop);
        m_spike->setText(tr("▲ %1").arg(most));
    }
    m_spike->setVisible(cut);
    m_caption->setText(captionText(*h));
    m_plot->replot();
}

std::vector<double> QuantHistogramPlot::gridLinePositions() const
{
    std::vector<double> x;
    for (auto* line : m_grid)
        x.push_back(line->point1->coords().x());
    return x;
}

std::vector<double> QuantHistogramPlot::clipLinePositions() const
{
    std::vector<double> x;
    for (auto* line : m_clip)
        x.push_back(line->point1->coords().x());
    return x;
}

QuantLayerDetail::QuantLayerDetail(QuantController* controller, ProjectModel* model, JobManager* jobs, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_model(model),
      m_inspector(new QuantLayerInspector(controller, model, jobs, this))
{
    m_title = new QLabel;
    m_title->setTextFormat(Qt::RichText);
    m_adc = new QComboBox;
    for (int b = kMinAdcBits; b <= kMaxAdcBits; ++b)
        m_adc->addItem(tr("%1-bit ADC").arg(b), b);
    m_adc->setToolTip(tr("ADC resolution of this layer (undoable; used by Evaluate)"));
    m_keep8 = new QPushButton(tr("Keep 8 bits"));
    m_keep8->setToolTip(tr("Keep this layer's weights at 8 bits (undoable)"));
    m_weights = new QuantHistogramPlot(tr("weight / channel scale (codes, all channels)"));
    m_activations = new QuantHistogramPlot(tr("input activation (FP32)"));
    auto* top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(m_adc);
    top->addWidget(m_keep8);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_weights, 1);
    layout->addWidget(m_activations, 1);

    connect(m_adc, &QComboBox::activated, this, [this] {
        if (!m_layer.isEmpty() && !m_refreshing)
            m_controller->setAdcBits(m_layer, m_adc->currentData().toInt());
    });
    connect(m_keep8, &QPushButton::clicked, this, [this] {
        if (!m_layer.isEmpty())
            m_controller->setBits(m_layer, 8);
    });
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &QuantLayerDetail::followSelection);
    for (auto signal : {&QuantController::bitsChanged, &QuantController::calibrationChanged, &QuantController::layersChanged})
        connect(m_controller, signal, this, &QuantLayerDetail::refresh);
    connect(m_inspector, &QuantLayerInspector::activationsChanged, this, &QuantLayerDetail::refresh);
    connect(m_inspector, &QuantLayerInspector::message, m_controller, &QuantController::message);
    followSelection(m_model->selection()->current());
}

void QuantLayerDetail::followSelection(NodeId node)
{
    const int i = m_controller->indexOfNode(node);
    if (i >= 0) // a digital node keeps the last analog layer shown
        m_layer = m_controller->layers()[i].name;
    refresh();
}

void QuantLayerDetail::refresh()
{
    if (m_controller->indexOfLayer(m_layer) < 0)
        m_layer.clear();
    const bool has = !m_layer.isEmpty();
    m_adc->setEnabled(has);
    m_keep8->setEnabled(has);
    if (!has) {
        m_title->setText(tr("<b>Layer detail</b> — select an analog layer"));
        m_weights->setHistogram(std::nullopt, {});
        m_activations->setHistogram(std::nullopt, {});
        return;
    }
    const int bits = m_controller->bitsOf(m_layer), adc = m_controller->adcBitsOf(m_layer);
    m_refreshing = true;
    if (m_adc->findData(adc) < 0)
        m_adc->addItem(tr("%1-bit ADC").arg(adc), adc);
    m_adc->setCurrentIndex(m_adc->findData(adc));
    m_refreshing = false;
    m_keep8->setEnabled(bits != 8);
    m_title->setText(tr("<b>%1</b> — %2-bit weights, %3-bit DAC, %4-bit ADC")
                         .arg(m_layer.toHtmlEscaped())
                         .arg(bits)
                         .arg(m_controller->dacBitsOf(m_layer))
                         .arg(adc));
    if (!m_controller->isCalibrated()) {
        m_weights->setHistogram(std::nullopt, tr("Calibrate to see the weight grid."));
        m_activations->setHistogram(std::nullopt, tr("Calibrate to see the activation grid."));
        return;
    }
    m_weights->setHistogram(m_inspector->weightHistogram(m_layer), tr("No weight grid (the result does not fit this model)."));
    if (!m_inspector->hasActivations() && !m_inspector->runningJob())
        m_inspector->collectActivations();
    int64_t samples = 0;
    m_inspector->activations(m_layer, &samples);
    m_activations->plot()->xAxis->setLabel(tr("input activation (FP32, %1 calibration samples)").arg(samples));
    m_activations->setHistogram(m_inspector->activationHistogram(m_layer),
                                m_inspector->runningJob() ? tr("Collecting layer inputs (FP32)…")
                                                          : tr("No input activations: a float input, no calibration data, or an input the FP32 graph does not have."));
}

} // namespace tessera::studio

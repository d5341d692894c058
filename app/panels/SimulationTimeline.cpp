#include "app/panels/SimulationTimeline.h"

#include "app/panels/QuantPlotStyle.h"
#include "app/views/ChipScene.h"

#include <cmath>
#include <map>

namespace tessera::studio {

namespace {

constexpr double kBarHalf = 0.38; // of a row
constexpr int kRowPixels = 16;

} // namespace

SimulationTimeline::SimulationTimeline(QWidget* parent) : QCustomPlot(parent)
{
    setObjectName("simTimeline");
    styleQuantPlot(this);
    xAxis->setLabel(tr("time in frame 0 (µs)"));
    showReport(nullptr);
}

void SimulationTimeline::showReport(const sim::PerfReport* report)
{
    clearItems();
    clearGraphs();
    m_bars.clear();
    m_items.clear();
    themePlot(this);
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    if (report) {
        std::map<int64_t, int> rowOfTile; // tiles that work on frame 0, in tile order
        for (const sim::PerfSlice& s : report->slices)
            if (s.frame == 0 && report->tracks[s.track].tile >= 0)
                rowOfTile[report->tracks[s.track].tile] = 0;
        int row = 0;
        for (auto& [tile, r] : rowOfTile) {
            r = row;
            ticker->addTick(row++, tr("tile %1").arg(tile));
        }
        setMinimumHeight(std::max(110, row * kRowPixels + 50));
        for (const sim::PerfSlice& s : report->slices) {
            const int64_t tile = report->tracks[s.track].tile;
            if (s.frame != 0 || !rowOfTile.count(tile))
                continue;
            const std::string& label = report->labels[s.label];
            const std::string layer = m_resolve ? m_resolve(label) : std::string();
            const TimelineBar bar{rowOfTile[tile], s.startNs / 1e3, s.endNs / 1e3, label, layer.empty() ? label : layer, tile};
            auto* item = new QCPItemRect(this);
            item->topLeft->setCoords(bar.startUs, bar.row - kBarHalf);
            item->bottomRight->setCoords(bar.endUs, bar.row + kBarHalf);
            const QColor fill = ChipScene::layerColour(bar.layer);
            QColor translucent = fill;
            translucent.setAlphaF(0.8f); // the arrays and the digital unit of a tile overlap in time
            item->setBrush(translucent);
            item->setPen(QPen(fill.darker(140), 0));
            item->setSelectable(false);
            m_bars << bar;
            m_items << item;
        }
        addLegend();
        double end = 0;
        for (const TimelineBar& b : m_bars)
            end = std::max(end, b.endUs);
        xAxis->setRange(0, std::max(end * 1.02, 1e-3));
        yAxis->setRange(-0.5, std::max(row, 1) - 0.5);
        yAxis->setRangeReversed(true); // first track on top
    }
    yAxis->setTicker(ticker);
    yAxis->setSubTicks(false);
    yAxis->grid()->setVisible(false);
    replot();
}

void SimulationTimeline::addLegend()
{
    // Empty graphs that only carry a layer's name and colour into the legend, in first-bar order.
    QStringList seen;
    for (const TimelineBar& bar : m_bars) {
        const QString name = QString::fromStdString(bar.layer);
        if (seen.contains(name))
            continue;
        seen << name;
        QCPGraph* g = addGraph();
        g->setName(shortNodeName(name));
        g->setLineStyle(QCPGraph::lsNone);
        const QColor c = ChipScene::layerColour(bar.layer);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, c.darker(140), c, 8));
    }
    legend->setVisible(!seen.isEmpty());
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(4);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    legend->setFont(small);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

void SimulationTimeline::highlightLayer(const std::string& label)
{
    for (int i = 0; i < m_bars.size(); ++i) {
        const QColor fill = ChipScene::layerColour(m_bars[i].layer);
        const bool hit = !label.empty() && m_bars[i].layer == label;
        m_items[i]->setPen(hit ? QPen(style::textColor(), 2) : QPen(fill.darker(140), 0));
    }
    replot();
}

QPoint SimulationTimeline::barCentre(int bar) const
{
    const TimelineBar& b = m_bars[bar];
    return QPoint(static_cast<int>(xAxis->coordToPixel((b.startUs + b.endUs) / 2)),
                  static_cast<int>(yAxis->coordToPixel(b.row)));
}

int SimulationTimeline::barAt(const QPointF& pixel) const
{
    const double x = xAxis->pixelToCoord(pixel.x()), y = yAxis->pixelToCoord(pixel.y());
    const double slack = std::abs(xAxis->pixelToCoord(pixel.x() + 2) - x); // thin bars stay clickable
    for (int i = 0; i < m_bars.size(); ++i) {
        const TimelineBar& b = m_bars[i];
        if (std::abs(y - b.row) <= kBarHalf && x >= b.startUs - slack && x <= b.endUs + slack)
            return i;
    }
    return -1;
}

void SimulationTimeline::mousePressEvent(QMouseEvent* event)
{
    const int bar = event->button() == Qt::LeftButton ? barAt(event->position()) : -1;
    if (bar >= 0)
        emit barClicked(QString::fromStdString(m_bars[bar].layer), m_bars[bar].tile);
    QCustomPlot::mousePressEvent(event);
}

} // namespace tessera::studio

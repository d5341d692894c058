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
    // The legend in a row above the plot, never over the bars.
    axisRect()->insetLayout()->take(legend);
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, legend);
    plotLayout()->setRowStretchFactor(0, 0.001);
    legend->setMargins(QMargins(6, 2, 6, 2));
    showReport(nullptr);
}

void SimulationTimeline::changeEvent(QEvent* event)
{
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
        themePlot(this);
        replot();
    }
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
        // Rows: tiles that work on frame 0; lanes in a row: that tile's tracks (its arrays,
        // its digital unit), so bars never overlap.
        std::map<int64_t, std::map<int, int>> lanesOfTile; // tile -> track -> lane
        for (const sim::PerfSlice& s : report->slices)
            if (s.frame == 0 && report->tracks[s.track].tile >= 0)
                lanesOfTile[report->tracks[s.track].tile][s.track] = 0;
        std::map<int64_t, int> rowOfTile;
        int row = 0;
        for (auto& [tile, lanes] : lanesOfTile) {
            int lane = 0;
            for (auto& entry : lanes)
                entry.second = lane++;
            rowOfTile[tile] = row;
            ticker->addTick(row++, tr("tile %1").arg(tile));
        }
        setMinimumHeight(std::max(110, row * kRowPixels + 50));
        for (const sim::PerfSlice& s : report->slices) {
            const int64_t tile = report->tracks[s.track].tile;
            if (s.frame != 0 || tile < 0)
                continue;
            const std::map<int, int>& lanes = lanesOfTile[tile];
            const double h = 2 * kBarHalf / static_cast<double>(lanes.size());
            const double y0 = rowOfTile[tile] - kBarHalf + h * lanes.at(s.track);
            const std::string& label = report->labels[s.label];
            const std::string layer = m_resolve ? m_resolve(label) : std::string();
            const TimelineBar bar{rowOfTile[tile], y0, y0 + h, s.startNs / 1e3, s.endNs / 1e3, label,
                                  layer.empty() ? label : layer, tile};
            auto* item = new QCPItemRect(this);
            item->topLeft->setCoords(bar.startUs, bar.y0);
            item->bottomRight->setCoords(bar.endUs, bar.y1);
            const QColor fill = ChipScene::layerColour(bar.layer);
            item->setBrush(fill);
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
    constexpr int kColumns = 6;
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(kColumns);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    legend->setFont(small);
    // Room for the legend's rows on top of the tiles' rows.
    setMinimumHeight(minimumHeight() + 18 * ((static_cast<int>(seen.size()) + kColumns - 1) / kColumns));
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
                  static_cast<int>(yAxis->coordToPixel((b.y0 + b.y1) / 2)));
}

int SimulationTimeline::barAt(const QPointF& pixel) const
{
    // The bar under the point, else the nearest one within 3 pixels (thin bars stay clickable).
    const double x = xAxis->pixelToCoord(pixel.x()), y = yAxis->pixelToCoord(pixel.y());
    double best = std::abs(xAxis->pixelToCoord(pixel.x() + 3) - x);
    int hit = -1;
    for (int i = 0; i < m_bars.size(); ++i) {
        const TimelineBar& b = m_bars[i];
        if (y < b.y0 || y > b.y1)
            continue;
        const double distance = x < b.startUs ? b.startUs - x : x > b.endUs ? x - b.endUs : 0.0;
        if (distance <= best) {
            best = distance;
            hit = i;
            if (distance == 0.0)
                break;
        }
    }
    return hit;
}

void SimulationTimeline::mousePressEvent(QMouseEvent* event)
{
    const int bar = event->button() == Qt::LeftButton ? barAt(event->position()) : -1;
    if (bar >= 0)
        emit barClicked(QString::fromStdString(m_bars[bar].layer), m_bars[bar].tile);
    QCustomPlot::mousePressEvent(event);
}

} // namespace tessera::studio

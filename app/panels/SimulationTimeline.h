#pragma once
// One frame of the performance model as a Gantt chart (QCustomPlot): a row per tile that
// works on frame 0, in it a lane per array and one for the digital unit, a bar per busy
// interval, coloured like
// the layer in the chip view. Clicking a bar reports its layer and tile. The plot is as
// tall as its rows need (put it in a scroll area).
#include "simulator/PerfModel.h"

#include <qcustomplot.h>

#include <QVector>

#include <functional>

namespace tessera::studio {

struct TimelineBar {
    int row = 0;
    double y0 = 0, y1 = 0; // its lane in the row (plot coordinates)
    double startUs = 0, endUs = 0;
    std::string label; // PerfReport::labels: layer, "<layer> epilogue", a tensor...
    std::string layer; // the node it belongs to (colour, legend, click); label if none
    int64_t tile = -1;
};

class SimulationTimeline : public QCustomPlot {
    Q_OBJECT
public:
    explicit SimulationTimeline(QWidget* parent = nullptr);

    // Maps a label to its node's name ("" when none); set before showReport.
    void setLayerResolver(std::function<std::string(const std::string&)> resolve) { m_resolve = std::move(resolve); }

    void showReport(const sim::PerfReport* report); // null: empty
    const QVector<TimelineBar>& bars() const { return m_bars; }
    QPoint barCentre(int bar) const; // widget pixels
    // Outlines the bars of this layer ("" none).
    void highlightLayer(const std::string& label);

signals:
    void barClicked(const QString& label, qint64 tile);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void changeEvent(QEvent* event) override; // palette change: themed again

private:
    int barAt(const QPointF& pixel) const;
    void addLegend();

    std::function<std::string(const std::string&)> m_resolve;
    QVector<TimelineBar> m_bars;
    QVector<QCPItemRect*> m_items;
};

} // namespace tessera::studio

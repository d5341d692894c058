#pragma once
// The quantization panel's two charts (QCustomPlot), both clickable:
//  - QuantBarChart: accuracy drop per analog layer at a chosen depth (or at each layer's
//    chosen bits); clicking a bar sets that layer to the shown depth and selects it;
//  - QuantParetoPlot: measured mixed-precision points, cost vs accuracy drop, the Pareto
//    front joined, the current estimate and the last measurement; clicking a point applies
//    its configuration as one undoable macro.
#include "app/controllers/QuantController.h"

#include <qcustomplot.h>

class QComboBox;

namespace tessera::studio {

class QuantBarChart : public QWidget {
    Q_OBJECT
public:
    QuantBarChart(QuantController* controller, ProjectModel* model, QWidget* parent = nullptr);
    QCustomPlot* plot() const { return m_plot; }
    QComboBox* depthBox() const { return m_depth; }
    int shownBits() const; // 0: each layer's chosen bits
    // Widget position of layer i's bar (for tests / tooltips).
    QPoint barCenter(int layerIndex) const;

private:
    void rebuild();
    void onClick(QCPAbstractPlottable* plottable, int dataIndex);

    QuantController* m_controller;
    ProjectModel* m_model;
    QCustomPlot* m_plot;
    QCPBars* m_bars;
    QComboBox* m_depth;
};

class QuantParetoPlot : public QWidget {
    Q_OBJECT
public:
    QuantParetoPlot(QuantController* controller, QWidget* parent = nullptr);
    QCustomPlot* plot() const { return m_plot; }
    // Widget position of measured point i (index into QuantController::paretoPoints()).
    QPoint pointCenter(int pointIndex) const;
    // Hover text of the measured point under a widget position (within 8 px), else empty:
    // cost, drop, top-1 and how many layers at each bit depth.
    QString toolTipAt(const QPoint& widgetPos) const;

private:
    void rebuild();
    void updateMarkers();
    void onClick(QCPAbstractPlottable* plottable, int dataIndex);
    // The cost axis of the points' objective: a point's x (Mbit, µJ, µs, µJ/frame or
    // frames/s), the axis label, and a point's cost as text with its unit.
    double xOf(const quant::ParetoPoint& point) const;
    QString costLabel() const;
    QString costText(const quant::ParetoPoint& point) const;
    bool costIsWeightBits() const;

    QuantController* m_controller;
    QCustomPlot* m_plot;
    QCPGraph* m_measured; // all points, sorted by x
    QCPGraph* m_front;    // Pareto front, joined
    QCPGraph* m_current;  // the chosen bits (estimate)
    QCPGraph* m_lastEval; // last "Evaluate" measurement
    std::vector<int> m_measuredOrder; // graph data index -> point index
    std::vector<int> m_frontOrder;
};

} // namespace tessera::studio

#pragma once
// Cumulative SQNR per node from the last Evaluate (EvalRequest::perLayer), in topological
// order: a line through every node, analog layers as filled teal dots, the worst drop
// (SqnrProfile::worst) ringed in red and named, the selected node ringed in dark blue.
// Clicking any point selects that node everywhere (the graph centres on it); the bit depth
// is then fixed in the table or the layer detail.
#include "app/controllers/QuantController.h"

#include <qcustomplot.h>

class QLabel;

namespace tessera::studio {

class QuantSqnrChart : public QWidget {
    Q_OBJECT
public:
    QuantSqnrChart(QuantController* controller, ProjectModel* model, QWidget* parent = nullptr);
    QCustomPlot* plot() const { return m_plot; }
    QLabel* summaryLabel() const { return m_summary; }
    // Number of plotted points (= the profile's points) and their widget positions.
    int pointCount() const { return static_cast<int>(m_line->data()->size()); }
    QPoint pointCenter(int pointIndex) const;
    // The plotted y of a point (dB; +inf SQNR is drawn at the top of the axis).
    double plottedSqnr(int pointIndex) const { return m_line->data()->at(pointIndex)->value; }

private:
    void rebuild();
    void updateSelection();
    void onClick(QCPAbstractPlottable* plottable, int dataIndex);

    QuantController* m_controller;
    ProjectModel* m_model;
    QCustomPlot* m_plot;
    QLabel* m_summary;
    QCPGraph* m_line;     // every node; data index = profile index
    QCPGraph* m_analog;   // analog layers
    QCPGraph* m_worst;    // the worst drop
    QCPGraph* m_selected; // the selected node
};

} // namespace tessera::studio

#pragma once
// The selected analog layer in the quantization dock: its weight and input-activation
// histograms with the quantization grid and clipping range (QuantLayerInspector), and the
// fixes: ADC bits (undoable SetLayerAdcBits) and "Keep 8 bits" (undoable SetLayerBits).
#include "app/controllers/QuantLayerInspector.h"

#include <qcustomplot.h>

class QComboBox;
class QLabel;
class QPushButton;

namespace tessera::studio {

// One histogram: bars, light grid lines at the drawn levels, red dashed clip bounds and a
// caption with the grid density and the clipped fraction.
class QuantHistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit QuantHistogramPlot(const QString& xLabel, QWidget* parent = nullptr);
    void setHistogram(const std::optional<GridHistogram>& h, const QString& emptyText);
    QCustomPlot* plot() const { return m_plot; }
    QLabel* caption() const { return m_caption; }
    // x positions of what is drawn (read back from the plot items).
    std::vector<double> gridLinePositions() const;
    std::vector<double> clipLinePositions() const;

private:
    QCustomPlot* m_plot;
    QCPBars* m_bars;
    QCPItemText* m_spike;
    QLabel* m_caption;
    QString m_xLabel;
    std::vector<QCPItemStraightLine*> m_grid;
    std::vector<QCPItemStraightLine*> m_clip;
};

class QuantLayerDetail : public QWidget {
    Q_OBJECT
public:
    QuantLayerDetail(QuantController* controller, ProjectModel* model, JobManager* jobs, QWidget* parent = nullptr);

    QuantLayerInspector* inspector() const { return m_inspector; }
    QString shownLayer() const { return m_layer; }
    QuantHistogramPlot* weightPlot() const { return m_weights; }
    QuantHistogramPlot* activationPlot() const { return m_activations; }
    QComboBox* adcBox() const { return m_adc; }
    QPushButton* keep8Button() const { return m_keep8; }

private:
    void followSelection(NodeId node);
    void refresh();

    QuantController* m_controller;
    ProjectModel* m_model;
    QuantLayerInspector* m_inspector;
    QString m_layer;
    QLabel* m_title;
    QComboBox* m_adc;
    QPushButton* m_keep8;
    QuantHistogramPlot* m_weights;
    QuantHistogramPlot* m_activations;
    bool m_refreshing = false;
};

} // namespace tessera::studio

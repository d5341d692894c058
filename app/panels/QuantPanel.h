#pragma once
// Quantization dock: job buttons (Calibrate, Sensitivity, Search, Evaluate, Cancel), the
// estimate for the chosen bits, a table of analog layers (chosen weight/ADC bits, SQNR of
// the last Evaluate with the worst drop in red, and a sensitivity heat-map: accuracy drop
// per bit depth; clicking a cell sets that layer's bits, undoable), charts in tabs (SQNR
// per node, drop per layer, Pareto) and the selected layer's histograms (QuantLayerDetail).
// Logic lives in QuantController / QuantLayerInspector.
#include "app/controllers/QuantController.h"

#include <QEvent>
#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QTableWidgetItem;
class QPushButton;
class QTableWidget;
class QTabWidget;

namespace tessera::studio {

class QuantBarChart;
class QuantParetoPlot;
class QuantSqnrChart;
class QuantLayerDetail;
class Workspace;

class QuantPanel : public QWidget {
    Q_OBJECT
public:
    // Observes the workspace's quantization controller (it does not own it).
    explicit QuantPanel(Workspace* workspace, QWidget* parent = nullptr);

    QuantController* controller() const { return m_controller; }
    QTableWidget* table() const { return m_table; }
    QuantBarChart* barChart() const { return m_bars; }
    QuantParetoPlot* paretoPlot() const { return m_pareto; }
    QuantSqnrChart* sqnrChart() const { return m_sqnr; }
    QuantLayerDetail* layerDetail() const { return m_detail; }
    // Brings a chart's tab to the front (the SQNR chart, bar chart or Pareto plot).
    void showChart(QWidget* chart);
    QLabel* estimateLabel() const { return m_estimate; }
    // "Retrain…": asks the workspace for the Retrain panel (Workspace::requestPanel).
    QPushButton* retrainButton() const { return m_retrain; }
    // Table column of a bit depth's heat-map cell (-1 if not listed).
    int columnOfBits(int bits) const;

    // The DAC and ADC cells are editable (a spin box; undoable SetLayerDacBits / SetLayerAdcBits).
    static constexpr int kBitsColumn = 4;
    static constexpr int kDacColumn = 5;
    static constexpr int kAdcColumn = 6;
    static constexpr int kSqnrColumn = 7;
    static constexpr int kFirstHeatColumn = 8;
    // What Search ranks by: weight storage, energy per frame, latency per frame.
    QComboBox* objectiveBox() const { return m_objective; }

signals:
    void message(const QString& text, bool isError);

protected:
    void changeEvent(QEvent* event) override; // palette change: the table's tints again
    bool eventFilter(QObject* watched, QEvent* event) override; // the table resized: fitLayerColumn

private:
    QWidget* createButtons();
    void chooseEvalData();
    void rebuildTable();
    void fitLayerColumn();
    void refreshBits();
    void refreshEstimate();
    void refreshSqnr();
    void onCellClicked(int row, int column);
    void onBitsEdited(QTableWidgetItem* item);
    void followSelection(NodeId node);

    Workspace* m_workspace;
    ProjectModel* m_model;
    QuantController* m_controller;
    QTableWidget* m_table = nullptr;
    QuantBarChart* m_bars;
    QuantParetoPlot* m_pareto;
    QuantSqnrChart* m_sqnr;
    QuantLayerDetail* m_detail;
    QTabWidget* m_charts;
    QLabel* m_estimate;
    QLabel* m_data;
    QList<QPushButton*> m_jobButtons;
    QPushButton* m_cancel = nullptr;
    QComboBox* m_objective = nullptr;
    QPushButton* m_retrain = nullptr;
    bool m_syncing = false;
    int m_layerColumnFloor = 0; // px: the tail of the longest layer name (rebuildTable)
};

// Background colour of a heat-map cell for an accuracy drop (fraction): white at <= 0,
// through amber to red at >= 10 pp (log scale, small drops stay distinguishable).
QColor dropColour(double drop);
// Node colour for a weight bit depth: dark teal at 8 bits through amber to red at 2.
QColor bitsColour(int bits);
// Graph colouring by chosen bits (for GraphScene::setNodeColouring; a row of nodeColourings()):
// analog layers get bitsColour(bits), other nodes keep their placement colour.
std::function<QColor(NodeId)> bitsColouring(const QuantController* controller);
// Legend rows for that colouring: one per bit depth in use (with its layer count), then what
// the other nodes keep.
QVector<QPair<QColor, QString>> bitsLegend(const QuantController* controller);

} // namespace tessera::studio

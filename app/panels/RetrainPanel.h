#pragma once
// The Retrain dock (View > Panels > Retrain, tabbed with the Quantization dock, whose
// "Retrain…" button brings it forward): the run's settings, Start / Cancel with progress,
// the live loss and accuracy curve per epoch (RetrainCurve), and after the run the
// before/after tables (overall: held-out, evaluation top-1, FP32, output SQNR, accuracy
// under noise as mean ± spread over seeds; per analog layer: SQNR) and "Adopt Tuned Model".
// Logic lives in RetrainController.
#include "app/controllers/RetrainController.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace tessera::studio {

class RetrainCurve;

class RetrainPanel : public QWidget {
    Q_OBJECT
public:
    // Observes `retrain` (the workspace's; not owned).
    RetrainPanel(ProjectModel* model, RetrainController* retrain, QWidget* parent = nullptr);

    RetrainController* controller() const { return m_controller; }
    RetrainCurve* curve() const { return m_curve; }
    QTableWidget* overallTable() const { return m_overall; }
    QTableWidget* layerTable() const { return m_layers; }
    QPushButton* startButton() const { return m_start; }
    QPushButton* cancelButton() const { return m_cancel; }
    QPushButton* adoptButton() const { return m_adopt; }
    QLabel* statusLabel() const { return m_status; }
    QSpinBox* epochsBox() const { return m_epochs; }

    // Rows of the overall table.
    enum OverallRow { HeldOut, EvalTop1, Fp32Top1, OutputSqnr, UnderNoise, OverallRows };

signals:
    void message(const QString& text, bool isError);

private:
    QWidget* createBar();
    QWidget* createSettings();
    QWidget* createResults();
    void connectSignals();
    void chooseTrainingData();
    void storeSettings();
    void loadSettings();
    void refreshState();
    void refreshOutcome();
    void fillOverall(const RetrainOutcome& o);
    void fillLayers(const RetrainOutcome& o);

    ProjectModel* m_model;
    RetrainController* m_controller;
    RetrainCurve* m_curve;
    QLabel* m_data;
    QSpinBox* m_epochs;
    QDoubleSpinBox* m_lr;
    QSpinBox* m_batch;
    QDoubleSpinBox* m_holdout;
    QSpinBox* m_patience;
    QSpinBox* m_seed;
    QComboBox* m_noise;
    QSpinBox* m_samples;
    QSpinBox* m_noiseSeeds;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QPushButton* m_adopt;
    QProgressBar* m_progress;
    QLabel* m_status;
    QLabel* m_summary;
    QTableWidget* m_overall;
    QTableWidget* m_layers;
};

} // namespace tessera::studio

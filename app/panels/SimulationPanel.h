#pragma once
// The simulation dock: Run / Cancel the package of the chip view's compile on the first N
// samples of the evaluation data (SimulationController), the noise (off / default / file)
// and seeds of the runs, progress, the results (accuracy or agreement with FP32 and the
// quantized reference, noise on as mean ± spread over the seeds, bit identity, latency,
// frames/s, energy, power, bottleneck), the before/after table of the last bit change and
// the timeline of one frame. It also feeds the chip view's "Tile busy" heat map.
#include "app/controllers/SimulationController.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace tessera::studio {

class ChipPanel;
class SimulationTimeline;

class SimulationPanel : public QWidget {
    Q_OBJECT
public:
    // Observes `simulation` (the workspace's; not owned) and marks tiles in `chip`'s scene.
    SimulationPanel(ProjectModel* model, SimulationController* simulation, ChipPanel* chip, QWidget* parent = nullptr);

    SimulationController* controller() const { return m_controller; }
    SimulationTimeline* timeline() const { return m_timeline; }
    QTableWidget* beforeAfter() const { return m_compare; }
    QLabel* resultsLabel() const { return m_results; }
    QPushButton* runButton() const { return m_run; }
    QComboBox* noiseBox() const { return m_noise; }
    QSpinBox* seedsBox() const { return m_seeds; }
    int64_t selectedTile() const { return m_tile; }

signals:
    void message(const QString& text, bool isError);

private:
    void layOut();
    void connectSignals();
    void refresh();
    void refreshCompare();
    void refreshNoise();
    void onNoiseChosen(int index);
    void followSelection();
    void onBarClicked(const QString& label, qint64 tile);

    ProjectModel* m_model;
    ChipPanel* m_chip;
    SimulationController* m_controller;
    SimulationTimeline* m_timeline;
    QSpinBox* m_samples;
    QComboBox* m_noise;
    QPushButton* m_noiseFile;
    QSpinBox* m_seeds;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_results;
    QLabel* m_changed;
    QTableWidget* m_compare;
    int64_t m_tile = -1;
};

} // namespace tessera::studio

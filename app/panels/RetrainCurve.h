#pragma once
// The Retrain dock's live curve (QCustomPlot): loss (left axis) and accuracy in % (right
// axis) per finished epoch, training and held-out, the best held-out epoch marked.
#include "quant/train/Retrain.h"

#include <QWidget>

class QCustomPlot;
class QCPGraph;

namespace tessera::studio {

class RetrainCurve : public QWidget {
    Q_OBJECT
public:
    explicit RetrainCurve(QWidget* parent = nullptr);

    void clear(int plannedEpochs);
    void addEpoch(const train::EpochReport& epoch);
    int pointCount() const; // epochs on the curve
    QCustomPlot* plot() const { return m_plot; }

private:
    void rescale();

    QCustomPlot* m_plot;
    QCPGraph* m_trainLoss;
    QCPGraph* m_heldLoss;
    QCPGraph* m_trainAcc;
    QCPGraph* m_heldAcc;
    QCPGraph* m_best;
    int m_planned = 1;
    double m_maxLoss = 0.0;
    double m_minAcc = 100.0;
};

} // namespace tessera::studio

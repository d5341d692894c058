#pragma once
// Detail of one analog layer for the quantization dock (no widgets): histograms of its
// weights and of its input activations with the quantization grid and clipping range.
//  - Weights: all output channels together, each weight divided by its own channel's
//    scale. Per-channel scales differ, so in real units every channel has its own grid;
//    in units of the channel scale they all share one: the integer codes
//    -(2^(b-1)-1)..2^(b-1)-1, clipping at the ends. One histogram then shows how the whole
//    layer fills its grid and how much the weight observer clips, whichever channel.
//  - Input activations: the FP32 values reaching the layer on the first
//    kActivationSamples calibration samples (one background FP32 run collects the inputs of
//    every analog layer; cached until the model or the calibration data change), drawn
//    against the input tensor's grid: scale * k over its codes ([0, T] unsigned,
//    [-T, T] signed, T = scale * max code).
#include "app/controllers/QuantController.h"
#include "core/analog/Numerics.h"

#include <QObject>

#include <map>
#include <optional>
#include <vector>

namespace tessera::studio {

struct GridHistogram {
    double binStart = 0.0;
    double binWidth = 0.0;
    std::vector<int64_t> counts;
    double step = 1.0;                 // grid spacing (the scale)
    int64_t codeLo = 0, codeHi = 0;    // grid: step * k for k in [codeLo, codeHi]
    int stride = 1;                    // only every stride-th level is drawn (too dense)
    std::vector<double> gridLines;     // step * k for the drawn k (k % stride == 0)
    double clipLo = 0.0, clipHi = 0.0; // step * codeLo, step * codeHi
    int64_t total = 0;
    int64_t clipped = 0;               // values outside [clipLo, clipHi]

    int64_t levels() const { return codeHi - codeLo + 1; }
    double clippedFraction() const { return total ? static_cast<double>(clipped) / total : 0.0; }
};

// Histogram of `values` over the grid `step * [codes.lo, codes.hi]`; at most `maxLines`
// grid lines (stride: the smallest power of two that fits).
GridHistogram gridHistogram(const std::vector<float>& values, double step, analog::CodeRange codes, int maxLines = 64,
                            int bins = 96);

class QuantLayerInspector : public QObject {
    Q_OBJECT
public:
    static constexpr int64_t kActivationSamples = 32;
    static constexpr int64_t kMaxValuesPerLayer = int64_t(1) << 21; // whole batches beyond: dropped

    QuantLayerInspector(QuantController* quant, ProjectModel* model, JobManager* jobs, QObject* parent = nullptr);

    // Weights / scale per channel, grid of the layer's chosen weight bits. Needs calibration.
    std::optional<GridHistogram> weightHistogram(const QString& layer) const;
    // Input activations; nullopt before calibration, before collection, or for a float input.
    std::optional<GridHistogram> activationHistogram(const QString& layer) const;
    // The collected FP32 input values of `layer` and the number of samples they cover.
    const std::vector<float>* activations(const QString& layer, int64_t* samples = nullptr) const;
    bool hasActivations() const { return !m_inputs.empty(); }

    // Starts the FP32 collection job (nothing when cached or running); returns the job id.
    int collectActivations();
    int runningJob() const { return m_job; }

signals:
    void activationsChanged();
    void message(const QString& text);

private:
    struct Collected {
        std::vector<float> values;
        int64_t samples = 0;
    };
    void clearCache();

    QuantController* m_quant;
    ProjectModel* m_model;
    JobManager* m_jobs;
    std::map<std::string, Collected> m_inputs; // by layer (node) name
    QString m_dataset;                          // the calibration data they came from
    int m_job = 0;
};

} // namespace tessera::studio

#pragma once
// Evaluation of a quantization result against the FP32 graph: top-1 accuracy on labelled
// data, top-1 agreement with FP32, output SQNR, and per-layer SQNR between FP32 and
// quantized activations ("which layer causes the drop?"). SQNR = 10 log10(sum fp^2 /
// sum (fp - q)^2) over all samples; per layer it is cumulative (errors of earlier layers
// included), so the layer where it falls is the one to look at.
#include "core/Progress.h"
#include "quant/Dataset.h"
#include "core/quantspec/QuantSpec.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tessera::quant {

struct LayerError {
    std::string node;
    std::string opType;
    std::string value;
    bool analog = false;
    double sqnrDb = 0.0; // +inf when identical
};

struct EvalReport {
    int64_t samples = 0;
    bool hasLabels = false;
    double fp32Top1 = 0.0;   // fractions in [0, 1] (0 without labels)
    double quantTop1 = 0.0;
    double agreement = 0.0;  // top-1 agreement quantized vs FP32
    double outputSqnrDb = 0.0;
    std::vector<LayerError> layers; // topological order (with EvalOptions::perLayer)
    double seconds = 0.0;
};

struct EvalOptions {
    int64_t batchSize = 100;
    bool perLayer = false;
};

// FP32 outputs (graph output 0, flattened per sample) computed once and reused.
struct Fp32Reference {
    std::vector<float> outputs; // [N, perSample]
    int64_t perSample = 0;
};
Fp32Reference computeFp32Reference(ModelGraphs& model, const Dataset& data, int64_t batchSize = 100,
                                   ProgressSink* progress = nullptr);

// Scores graph output 0 against the FP32 reference batch by batch, in sample order: the
// same sums, in the same order, as scoring all samples at once (evaluate).
class OutputScorer {
public:
    // `fp32`: [N, perSample]; `labels`: empty or N entries; both outlive the scorer.
    OutputScorer(const float* fp32, int64_t perSample, const std::vector<int64_t>& labels);
    // Quantized outputs of samples [first, first + count / perSample).
    void add(int64_t first, const float* quantized, int64_t count);
    // Fills samples, hasLabels, fp32Top1, quantTop1, agreement and outputSqnrDb.
    void finish(EvalReport& report) const;

private:
    const float* m_fp;
    int64_t m_per;
    const std::vector<int64_t>& m_labels;
    int64_t m_samples = 0, m_fpCorrect = 0, m_qCorrect = 0, m_agree = 0;
    double m_signal = 0.0, m_noise = 0.0;
};

// Graph output 0 of a run without a fixed batch's padding samples, as float32.
std::vector<float> realOutput0(const ModelBatch& batch, const Tensor& output);

EvalReport evaluate(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options = {},
                    ProgressSink* progress = nullptr, const Fp32Reference* reference = nullptr);

// Quantized outputs of graph output 0 for all samples ([N, perSample]).
std::vector<float> runQuantizedOutputs(ModelGraphs& model, const QuantSpec& result, const Dataset& data,
                                       int64_t batchSize = 100, ProgressSink* progress = nullptr);

double sqnrDb(double signal, double noise);
nlohmann::json toJson(const EvalReport& report);

} // namespace tessera::quant

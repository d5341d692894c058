#pragma once
// Evaluation of a quantization result against the FP32 graph: top-1 accuracy on labelled
// data, top-1 agreement with FP32, output SQNR, and per-layer SQNR between FP32 and
// quantized activations ("which layer causes the drop?"). SQNR = 10 log10(sum fp^2 /
// sum (fp - q)^2) over all samples; per layer it is cumulative (errors of earlier layers
// included), so the layer where it falls is the one to look at.
#include "core/Progress.h"
#include "quant/Dataset.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/OutputScorer.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tessera::quant {

class MetricCommand;

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
    double agreement = 0.0;  // the task's agreement quantized vs FP32 (task.metric says which)
    double outputSqnrDb = 0.0;
    TaskScores task;
    // The user's metric command (EvalOptions::metricCommand): its score of FP32 against
    // itself (the ceiling) and of the quantized outputs against FP32.
    struct UserMetric {
        bool given = false;
        double fp32 = 0.0, quantized = 0.0;
    } userMetric;
    std::vector<LayerError> layers; // topological order (with EvalOptions::perLayer)
    double seconds = 0.0;
};

struct EvalOptions {
    int64_t batchSize = 100;
    bool perLayer = false;
    // Per-layer scoring keeps every FP32 activation of a run: runs are cut to fewer samples
    // so that these stay within this many bytes (perLayerBatchSize).
    // 256 MB: with the quantized run's values and the weights, quant-eval of PP-OCRv4 rec over
    // 100 lines at their widths peaks under 1 GB.
    int64_t perLayerBudgetBytes = int64_t(256) << 20;
    // The user's metric, 'CMD {ref} {out}' (quant/MetricCommand.h); empty: none.
    std::string metricCommand;
    // Or the same metric already holding these data's FP32 outputs and its ceiling (a search
    // measuring many configurations runs the command once per configuration): used instead.
    MetricCommand* metric = nullptr;
    // FP32 values from this model instead of the evaluated one (null: the same model), e.g.
    // the original of a tuned model (AdaRound, retraining): FP32 top-1, agreement and every
    // SQNR are then against it; per-layer values are matched by node name (nodes it lacks
    // are not scored).
    ModelGraphs* referenceModel = nullptr;
};

// The samples per run that keep all of one run's activations (FP32, every value of the
// graph) within `budgetBytes`: at least 1, at most `requested` (a fixed batch runs anyway).
// `sample`: one sample's input shape (empty: the imported one); a wider text line holds more.
int64_t perLayerBatchSize(ModelGraphs& model, int64_t requested, int64_t budgetBytes, const Shape& sample = {});

// FP32 outputs (graph output 0, flattened per sample) computed once and reused.
struct Fp32Reference {
    std::vector<float> outputs; // [N, perSample]
    int64_t perSample = 0;
    Shape sampleShape;          // graph output 0 of one sample (batch axis removed)
    std::string outputName;
};
// How graph output 0 is scored: the spec's task resolved against the output's shape.
TaskLayout taskLayout(const QuantSpec& spec, const Fp32Reference& reference);
// Refuses labels that cannot score graph output 0, from the graph alone and before anything
// runs, so a bad labels file fails at once rather than after the evaluation: a class outside
// the output's (naming the file and the index) and, given the spec, labels for another task
// or keys that do not fit a sequence output. evaluate and computeFp32Reference call it first.
void checkLabelsBeforeRunning(ModelGraphs& model, const Dataset& data, const QuantSpec* spec = nullptr);
Fp32Reference computeFp32Reference(ModelGraphs& model, const Dataset& data, int64_t batchSize = 100,
                                   ProgressSink* progress = nullptr);

// Graph output 0 of a run without a fixed batch's padding samples, as float32.
std::vector<float> realOutput0(const ModelBatch& batch, const Tensor& output);

EvalReport evaluate(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options = {},
                    ProgressSink* progress = nullptr, const Fp32Reference* reference = nullptr);

// Quantized outputs of graph output 0 for all samples ([N, perSample]).
std::vector<float> runQuantizedOutputs(ModelGraphs& model, const QuantSpec& result, const Dataset& data,
                                       int64_t batchSize = 100, ProgressSink* progress = nullptr);

// Outputs of `samples` samples ([N * prod(sampleShape)]) as a tensor [N, sampleShape...].
Tensor outputsTensor(const std::vector<float>& outputs, int64_t samples, const Shape& sampleShape);

double sqnrDb(double signal, double noise);
// What budgets are in: the user metric's ceiling - its quantized score when given, else
// FP32 top-1 - quantized top-1 with labels, else 1 - the task's agreement.
double accuracyDropOf(const EvalReport& report);
nlohmann::json toJson(const TaskScores& scores);
nlohmann::json toJson(const EvalReport& report);

} // namespace tessera::quant

#pragma once
// Per-layer sensitivity: for each analog layer and weight bit depth, quantize that layer
// alone at that depth (all others as in the base result, normally 8 bits) and measure
// the accuracy drop vs FP32 (with labels), the top-1 agreement with FP32 and the output
// SQNR vs FP32 (label-free). A cancellable job with progress.
//
// With ADC depths given, the table also has (layer, ADC bits) trials: that layer's ADC at
// that resolution, its weights (and everything else) as in the base. With DAC depths, (layer,
// DAC bits) trials likewise: that layer's input driven at that many bits (analog::dacCoding).
//
// Mixed precision (quant/MixedPrecision.cpp): a greedy descent guided by the sensitivity
// table lowers one layer's weight bits, or with an ADC or DAC axis its ADC or DAC bits, at a
// time (smallest predicted noise increase per cost saved), MEASURES each
// configuration, and returns every measured point, the Pareto front (cost vs accuracy)
// and the point chosen under the budget.
#include "core/Progress.h"
#include "core/analog/CostModel.h"
#include "core/target/FrameCost.h"
#include "quant/Dataset.h"
#include "quant/Evaluate.h"
#include "core/quantspec/QuantSpec.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tessera::quant {

struct SensitivityOptions {
    std::vector<int> bits{8, 6, 4, 3, 2};
    std::vector<int> adcBits; // ADC depths to try per layer (weights as in the base); empty: none
    // DAC (input) depths to try per layer, each up to the layer's input tensor bits; empty: none
    std::vector<int> dacBits;
    int64_t batchSize = 100;
    // The user's metric, 'CMD {ref} {out}' (quant/MetricCommand.h): each entry's accuracy
    // drop is then in its units (ceiling - score), the command run once per trial on that
    // trial's outputs of every sample (kept until its last batch). Empty: the task metric.
    std::string metricCommand;
    // Refused (naming the size) when keeping every trial's outputs until the last batch
    // would need more than this many bytes (only with more than one batch).
    int64_t metricBudgetBytes = int64_t(2) << 30;
};

struct SensitivityEntry {
    std::string layer;
    int bits = 8;
    int64_t params = 0;
    double top1 = 0.0;         // with labels
    double accuracyDrop = 0.0; // the user metric's drop when given, else FP32 top-1 - top1 (labels) else 1 - agreement
    double agreement = 0.0;
    double outputSqnrDb = 0.0;
    int adcBits = 0; // > 0: an ADC trial at these ADC bits (`bits` = the base's weight bits); 0: a weight trial
    int dacBits = 0; // > 0: a DAC trial at these DAC bits (`bits` = the base's weight bits)
};

struct SensitivityReport {
    bool hasLabels = false;
    std::string metric; // what each entry's agreement is (TaskScores::metric)
    std::string userMetric; // the metric command the drops are in (empty: the task metric)
    double fp32Top1 = 0.0;
    std::vector<SensitivityEntry> entries;
    double seconds = 0.0;
    const SensitivityEntry* find(const std::string& layer, int bits) const; // weight trials
    const SensitivityEntry* findAdc(const std::string& layer, int adcBits) const;
    const SensitivityEntry* findDac(const std::string& layer, int dacBits) const;
};

// Work saved: per batch, the base model runs once, layer by layer, and every trial of
// layer L (L reprogrammed alone, quant/QuantizedExecutor.h) resumes from the base run's
// values before L and runs only the rest of the graph. Outputs are scored as they come
// (OutputScorer), so nothing per trial is kept but its sums and counts.
SensitivityReport analyzeSensitivity(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                     const SensitivityOptions& options = {}, ProgressSink* progress = nullptr);
// The same table by one full evaluation per (layer, bits): slower; the independent
// reference the tests compare analyzeSensitivity with (equal, number for number).
SensitivityReport analyzeSensitivityByFullRuns(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                               const SensitivityOptions& options = {},
                                               ProgressSink* progress = nullptr);

// WeightBits, Energy and Latency: per-layer sums of the cost model (storage in bits, pJ,
// ns). FrameEnergy and Fps: the whole frame from a FrameCostModel (compiled, performance
// model): energy per frame in uJ, and the steady-state frame interval in us (1e6 / frames/s,
// so that lower is better on every objective).
enum class CostObjective { WeightBits, Energy, Latency, FrameEnergy, Fps };
const char* costObjectiveName(CostObjective objective);
CostObjective parseCostObjective(const std::string& name);
bool isFrameObjective(CostObjective objective);
// A point's cost under a frame objective.
double frameObjectiveValue(const FrameFigures& frame, CostObjective objective);

// Cost of a whole result under the cost model, per inference (batch-1 graph).
double resultCost(const QuantSpec& result, const Graph& batchOneGraph, const analog::CostModel& model,
                  CostObjective objective);

struct MixedPrecisionOptions {
    double maxAccuracyDrop = 0.01; // fraction (0.01 = 1 pp); <0: no limit
    double maxCost = -1.0;         // in the objective's unit; <0: no limit
    CostObjective objective = CostObjective::WeightBits;
    std::vector<int> bits{8, 6, 4, 3, 2};
    // Second search axis: ADC depths per layer (only with the energy or latency objective,
    // whose cost depends on them; the sensitivity table needs their trials). Empty: off.
    std::vector<int> adcBits;
    // Third axis: DAC (input) depths per layer, up to each layer's input bits (energy or
    // latency objective: bit-serial inputs take time and energy per bit). Empty: off.
    std::vector<int> dacBits;
    // Frame objectives: per step, the cost model's (per-layer energy or latency) best
    // `frameCandidates` moves and every move on the current bottleneck layers (at most two)
    // are priced by the frame model; the step taken is the least predicted noise per unit of
    // frame cost saved. Each distinct configuration is priced once (cached).
    int frameCandidates = 4;
    int64_t batchSize = 100;
    // Stop descending once the measured drop exceeds this multiple of maxAccuracyDrop.
    double stopFactor = 3.0;
    // Every measured point scored by the user's metric (EvalOptions::metricCommand), the
    // command run once per point (its ceiling once): the budget is then in its units. The
    // greedy order comes from the table's output SQNR either way.
    std::string metricCommand;
};

struct ParetoPoint {
    std::map<std::string, int> weightBits;
    std::map<std::string, int> adcBits;
    std::map<std::string, int> dacBits; // every layer's DAC bits (the base's without a DAC axis)
    double cost = 0.0;
    double top1 = 0.0;
    double accuracyDrop = 0.0;
    double agreement = 0.0;
    double outputSqnrDb = 0.0;
    double fractionWeightsAtMost3Bits = 0.0;
    bool onFront = false;
    // The cost model's per-layer sum for this configuration (the greedy predictor; equal to
    // `cost` on the per-layer objectives).
    double predictedCost = 0.0;
    bool hasFrame = false; // frame figures known (frame objectives: every point)
    FrameFigures frame;
};

struct MixedPrecisionReport {
    std::vector<ParetoPoint> measured; // in search order; measured[0] is the base
    int chosen = -1;                   // index into measured, -1 when nothing meets the budget
    QuantSpec chosenResult;
    double seconds = 0.0;
    std::string frameModel; // FrameCostModel::describe() (empty: none)
    int frameCalls = 0;     // configurations priced by the frame model
    double frameSeconds = 0.0;
};

// `frameCost`: required by the frame objectives (every measured point is priced by it and the
// front is theirs); with a per-layer objective, when given, the front and the chosen point
// also get frame figures (report only).
MixedPrecisionReport searchMixedPrecision(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                          const SensitivityReport& sensitivity, const MixedPrecisionOptions& options,
                                          const analog::CostModel& costModel, ProgressSink* progress = nullptr,
                                          const FrameCostModel* frameCost = nullptr);

nlohmann::json toJson(const SensitivityReport& report);
// A `tessera sensitivity` report (toJson) read back, every field checked; errors name `source`.
SensitivityReport sensitivityFromJson(const nlohmann::json& json, const std::string& source);
// A `tessera sensitivity` report read back for a search over `bits` (ADC `adcBits`, DAC `dacBits`) on
// `base`: every field checked; refused naming the file when a layer or depth is missing or
// labels differ.
SensitivityReport readSensitivityFor(const std::string& path, const QuantSpec& base, const std::vector<int>& bits,
                                     bool hasLabels, const std::vector<int>& adcBits = {},
                                     const std::vector<int>& dacBits = {});
// Per point: cost (the objective's), predicted_cost, and with frame figures `frame`
// {energy_uj_per_frame, latency_us, fps, bottleneck, bottleneck_layers}; `frame_model`
// {model, calls, seconds} when a frame model priced points.
nlohmann::json toJson(const MixedPrecisionReport& report);
nlohmann::json toJson(const FrameFigures& frame);
FrameFigures frameFiguresFromJson(const nlohmann::json& json); // toJson's, read back

} // namespace tessera::quant

#pragma once
// The CLI-/studio-facing entry points of the quantizer: one call per verb, all errors as
// tessera::Error before anything is written (outputs are written atomically at the end).
//   tessera quantize     -> runQuantize      (writes the quantization JSON)
//   tessera quant-eval   -> runQuantEval     (accuracy, agreement, per-layer SQNR as JSON)
//   tessera sensitivity  -> runSensitivity   (per-layer x bit-depth table as JSON)
//   tessera mixed-precision -> runMixedPrecision (measured points, Pareto front, chosen
//                            point; optionally writes the chosen quantization JSON)
#include "core/Progress.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/ImageFolder.h"
#include "quant/Sensitivity.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::quant {

// Where samples come from: .npy files (concatenated) or a folder of PNG images.
struct DataSource {
    std::vector<std::string> npyFiles;
    std::string imageFolder;
    ImagePreprocess preprocess;
    std::string labelsNpy; // optional
    std::string labelsText; // optional: one label text per sample (sequence outputs)
    std::string keys;       // with labelsText: the class -> character dictionary
    bool keysWithSpace = false;
    int64_t limit = 0;     // use only the first `limit` samples (0: all)
};
Dataset loadDataSource(const DataSource& source);
// The model imported with its symbolic input dims fixed by the samples' shape.
ModelGraphs openModelFor(const std::string& modelPath, const Dataset& data);
// The model imported with the input shape `result` was calibrated with, prepared for it.
ModelGraphs openModelFor(const std::string& modelPath, const QuantSpec& result);

// The output task as the user overrides it (CLI --task, --blank, --mask-threshold): empty
// fields keep the quantization spec's.
struct TaskOverride {
    std::string kind;
    std::optional<int64_t> blank;
    std::optional<double> maskThreshold;
    void applyTo(OutputTask& task) const;
};

struct QuantizeRequest {
    std::string modelPath;
    DataSource calibration;
    QuantConfig config;
    TaskOverride task;
    std::string outputPath; // quantization JSON
};
QuantSpec runQuantize(const QuantizeRequest& request, ProgressSink* progress = nullptr);

struct EvalRequest {
    std::string modelPath;
    std::string quantPath; // quantization JSON
    DataSource data;
    bool perLayer = true;
    bool nonIdealities = true; // use the JSON's non-ideality settings
    bool defaultNoise = false; // the JSON's, or the default noise model when it has none
    std::optional<uint64_t> noiseSeed; // replaces the non-idealities' seed (another chip)
    TaskOverride task;
    std::string metricCommand; // the user's metric, 'CMD {ref} {out}' (optional)
    // FP32 reference from another model (the original of a tuned model; optional).
    std::string referenceModelPath;
    // Use a quantization file made for another model (its content hash differs); refused otherwise.
    bool force = false;
};
nlohmann::json runQuantEval(const EvalRequest& request, ProgressSink* progress = nullptr);

struct SensitivityRequest {
    std::string modelPath;
    std::string quantPath;
    DataSource data;
    SensitivityOptions options;
    TaskOverride task;
    std::string outputPath; // JSON report (optional)
    // Use a quantization file made for another model (its content hash differs); refused otherwise.
    bool force = false;
};
nlohmann::json runSensitivity(const SensitivityRequest& request, ProgressSink* progress = nullptr);

struct MixedPrecisionRequest {
    std::string modelPath;
    std::string quantPath;
    DataSource data;
    MixedPrecisionOptions options;
    TaskOverride task;
    std::string sensitivityPath; // a `tessera sensitivity` report to reuse (optional)
    // Hardware target (preset or JSON) whose timing and energy price the energy / latency
    // objectives (TargetCostModel, core/target/AnalogCost.h); empty: the generic cost model.
    std::string target;
    // Prices whole frames on that target (the frame-energy and fps objectives need it; with
    // the others it adds frame figures to the front). The CLI and the studio give the
    // compiler + performance model (app/framecost/PerfFrameCost.h); quant/ only sees this.
    std::shared_ptr<const FrameCostModel> frameCost;
    // Fraction of the samples (the last ones) held out of the search; the chosen point is
    // measured on them and the report says whether it meets the budget there (0: none).
    double holdout = 0.0;
    std::string reportPath;      // JSON report (optional)
    std::string chosenQuantPath; // quantization JSON of the chosen point (optional)
    // Use a quantization file made for another model (its content hash differs); refused otherwise.
    bool force = false;
};
nlohmann::json runMixedPrecision(const MixedPrecisionRequest& request, ProgressSink* progress = nullptr);

} // namespace tessera::quant

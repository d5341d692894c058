#pragma once
// Before/after of a retraining run, measured by the quantizer's own evaluation
// (quant::runQuantEval, the quantized executor): the starting model with its spec against
// the tuned model with its spec, on the same evaluation data:
//  - ideal analog numerics (non-idealities off): top-1 with labels (else the task's
//    agreement with FP32), output SQNR and the per-layer cumulative SQNR;
//  - under noise: the tuned spec's non-idealities, else the starting spec's, else
//    `fallbackNoise` (the default analog-noise model the engine trains with): the accuracy
//    for noise seeds 1..N, shown as mean and spread.
#include "core/analog/AnalogModel.h"
#include "core/Progress.h"
#include "quant/Evaluate.h"
#include "quant/QuantizeApi.h"

#include <string>
#include <vector>

namespace tessera::studio {

// Top-1 with labels, else the task's agreement with FP32: what "accuracy" means here.
inline double accuracyOf(const quant::EvalReport& r) { return r.hasLabels ? r.quantTop1 : r.agreement; }

struct RetrainEval {
    bool measured = false;
    quant::EvalReport report; // ideal numerics, per-layer SQNR in report.layers
    std::vector<double> noisy; // accuracy() per noise seed (empty: not measured)

    double accuracy() const { return accuracyOf(report); }
    double noisyMean() const;
    double noisySpread() const; // sample standard deviation (0 with fewer than 2 seeds)
    double sqnrOf(const std::string& node) const; // NaN when not listed
};

struct RetrainComparison {
    RetrainEval before, after;
    analog::NonIdealities noise; // the model evaluated under noise (any() false: none)
    std::string note;            // why a part was not measured
};

struct RetrainCompareInput {
    std::string startModel, startQuant; // the model and spec training started from
    std::string tunedModel, tunedQuant;
    quant::DataSource data; // evaluation data
    int noiseSeeds = 5;
    analog::NonIdealities fallbackNoise; // used when neither spec has non-idealities
};

// Throws tessera::Error (a file that cannot be read, data that does not fit) or Cancelled.
RetrainComparison compareRetrain(const RetrainCompareInput& in, ProgressSink& progress);

} // namespace tessera::studio

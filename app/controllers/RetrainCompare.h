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
#include "quant/QuantizeApi.h"

#include <string>
#include <vector>

namespace tessera::studio {

struct RetrainEval {
    bool measured = false;
    bool hasLabels = false;
    int64_t samples = 0;
    double top1 = 0.0;     // quantized top-1 (fraction; with labels)
    double fp32Top1 = 0.0; // the FP32 model's own top-1 (with labels)
    double agreement = 0.0;
    double outputSqnrDb = 0.0;
    std::vector<quant::LayerError> layers; // per node, cumulative SQNR
    std::vector<double> noisy;             // accuracy() per noise seed (empty: not measured)

    double accuracy() const { return hasLabels ? top1 : agreement; }
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

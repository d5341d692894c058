#include "app/controllers/RetrainCompare.h"

#include "core/quantspec/QuantSpec.h"
#include "quant/Evaluate.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace tessera::studio {

double RetrainEval::noisyMean() const
{
    if (noisy.empty())
        return std::numeric_limits<double>::quiet_NaN();
    return std::accumulate(noisy.begin(), noisy.end(), 0.0) / static_cast<double>(noisy.size());
}

double RetrainEval::noisySpread() const
{
    if (noisy.size() < 2)
        return 0.0;
    const double mean = noisyMean();
    double sum = 0.0;
    for (double v : noisy)
        sum += (v - mean) * (v - mean);
    return std::sqrt(sum / static_cast<double>(noisy.size() - 1));
}

double RetrainEval::sqnrOf(const std::string& node) const
{
    for (const quant::LayerError& l : report.layers)
        if (l.node == node)
            return l.sqnrDb;
    return std::numeric_limits<double>::quiet_NaN();
}

namespace {

// One model with its spec: ideal numerics with per-layer SQNR, then each noise seed.
RetrainEval evaluateOne(const std::string& modelPath, QuantSpec spec, const quant::Dataset& data,
                        const analog::NonIdealities& noise, int seeds, ProgressSink& sink)
{
    quant::ModelGraphs model = quant::openModelFor(modelPath, spec);
    const quant::Fp32Reference fp32 = quant::computeFp32Reference(model, data, 100, &sink);
    spec.config.nonIdealities = {};
    quant::EvalOptions ideal;
    ideal.perLayer = true;
    RetrainEval e;
    e.report = quant::evaluate(model, spec, data, ideal, &sink, &fp32);
    e.measured = true;
    for (int s = 1; noise.any() && s <= seeds; ++s) {
        sink.checkpoint(0.5, "noise seed " + std::to_string(s) + " of " + std::to_string(seeds));
        spec.config.nonIdealities = noise;
        spec.config.nonIdealities.seed = static_cast<uint64_t>(s);
        e.noisy.push_back(accuracyOf(quant::evaluate(model, spec, data, {}, &sink, &fp32)));
    }
    return e;
}

} // namespace

RetrainComparison compareRetrain(const RetrainCompareInput& in, ProgressSink& progress)
{
    RetrainComparison c;
    progress.checkpoint(0.0, "loading the evaluation data");
    const quant::Dataset data = quant::loadDataSource(in.data);
    const QuantSpec start = readQuantSpec(in.startQuant), tuned = readQuantSpec(in.tunedQuant);
    c.noise = tuned.config.nonIdealities.any() ? tuned.config.nonIdealities
              : start.config.nonIdealities.any() ? start.config.nonIdealities
                                                 : in.fallbackNoise;
    if (!c.noise.any())
        c.note = "no noise model (neither spec has non-idealities): accuracy under noise not measured";
    else if (in.noiseSeeds <= 0)
        c.note = "noise seeds 0: accuracy under noise not measured";
    {
        SubProgress part(progress, 0.0, 0.5);
        part.checkpoint(0.0, "evaluating the starting model");
        c.before = evaluateOne(in.startModel, start, data, c.noise, in.noiseSeeds, part);
    }
    SubProgress part(progress, 0.5, 1.0);
    part.checkpoint(0.0, "evaluating the tuned model");
    c.after = evaluateOne(in.tunedModel, tuned, data, c.noise, in.noiseSeeds, part);
    return c;
}

} // namespace tessera::studio

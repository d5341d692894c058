// The mixed-precision search (quant/Sensitivity.h): a greedy descent over per-layer
// weight, DAC and ADC bits guided by the sensitivity table, every configuration measured.
#include "quant/Sensitivity.h"
#include "quant/SearchSupport.h"

#include "core/Error.h"
#include "core/analog/SpecProgramming.h"
#include "quant/Calibrator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

namespace tessera::quant {

namespace {

// Output noise power relative to signal, from an SQNR in dB (additive across layers to
// first order, which is what makes it a usable predictor for the greedy search).
double noiseRatio(double sqnrDb) { return std::isfinite(sqnrDb) ? std::pow(10.0, -sqnrDb / 10.0) : 0.0; }

// One layer's depths on the three axes.
struct LayerBits {
    int weight = 8, dac = 8, adc = 12;
};

analog::LayerWork workOf(const LayerQuant& l, const Graph& g, const LayerBits& b)
{
    std::optional<NodeId> id = g.findNode(l.node);
    if (!id)
        fail("layer '", l.node, "' is not in graph '", g.name, "'");
    analog::LayerWork w;
    w.rows = l.rows;
    w.cols = l.cols;
    w.groups = l.groups;
    w.vectors = numElements(g.value(g.node(*id).outputs[0]).shape) / std::max<int64_t>(1, l.cols);
    w.weightBits = b.weight;
    w.inputBits = b.dac;
    w.adcBits = b.adc;
    return w;
}

double objectiveOf(const analog::LayerCost& c, CostObjective objective)
{
    switch (objective) {
    case CostObjective::WeightBits: return static_cast<double>(c.weightStorageBits);
    case CostObjective::Energy: return c.energyPj;
    case CostObjective::Latency: return c.latencyNs;
    }
    return 0.0;
}

void markPareto(std::vector<ParetoPoint>& pts)
{
    for (ParetoPoint& p : pts) {
        p.onFront = true;
        for (const ParetoPoint& q : pts)
            if (q.cost <= p.cost && q.accuracyDrop <= p.accuracyDrop &&
                (q.cost < p.cost || q.accuracyDrop < p.accuracyDrop)) {
                p.onFront = false;
                break;
            }
    }
}

int choosePoint(const std::vector<ParetoPoint>& pts, const MixedPrecisionOptions& o)
{
    int best = -1;
    for (int i = 0; i < static_cast<int>(pts.size()); ++i) {
        const ParetoPoint& p = pts[i];
        if (o.maxAccuracyDrop >= 0 && p.accuracyDrop > o.maxAccuracyDrop + 1e-12)
            continue;
        if (o.maxCost >= 0 && p.cost > o.maxCost)
            continue;
        if (best < 0)
            best = i;
        else if (o.maxCost >= 0 && o.maxAccuracyDrop < 0) // cost budget: most accurate
            best = p.accuracyDrop < pts[best].accuracyDrop ? i : best;
        else // accuracy budget: cheapest
            best = p.cost < pts[best].cost || (p.cost == pts[best].cost && p.accuracyDrop < pts[best].accuracyDrop) ? i
                                                                                                                  : best;
    }
    return best;
}

} // namespace

const char* costObjectiveName(CostObjective o)
{
    switch (o) {
    case CostObjective::WeightBits: return "weight-bits";
    case CostObjective::Energy: return "energy";
    case CostObjective::Latency: return "latency";
    }
    return "weight-bits";
}

CostObjective parseCostObjective(const std::string& name)
{
    for (CostObjective o : {CostObjective::WeightBits, CostObjective::Energy, CostObjective::Latency})
        if (name == costObjectiveName(o))
            return o;
    fail("unknown cost objective '", name, "' (expected weight-bits, energy or latency)");
}

double resultCost(const QuantSpec& result, const Graph& g, const analog::CostModel& model, CostObjective objective)
{
    double sum = 0.0;
    for (const LayerQuant& l : result.layers) {
        const LayerBits b{l.weightBits, analog::layerDacBits(result, l), l.adcBits};
        sum += objectiveOf(model.layerCost(workOf(l, g, b), result.config.geometry), objective);
    }
    return sum;
}

namespace {

// One configuration of the search: every layer's depths.
using SearchState = std::map<std::string, LayerBits>;

// A state as the maps withChosenBits and ParetoPoint take.
struct BitMaps {
    std::map<std::string, int> weight, dac, adc;
};
BitMaps bitMaps(const SearchState& s)
{
    BitMaps m;
    for (const auto& [name, b] : s) {
        m.weight[name] = b.weight;
        m.dac[name] = b.dac;
        m.adc[name] = b.adc;
    }
    return m;
}

using LayerCostFn = std::function<double(const LayerQuant&, const LayerBits&)>;

struct GreedyStep {
    const LayerQuant* layer = nullptr;
    LayerBits bits;       // the layer's new depths
    double score = 1e300; // predicted noise added per unit of cost saved
};

// Predicted noise added by going from the depth of `cur` to that of `next` on one axis
// (`cur` absent: the base's depth, taken as adding nothing).
double predictedNoise(const SensitivityEntry& next, const SensitivityEntry* cur)
{
    return std::max(1e-12, noiseRatio(next.outputSqnrDb) - (cur ? noiseRatio(cur->outputSqnrDb) : 0.0));
}

// The next lower depth than `cur` in `depths` (sorted high to low), 0 when none.
int nextLower(const std::vector<int>& depths, int cur)
{
    auto next = std::find_if(depths.begin(), depths.end(), [&](int b) { return b < cur; });
    return next == depths.end() ? 0 : *next;
}

// The search's depths per axis, high to low.
struct Axes {
    std::vector<int> weight, dac, adc;
};

// The next step: one layer lowered by one depth on one axis (weight, DAC or ADC bits),
// least predicted noise added (from the sensitivity table) per unit of cost saved. No
// layer: every one is at its lowest depths.
GreedyStep cheapestStep(const QuantSpec& base, const SensitivityReport& sens, const Axes& axes,
                        const SearchState& state, const LayerCostFn& layerCost)
{
    GreedyStep pick;
    auto consider = [&](const LayerQuant& l, const LayerBits& next, const SensitivityEntry* en,
                        const SensitivityEntry* ec) {
        if (!en)
            return;
        const double saved = std::max(1e-12, layerCost(l, state.at(l.node)) - layerCost(l, next));
        const double score = predictedNoise(*en, ec) / saved;
        if (score < pick.score)
            pick = {&l, next, score};
    };
    for (const LayerQuant& l : base.layers) {
        const LayerBits cur = state.at(l.node);
        LayerBits next = cur;
        if ((next.weight = nextLower(axes.weight, cur.weight)))
            consider(l, next, sens.find(l.node, next.weight), sens.find(l.node, cur.weight));
        next = cur;
        if ((next.dac = nextLower(axes.dac, cur.dac)))
            consider(l, next, sens.findDac(l.node, next.dac), sens.findDac(l.node, cur.dac));
        next = cur;
        if ((next.adc = nextLower(axes.adc, cur.adc)))
            consider(l, next, sens.findAdc(l.node, next.adc), sens.findAdc(l.node, cur.adc));
    }
    return pick;
}

void checkSearchAxes(const MixedPrecisionOptions& o)
{
    checkDepthLists(o.bits, o.adcBits, o.dacBits);
    if ((!o.adcBits.empty() || !o.dacBits.empty()) && o.objective == CostObjective::WeightBits)
        fail("ADC or DAC bit depths as a search axis need the energy or latency objective (they do not change "
             "weight storage)");
}

std::vector<int> highToLow(std::vector<int> depths)
{
    std::sort(depths.rbegin(), depths.rend());
    return depths;
}

} // namespace

MixedPrecisionReport searchMixedPrecision(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                          const SensitivityReport& sens, const MixedPrecisionOptions& o,
                                          const analog::CostModel& costModel, ProgressSink* progress)
{
    checkSearchAxes(o);
    prepareModel(model, base);
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const Axes axes{highToLow(o.bits), highToLow(o.dacBits), highToLow(o.adcBits)};
    const Graph& g1 = model.forBatch(model.runBatch(1)); // costs per sample (per fixed batch when only that runs)
    const Graph& g = model.forBatch(model.declaredBatch());
    // Samples of several shapes: every configuration evaluated group by group (FP32 included,
    // so memory holds one group's outputs, as in quant-eval), the scores combined over groups.
    checkMetricOneShape(data, o.metricCommand);
    std::optional<Fp32Reference> ref;
    if (!data.severalShapes())
        ref = computeFp32Reference(model, data, o.batchSize, &sink);
    SensitivityOptions metricOptions;
    metricOptions.metricCommand = o.metricCommand;
    const std::unique_ptr<MetricCommand> metric = ref ? userMetricOf(metricOptions, *ref, data) : nullptr; // ceiling once

    SearchState state;
    int64_t totalParams = 0;
    for (const LayerQuant& l : base.layers) {
        state[l.node] = {l.weightBits, analog::layerDacBits(base, l), l.adcBits};
        totalParams += l.rows * l.cols;
    }
    const LayerCostFn layerCost = [&](const LayerQuant& l, const LayerBits& b) {
        return objectiveOf(costModel.layerCost(workOf(l, g1, b), base.config.geometry), o.objective);
    };
    auto build = [&](const BitMaps& m) { return withChosenBits(base, g, m.weight, m.adc, m.dac); };
    MixedPrecisionReport rep;
    auto measure = [&](const SearchState& s, double fraction) {
        sink.checkpoint(fraction, strCat("measuring configuration ", rep.measured.size() + 1));
        EvalOptions eo;
        eo.batchSize = o.batchSize;
        eo.metric = metric.get();
        const BitMaps m = bitMaps(s);
        const EvalReport e = evaluate(model, build(m), data, eo, nullptr, ref ? &*ref : nullptr);
        ParetoPoint p;
        p.weightBits = m.weight;
        p.adcBits = m.adc;
        p.dacBits = m.dac;
        int64_t low = 0;
        for (const LayerQuant& l : base.layers) {
            p.cost += layerCost(l, s.at(l.node));
            low += s.at(l.node).weight <= 3 ? l.rows * l.cols : 0;
        }
        p.top1 = e.quantTop1;
        p.accuracyDrop = accuracyDropOf(e);
        p.agreement = e.agreement;
        p.outputSqnrDb = e.outputSqnrDb;
        p.fractionWeightsAtMost3Bits = totalParams ? double(low) / totalParams : 0.0;
        rep.measured.push_back(p);
        return p;
    };
    const size_t maxSteps = base.layers.size() * (axes.weight.size() + axes.dac.size() + axes.adc.size());
    measure(state, 0.0);
    for (size_t step = 1; step <= maxSteps; ++step) {
        const GreedyStep pick = cheapestStep(base, sens, axes, state, layerCost);
        if (!pick.layer)
            break;
        state[pick.layer->node] = pick.bits;
        const ParetoPoint p = measure(state, static_cast<double>(step) / maxSteps);
        if (o.maxAccuracyDrop >= 0 && p.accuracyDrop > o.stopFactor * o.maxAccuracyDrop && o.maxCost < 0)
            break;
    }
    markPareto(rep.measured);
    rep.chosen = choosePoint(rep.measured, o);
    if (rep.chosen >= 0) {
        const ParetoPoint& c = rep.measured[rep.chosen];
        rep.chosenResult = build({c.weightBits, c.dacBits, c.adcBits});
    }
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const MixedPrecisionReport& r)
{
    nlohmann::json pts = nlohmann::json::array();
    for (const ParetoPoint& p : r.measured)
        pts.push_back({{"weight_bits", p.weightBits},
                       {"adc_bits", p.adcBits},
                       {"dac_bits", p.dacBits},
                       {"cost", p.cost},
                       {"top1", p.top1},
                       {"accuracy_drop", p.accuracyDrop},
                       {"agreement", p.agreement},
                       {"output_sqnr_db", std::isfinite(p.outputSqnrDb) ? nlohmann::json(p.outputSqnrDb) : nlohmann::json()},
                       {"fraction_weights_at_most_3_bits", p.fractionWeightsAtMost3Bits},
                       {"pareto", p.onFront}});
    return {{"points", pts}, {"chosen", r.chosen}, {"seconds", r.seconds}};
}

} // namespace tessera::quant

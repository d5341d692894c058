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
#include <set>

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

// A layer's cost under the objective; the frame objectives' per-layer predictor is the
// layer's energy (frame energy) or one-replica latency (frames/s).
double objectiveOf(const analog::LayerCost& c, CostObjective objective)
{
    switch (objective) {
    case CostObjective::WeightBits: return static_cast<double>(c.weightStorageBits);
    case CostObjective::Energy:
    case CostObjective::FrameEnergy: return c.energyPj;
    case CostObjective::Latency:
    case CostObjective::Fps: return c.latencyNs;
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
    case CostObjective::FrameEnergy: return "frame-energy";
    case CostObjective::Fps: return "fps";
    }
    return "weight-bits";
}

CostObjective parseCostObjective(const std::string& name)
{
    for (CostObjective o : {CostObjective::WeightBits, CostObjective::Energy, CostObjective::Latency,
                            CostObjective::FrameEnergy, CostObjective::Fps})
        if (name == costObjectiveName(o))
            return o;
    fail("unknown cost objective '", name, "' (expected weight-bits, energy, latency, frame-energy or fps)");
}

bool isFrameObjective(CostObjective o) { return o == CostObjective::FrameEnergy || o == CostObjective::Fps; }

double frameObjectiveValue(const FrameFigures& f, CostObjective o)
{
    if (o == CostObjective::Fps)
        return f.fps > 0 ? 1e6 / f.fps : 1e300;
    return f.energyUjPerFrame;
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
    double noise = 0.0;   // predicted noise added (sensitivity table)
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

// Every possible next step, best first: one layer lowered by one depth on one axis (weight,
// DAC or ADC bits), ranked by predicted noise added (from the sensitivity table) per unit of
// cost saved under the per-layer cost model. Empty: every layer is at its lowest depths.
// A layer's axis (0 weight, 1 DAC, 2 ADC) the search no longer lowers.
using FrozenAxes = std::set<std::pair<std::string, int>>;

int axisOf(const LayerBits& from, const LayerBits& to) { return from.weight != to.weight ? 0 : from.dac != to.dac ? 1 : 2; }

std::vector<GreedyStep> rankedSteps(const QuantSpec& base, const SensitivityReport& sens, const Axes& axes,
                                    const SearchState& state, const LayerCostFn& layerCost, const FrozenAxes& frozen)
{
    std::vector<GreedyStep> steps;
    auto consider = [&](const LayerQuant& l, const LayerBits& next, const SensitivityEntry* en,
                        const SensitivityEntry* ec) {
        if (!en || frozen.count({l.node, axisOf(state.at(l.node), next)}))
            return;
        const double saved = std::max(1e-12, layerCost(l, state.at(l.node)) - layerCost(l, next));
        const double noise = predictedNoise(*en, ec);
        steps.push_back({&l, next, noise, noise / saved});
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
    std::stable_sort(steps.begin(), steps.end(), [](const GreedyStep& a, const GreedyStep& b) { return a.score < b.score; });
    return steps;
}

// Prices configurations with the frame model, each distinct one once.
class FramePricer {
public:
    using Build = std::function<QuantSpec(const SearchState&)>;
    FramePricer(const FrameCostModel& model, const Graph& graph, Build build, ProgressSink& sink)
        : m_model(model), m_graph(graph), m_build(std::move(build)), m_sink(sink)
    {
    }
    const FrameFigures& of(const SearchState& s)
    {
        std::string key;
        for (const auto& [name, b] : s)
            key += strCat(name, ':', b.weight, '/', b.dac, '/', b.adc, ';');
        if (auto it = m_cache.find(key); it != m_cache.end())
            return it->second;
        m_sink.checkpoint(fraction, strCat("pricing configuration ", calls + 1, " by the frame model"));
        const auto t0 = std::chrono::steady_clock::now();
        FrameFigures f = m_model.frameCost(m_graph, m_build(s));
        seconds += secondsSince(t0);
        ++calls;
        return m_cache.emplace(key, std::move(f)).first->second;
    }
    double fraction = 0.0; // progress shown while pricing
    int calls = 0;
    double seconds = 0.0;

private:
    const FrameCostModel& m_model;
    const Graph& m_graph;
    Build m_build;
    ProgressSink& m_sink;
    std::map<std::string, FrameFigures> m_cache;
};

// A frame objective's step: the predictor's best `candidates` moves and every move on the
// current bottleneck layers (at most two), priced by the frame model; the least predicted
// noise per unit of frame cost saved. When none saves anything: the predictor's best.
GreedyStep frameStep(const std::vector<GreedyStep>& ranked, const SearchState& state, FramePricer& pricer,
                     CostObjective objective, int candidates)
{
    const FrameFigures cur = pricer.of(state);
    const double now = frameObjectiveValue(cur, objective);
    std::vector<std::string> hot(cur.bottleneckLayers.begin(),
                                 cur.bottleneckLayers.begin() + std::min<size_t>(2, cur.bottleneckLayers.size()));
    GreedyStep pick;
    for (size_t i = 0; i < ranked.size(); ++i) {
        const GreedyStep& c = ranked[i];
        if (static_cast<int>(i) >= candidates && std::find(hot.begin(), hot.end(), c.layer->node) == hot.end())
            continue;
        SearchState next = state;
        next[c.layer->node] = c.bits;
        const double saved = now - frameObjectiveValue(pricer.of(next), objective);
        if (saved > 1e-9 * std::abs(now) && c.noise / saved < pick.score)
            pick = {c.layer, c.bits, c.noise, c.noise / saved};
    }
    return pick.layer ? pick : ranked.front();
}

void checkSearchAxes(const MixedPrecisionOptions& o, const FrameCostModel* frameCost)
{
    checkDepthLists(o.bits, o.adcBits, o.dacBits);
    if ((!o.adcBits.empty() || !o.dacBits.empty()) && o.objective == CostObjective::WeightBits)
        fail("ADC or DAC bit depths as a search axis need an energy, latency, frame-energy or fps objective (they do "
             "not change weight storage)");
    if (isFrameObjective(o.objective) && !frameCost)
        fail("the ", costObjectiveName(o.objective), " objective needs a frame cost model (a target to compile for and "
             "the performance model)");
    if (o.frameCandidates < 1)
        fail("frame candidates per step must be at least 1, got ", o.frameCandidates);
}

std::vector<int> highToLow(std::vector<int> depths)
{
    std::sort(depths.rbegin(), depths.rend());
    return depths;
}

// The measured points priced by the frame model for the report only (per-layer objectives):
// the front and the chosen point; a configuration that does not compile is left unpriced.
void priceFront(MixedPrecisionReport& rep, FramePricer& pricer, const QuantSpec& base)
{
    for (int i = 0; i < static_cast<int>(rep.measured.size()); ++i) {
        ParetoPoint& p = rep.measured[i];
        if (!p.onFront && i != rep.chosen)
            continue;
        SearchState s;
        for (const LayerQuant& l : base.layers)
            s[l.node] = {p.weightBits.at(l.node), p.dacBits.at(l.node), p.adcBits.at(l.node)};
        try {
            p.frame = pricer.of(s);
            p.hasFrame = true;
        } catch (const Cancelled&) {
            throw;
        } catch (const Error&) {
        }
    }
}

} // namespace

namespace {

// Measures configurations of one search (accuracy on the data, cost) into its report.
struct PointMeasurer {
    ModelGraphs& model;
    const QuantSpec& base;
    const Dataset& data;
    const MixedPrecisionOptions& o;
    const Graph& graph; // the declared batch (specs are built for it)
    LayerCostFn layerCost;
    const Fp32Reference* ref; // null over samples of several shapes (evaluated group by group)
    MetricCommand* metric;
    FramePricer* pricer; // frame objectives: every point priced by it
    ProgressSink& sink;
    int64_t totalParams = 0;

    QuantSpec build(const BitMaps& m) const { return withChosenBits(base, graph, m.weight, m.adc, m.dac); }
    ParetoPoint measure(const SearchState& s, double fraction, MixedPrecisionReport& rep) const
    {
        sink.checkpoint(fraction, strCat("measuring configuration ", rep.measured.size() + 1));
        EvalOptions eo;
        eo.batchSize = o.batchSize;
        eo.metric = metric;
        const BitMaps m = bitMaps(s);
        const EvalReport e = evaluate(model, build(m), data, eo, nullptr, ref);
        ParetoPoint p;
        p.weightBits = m.weight;
        p.adcBits = m.adc;
        p.dacBits = m.dac;
        int64_t low = 0;
        for (const LayerQuant& l : base.layers) {
            p.predictedCost += layerCost(l, s.at(l.node));
            low += s.at(l.node).weight <= 3 ? l.rows * l.cols : 0;
        }
        p.cost = p.predictedCost;
        if (isFrameObjective(o.objective)) { // re-scored: the front is the frame model's
            p.frame = pricer->of(s);
            p.hasFrame = true;
            p.cost = frameObjectiveValue(p.frame, o.objective);
        }
        p.top1 = e.quantTop1;
        p.accuracyDrop = accuracyDropOf(e);
        p.agreement = e.agreement;
        p.outputSqnrDb = e.outputSqnrDb;
        p.fractionWeightsAtMost3Bits = totalParams ? double(low) / totalParams : 0.0;
        rep.measured.push_back(p);
        return p;
    }
};

// The greedy descent from `state`: one measured point per step.
void descend(const PointMeasurer& pm, const SensitivityReport& sens, const Axes& axes, SearchState state,
             MixedPrecisionReport& rep)
{
    const MixedPrecisionOptions& o = pm.o;
    const bool byFrame = isFrameObjective(o.objective);
    const bool budgetOnly = o.maxAccuracyDrop >= 0 && o.maxCost < 0;
    const size_t maxSteps = pm.base.layers.size() * (axes.weight.size() + axes.dac.size() + axes.adc.size());
    FrozenAxes frozen;
    pm.measure(state, 0.0, rep);
    for (size_t step = 1; step <= maxSteps; ++step) {
        const std::vector<GreedyStep> ranked = rankedSteps(pm.base, sens, axes, state, pm.layerCost, frozen);
        if (ranked.empty())
            break;
        const double fraction = static_cast<double>(step) / maxSteps;
        if (pm.pricer)
            pm.pricer->fraction = fraction;
        const GreedyStep pick = byFrame ? frameStep(ranked, state, *pm.pricer, o.objective, o.frameCandidates) : ranked.front();
        const LayerBits before = state.at(pick.layer->node);
        state[pick.layer->node] = pick.bits;
        const ParetoPoint p = pm.measure(state, fraction, rep);
        if (byFrame && budgetOnly && p.accuracyDrop > o.maxAccuracyDrop + 1e-12) {
            // Frame objectives: a move over the budget (typically the bottleneck layer's) is
            // undone and that layer's axis frozen; the search goes on with the other layers,
            // whose time frees arrays for the compiler to replicate the bottleneck.
            frozen.insert({pick.layer->node, axisOf(before, pick.bits)});
            state[pick.layer->node] = before;
            continue;
        }
        if (budgetOnly && p.accuracyDrop > o.stopFactor * o.maxAccuracyDrop)
            break;
    }
}

} // namespace

MixedPrecisionReport searchMixedPrecision(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                          const SensitivityReport& sens, const MixedPrecisionOptions& o,
                                          const analog::CostModel& costModel, ProgressSink* progress,
                                          const FrameCostModel* frameCost)
{
    checkSearchAxes(o, frameCost);
    prepareModel(model, base);
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
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
    const LayerCostFn layerCost = [&](const LayerQuant& l, const LayerBits& b) {
        return objectiveOf(costModel.layerCost(workOf(l, g1, b), base.config.geometry), o.objective);
    };
    PointMeasurer pm{model, base, data, o, g, layerCost, ref ? &*ref : nullptr, metric.get(), nullptr, sink};
    std::optional<FramePricer> pricer;
    if (frameCost)
        pm.pricer = &pricer.emplace(*frameCost, g, [&](const SearchState& s) { return pm.build(bitMaps(s)); }, sink);
    SearchState state;
    for (const LayerQuant& l : base.layers) {
        state[l.node] = {l.weightBits, analog::layerDacBits(base, l), l.adcBits};
        pm.totalParams += l.rows * l.cols;
    }
    MixedPrecisionReport rep;
    descend(pm, sens, {highToLow(o.bits), highToLow(o.dacBits), highToLow(o.adcBits)}, state, rep);
    markPareto(rep.measured);
    rep.chosen = choosePoint(rep.measured, o);
    if (pricer && !isFrameObjective(o.objective))
        priceFront(rep, *pricer, base);
    if (rep.chosen >= 0) {
        const ParetoPoint& c = rep.measured[rep.chosen];
        rep.chosenResult = pm.build({c.weightBits, c.dacBits, c.adcBits});
    }
    if (pricer) {
        rep.frameModel = frameCost->describe();
        rep.frameCalls = pricer->calls;
        rep.frameSeconds = pricer->seconds;
    }
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const FrameFigures& f)
{
    return {{"energy_uj_per_frame", f.energyUjPerFrame}, {"latency_us", f.latencyUs}, {"fps", f.fps},
            {"bottleneck", f.bottleneck}, {"bottleneck_layers", f.bottleneckLayers}};
}

FrameFigures frameFiguresFromJson(const nlohmann::json& j)
{
    FrameFigures f;
    f.energyUjPerFrame = j.at("energy_uj_per_frame").get<double>();
    f.latencyUs = j.at("latency_us").get<double>();
    f.fps = j.at("fps").get<double>();
    f.bottleneck = j.at("bottleneck").get<std::string>();
    f.bottleneckLayers = j.value("bottleneck_layers", std::vector<std::string>{});
    return f;
}

nlohmann::json toJson(const MixedPrecisionReport& r)
{
    nlohmann::json pts = nlohmann::json::array();
    for (const ParetoPoint& p : r.measured) {
        pts.push_back({{"weight_bits", p.weightBits},
                       {"adc_bits", p.adcBits},
                       {"dac_bits", p.dacBits},
                       {"cost", p.cost},
                       {"top1", p.top1},
                       {"accuracy_drop", p.accuracyDrop},
                       {"agreement", p.agreement},
                       {"output_sqnr_db", std::isfinite(p.outputSqnrDb) ? nlohmann::json(p.outputSqnrDb) : nlohmann::json()},
                       {"fraction_weights_at_most_3_bits", p.fractionWeightsAtMost3Bits},
                       {"pareto", p.onFront},
                       {"predicted_cost", p.predictedCost}});
        if (p.hasFrame)
            pts.back()["frame"] = toJson(p.frame);
    }
    nlohmann::json out{{"points", pts}, {"chosen", r.chosen}, {"seconds", r.seconds}};
    if (!r.frameModel.empty())
        out["frame_model"] = {{"model", r.frameModel}, {"calls", r.frameCalls}, {"seconds", r.frameSeconds}};
    return out;
}

} // namespace tessera::quant

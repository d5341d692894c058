#include "quant/Sensitivity.h"

#include "core/io/FileIO.h"
#include "core/quantspec/JsonFields.h"

#include "core/Error.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/MetricCommand.h"
#include "quant/QuantizedExecutor.h"
#include "core/Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>

namespace tessera::quant {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}


// Output noise power relative to signal, from an SQNR in dB (additive across layers to
// first order, which is what makes it a usable predictor for the greedy search).
double noiseRatio(double sqnrDb) { return std::isfinite(sqnrDb) ? std::pow(10.0, -sqnrDb / 10.0) : 0.0; }

void checkBitsList(const std::vector<int>& bits)
{
    if (bits.empty())
        fail("no bit depths given");
    for (int b : bits)
        checkWeightBits(b, "bit-depth list");
}

void checkAdcBitsList(const std::vector<int>& adcBits)
{
    for (int b : adcBits)
        checkAdcBits(b, "ADC bit-depth list");
}

// One sensitivity trial: a layer (index into the base's layers) at a weight depth, or with
// adcBits > 0 at that ADC depth (its weights as in the base).
struct TrialKey {
    size_t layer = 0;
    int bits = 8;
    int adcBits = 0;
};

std::vector<TrialKey> trialKeys(const QuantSpec& base, const SensitivityOptions& o)
{
    std::vector<TrialKey> keys;
    for (size_t i = 0; i < base.layers.size(); ++i) {
        for (int b : o.bits)
            keys.push_back({i, b, 0});
        for (int a : o.adcBits)
            keys.push_back({i, base.layers[i].weightBits, a});
    }
    return keys;
}

// The base with one trial applied (withChosenBits: the one way bits are set on a spec).
QuantSpec withTrial(const QuantSpec& base, const Graph& g, const TrialKey& k)
{
    const std::string& name = base.layers[k.layer].node;
    return k.adcBits > 0 ? withChosenBits(base, g, {}, {{name, k.adcBits}}) : withChosenBits(base, g, {{name, k.bits}});
}

std::string trialName(const std::string& layer, const TrialKey& k)
{
    return k.adcBits > 0 ? strCat("layer ", layer, " at ", k.adcBits, " ADC bits")
                         : strCat("layer ", layer, " at ", k.bits, " bits");
}

analog::LayerWork workOf(const LayerQuant& l, const Graph& g, int weightBits, int adcBits)
{
    std::optional<NodeId> id = g.findNode(l.node);
    if (!id)
        fail("layer '", l.node, "' is not in graph '", g.name, "'");
    analog::LayerWork w;
    w.rows = l.rows;
    w.cols = l.cols;
    w.groups = l.groups;
    w.vectors = numElements(g.value(g.node(*id).outputs[0]).shape) / std::max<int64_t>(1, l.cols);
    w.weightBits = weightBits;
    w.inputBits = l.inputBits;
    w.adcBits = adcBits;
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

const SensitivityEntry* SensitivityReport::find(const std::string& layer, int bits) const
{
    for (const SensitivityEntry& e : entries)
        if (e.layer == layer && e.bits == bits && e.adcBits == 0)
            return &e;
    return nullptr;
}

const SensitivityEntry* SensitivityReport::findAdc(const std::string& layer, int adcBits) const
{
    for (const SensitivityEntry& e : entries)
        if (e.layer == layer && e.adcBits == adcBits && adcBits > 0)
            return &e;
    return nullptr;
}

namespace {

// What both ways of measuring the table start with: the options checked, the model
// prepared for the base, the FP32 reference computed.
Fp32Reference startSensitivity(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                               const SensitivityOptions& options, ProgressSink& sink)
{
    checkBitsList(options.bits);
    checkAdcBitsList(options.adcBits);
    prepareModel(model, base);
    return computeFp32Reference(model, data, options.batchSize, &sink);
}

// The user's metric over these FP32 outputs, its ceiling measured (none without a command).
std::unique_ptr<MetricCommand> userMetricOf(const SensitivityOptions& options, const Fp32Reference& ref,
                                            const Dataset& data)
{
    if (options.metricCommand.empty())
        return nullptr;
    auto metric = std::make_unique<MetricCommand>(options.metricCommand,
                                                  outputsTensor(ref.outputs, data.count(), ref.sampleShape));
    metric->ceiling();
    return metric;
}

} // namespace

SensitivityReport analyzeSensitivityByFullRuns(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                               const SensitivityOptions& options, ProgressSink* progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const Fp32Reference ref = startSensitivity(model, base, data, options, sink);
    const Graph& g = model.forBatch(model.declaredBatch()); // the layers' weights: any batch
    SensitivityReport rep;
    rep.hasLabels = data.hasLabels();
    std::unique_ptr<MetricCommand> metric = userMetricOf(options, ref, data);
    rep.userMetric = options.metricCommand;
    const std::vector<TrialKey> keys = trialKeys(base, options);
    const double total = static_cast<double>(keys.size());
    int done = 0;
    for (const TrialKey& k : keys) {
        const LayerQuant& l = base.layers[k.layer];
        SubProgress sub(sink, done / total, (done + 1) / total);
        sub.checkpoint(0.0, trialName(l.node, k));
        EvalOptions eo;
        eo.batchSize = options.batchSize;
        eo.metric = metric.get();
        const EvalReport e = evaluate(model, withTrial(base, g, k), data, eo, &sub, &ref);
        rep.fp32Top1 = e.fp32Top1;
        rep.metric = e.task.metric;
        rep.entries.push_back({l.node, k.bits, l.rows * l.cols, e.quantTop1, accuracyDropOf(e), e.agreement,
                               e.outputSqnrDb, k.adcBits});
        ++done;
    }
    rep.seconds = secondsSince(t0);
    return rep;
}

namespace {

// One (layer, bits) trial: the layer's programming and its running score. A trial whose
// programming is the base's (e.g. 8 bits over an 8-bit base without bias correction)
// scores the base run's outputs.
struct Trial {
    TrialKey key;
    LayerQuant program;
    OutputScorer score;
    bool isBase = false;
    size_t step = 0; // the layer's node step
    std::vector<float> outputs; // with a user metric: every sample's outputs until the last batch
    double userDrop = 0.0;      // with a user metric: its ceiling - its score of `outputs`
};

// The user's metric of a sensitivity run: the command and the outputs' layout.
struct TrialMetric {
    MetricCommand& command;
    int64_t samples = 0;
    Shape sampleShape;
    size_t values() const { return static_cast<size_t>(samples * numElements(sampleShape)); }
};

// One batch's outputs of a trial, scored; with a user metric kept, and once every sample
// is in, scored by the command (once per trial) and released.
void recordTrialOutput(Trial& t, int64_t first, const std::vector<float>& out, const TrialMetric* metric)
{
    t.score.add(first, out.data(), static_cast<int64_t>(out.size()));
    if (!metric)
        return;
    t.outputs.insert(t.outputs.end(), out.begin(), out.end());
    if (t.outputs.size() < metric->values())
        return;
    t.userDrop = metric->command.ceiling() - metric->command.score(outputsTensor(t.outputs, metric->samples,
                                                                                  metric->sampleShape));
    std::vector<float>().swap(t.outputs);
}

// Keeping every trial's outputs until the last batch must fit the budget.
void checkTrialOutputsFit(size_t trials, const Fp32Reference& ref, int64_t samples, const SensitivityOptions& o)
{
    if (samples <= o.batchSize)
        return; // one batch: a trial's outputs are scored and released within it
    const double bytes = double(trials) * double(ref.perSample) * double(samples) * sizeof(float);
    if (bytes > double(o.metricBudgetBytes))
        fail("--metric-cmd on the sensitivity table keeps every trial's outputs until the last batch: ", trials,
             " trials x ", samples, " samples x ", ref.perSample, " values need ", int64_t(bytes / (1 << 20)),
             " MB (limit ", o.metricBudgetBytes >> 20, " MB); use fewer samples (--limit) or fewer --bits");
}

bool sameProgramming(const LayerQuant& a, const LayerQuant& b)
{
    return a.weightBits == b.weightBits && a.inputBits == b.inputBits && a.adcBits == b.adcBits &&
           a.adcRange == b.adcRange && a.weightScales == b.weightScales && a.biasCorrection == b.biasCorrection;
}

// Every trial's programming (setLayerWeightBits, the costly weight observer), in parallel.
std::vector<Trial> makeTrials(const QuantSpec& base, const Graph& g, const SensitivityOptions& options,
                              const Fp32Reference& ref, const Dataset& data)
{
    std::vector<Trial> trials;
    const TaskLayout task = taskLayout(base, ref);
    for (const TrialKey& k : trialKeys(base, options)) {
        trials.push_back({k, base.layers[k.layer], OutputScorer(ref.outputs.data(), ref.perSample, task, data.labels), false, 0,
                          {}, 0.0});
        if (!data.textLabels.empty())
            trials.back().score.setTextLabels(data.textLabels, data.keys);
    }
    parallelFor(0, static_cast<int64_t>(trials.size()), 1, [&](int64_t lo, int64_t hi) {
        for (int64_t t = lo; t < hi; ++t) {
            const size_t i = trials[t].key.layer;
            trials[t].program = withTrial(base, g, trials[t].key).layers[i];
            trials[t].isBase = sameProgramming(trials[t].program, base.layers[i]);
        }
    });
    return trials;
}

// One worker's trials on one batch (`mine`: in node order of their layers): its base run
// advances layer by layer and each trial resumes from the values before its layer with
// that layer reprogrammed; trials with the base's programming score the base's outputs.
void runWorker(QuantizedExecutor& qx, const ModelBatch& b, const std::vector<Trial*>& mine, const TrialMetric* metric,
               ProgressSink* sink, double lo, double hi, const std::atomic<bool>& stop)
{
    qx.setReadNoiseStream(static_cast<uint64_t>(b.first));
    ExecutionSnapshot snap = qx.start({b.inputs});
    std::vector<Trial*> asBase;
    for (size_t k = 0; k < mine.size() && !stop; ++k) {
        Trial& t = *mine[k];
        if (t.isBase) {
            asBase.push_back(&t);
            continue;
        }
        if (sink)
            sink->checkpoint(lo + (hi - lo) * k / mine.size(), trialName(t.program.node, t.key));
        qx.advance(snap, t.step);
        qx.reprogramLayer(t.program);
        const std::vector<float> out = realOutput0(b, qx.runFrom(snap)[0]);
        qx.restoreLayer(t.program.node);
        recordTrialOutput(t, b.first, out, metric);
    }
    if (asBase.empty() || stop)
        return;
    qx.advance(snap, qx.stepCount());
    const std::vector<float> out = realOutput0(b, qx.runFrom(snap)[0]);
    for (Trial* t : asBase)
        recordTrialOutput(*t, b.first, out, metric);
}

// The trials split over `workers`: in node order of their layers, dealt round-robin so
// every worker gets long and short suffixes alike.
std::vector<std::vector<Trial*>> dealTrials(std::vector<Trial>& trials, size_t workers)
{
    std::vector<Trial*> order;
    for (Trial& t : trials)
        order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [](const Trial* x, const Trial* y) { return x->step < y->step; });
    std::vector<std::vector<Trial*>> dealt(workers);
    for (size_t k = 0; k < order.size(); ++k)
        dealt[k % workers].push_back(order[k]);
    return dealt;
}

} // namespace

SensitivityReport analyzeSensitivity(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                     const SensitivityOptions& options, ProgressSink* progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const Fp32Reference ref = startSensitivity(model, base, data, options, sink);
    sink.checkpoint(0.0, "programming every layer at every depth");
    std::vector<Trial> trials = makeTrials(base, model.forBatch(model.declaredBatch()), options, ref, data);
    std::unique_ptr<MetricCommand> command;
    std::optional<TrialMetric> metric;
    if (!options.metricCommand.empty()) {
        checkTrialOutputsFit(trials.size(), ref, data.count(), options);
        command = userMetricOf(options, ref, data);
        metric.emplace(TrialMetric{*command, data.count(), ref.sampleShape});
    }
    const size_t workers = static_cast<size_t>(std::max(1, threadCount()));
    std::map<const Graph*, std::vector<std::unique_ptr<QuantizedExecutor>>> executors; // per batch size run
    std::vector<std::vector<Trial*>> dealt;
    forEachModelBatch(model, data, options.batchSize, [&](const ModelBatch& b) {
        std::vector<std::unique_ptr<QuantizedExecutor>>& qx = executors[&b.graph];
        for (size_t w = qx.size(); w < workers; ++w)
            qx.push_back(std::make_unique<QuantizedExecutor>(b.graph, base));
        if (dealt.empty()) {
            for (Trial& t : trials)
                t.step = qx[0]->stepOf(t.program.node);
            dealt = dealTrials(trials, workers);
        }
        const double n = static_cast<double>(data.count());
        std::atomic<bool> stop{false};
        parallelFor(0, static_cast<int64_t>(workers), 1, [&](int64_t lo, int64_t hi) {
            try { // worker 0 runs on the caller: it alone reports progress and sees a cancel
                for (int64_t w = lo; w < hi; ++w)
                    runWorker(*qx[w], b, dealt[w], metric ? &*metric : nullptr, w == 0 ? &sink : nullptr, b.first / n, (b.first + b.rows) / n, stop);
            } catch (...) {
                stop = true;
                throw;
            }
        });
    });
    SensitivityReport rep;
    rep.hasLabels = data.hasLabels();
    rep.userMetric = options.metricCommand;
    for (const Trial& t : trials) {
        EvalReport e;
        t.score.finish(e);
        const LayerQuant& l = base.layers[t.key.layer];
        rep.fp32Top1 = e.fp32Top1;
        rep.metric = e.task.metric;
        rep.entries.push_back({l.node, t.key.bits, l.rows * l.cols, e.quantTop1, metric ? t.userDrop : accuracyDropOf(e),
                               e.agreement, e.outputSqnrDb, t.key.adcBits});
    }
    rep.seconds = secondsSince(t0);
    return rep;
}

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
    for (const LayerQuant& l : result.layers)
        sum += objectiveOf(model.layerCost(workOf(l, g, l.weightBits, l.adcBits), result.config.geometry), objective);
    return sum;
}

namespace {

// One configuration of the search: weight and ADC bits per layer.
struct SearchState {
    std::map<std::string, int> weightBits, adcBits;
};

using LayerCostFn = std::function<double(const LayerQuant&, int weightBits, int adcBits)>;

struct GreedyStep {
    const LayerQuant* layer = nullptr;
    int weightBits = 0, adcBits = 0; // the layer's new depths
    double score = 1e300;            // predicted noise added per unit of cost saved
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

// The next step: one layer lowered by one depth on one axis (weight or ADC bits), least
// predicted noise added (from the sensitivity table) per unit of cost saved. No layer:
// every one is at its lowest depths.
GreedyStep cheapestStep(const QuantSpec& base, const SensitivityReport& sens, const std::vector<int>& bits,
                        const std::vector<int>& adcBits, const SearchState& state, const LayerCostFn& layerCost)
{
    GreedyStep pick;
    auto consider = [&](const LayerQuant& l, int w, int a, const SensitivityEntry* en, const SensitivityEntry* ec) {
        if (!en)
            return;
        const int w0 = state.weightBits.at(l.node), a0 = state.adcBits.at(l.node);
        const double saved = std::max(1e-12, layerCost(l, w0, a0) - layerCost(l, w, a));
        const double score = predictedNoise(*en, ec) / saved;
        if (score < pick.score)
            pick = {&l, w, a, score};
    };
    for (const LayerQuant& l : base.layers) {
        const int w = state.weightBits.at(l.node), a = state.adcBits.at(l.node);
        if (const int nw = nextLower(bits, w))
            consider(l, nw, a, sens.find(l.node, nw), sens.find(l.node, w));
        if (const int na = nextLower(adcBits, a))
            consider(l, w, na, sens.findAdc(l.node, na), sens.findAdc(l.node, a));
    }
    return pick;
}

void checkSearchAxes(const MixedPrecisionOptions& o)
{
    checkBitsList(o.bits);
    checkAdcBitsList(o.adcBits);
    if (!o.adcBits.empty() && o.objective == CostObjective::WeightBits)
        fail("ADC bit depths as a search axis need the energy or latency objective (ADC bits do not change "
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
    const std::vector<int> bits = highToLow(o.bits), adcBits = highToLow(o.adcBits);
    const Graph& g1 = model.forBatch(model.runBatch(1)); // costs per sample (per fixed batch when only that runs)
    const Graph& g = model.forBatch(model.declaredBatch());
    const Fp32Reference ref = computeFp32Reference(model, data, o.batchSize, &sink);
    SensitivityOptions metricOptions;
    metricOptions.metricCommand = o.metricCommand;
    const std::unique_ptr<MetricCommand> metric = userMetricOf(metricOptions, ref, data); // ceiling once

    SearchState state;
    int64_t totalParams = 0;
    for (const LayerQuant& l : base.layers) {
        state.weightBits[l.node] = l.weightBits;
        state.adcBits[l.node] = l.adcBits;
        totalParams += l.rows * l.cols;
    }
    const LayerCostFn layerCost = [&](const LayerQuant& l, int w, int a) {
        return objectiveOf(costModel.layerCost(workOf(l, g1, w, a), base.config.geometry), o.objective);
    };
    auto build = [&](const SearchState& s) { return withChosenBits(base, g, s.weightBits, s.adcBits); };
    MixedPrecisionReport rep;
    auto measure = [&](const SearchState& s, double fraction) {
        sink.checkpoint(fraction, strCat("measuring configuration ", rep.measured.size() + 1));
        EvalOptions eo;
        eo.batchSize = o.batchSize;
        eo.metric = metric.get();
        const EvalReport e = evaluate(model, build(s), data, eo, nullptr, &ref);
        ParetoPoint p;
        p.weightBits = s.weightBits;
        p.adcBits = s.adcBits;
        int64_t low = 0;
        for (const LayerQuant& l : base.layers) {
            p.cost += layerCost(l, s.weightBits.at(l.node), s.adcBits.at(l.node));
            low += s.weightBits.at(l.node) <= 3 ? l.rows * l.cols : 0;
        }
        p.top1 = e.quantTop1;
        p.accuracyDrop = accuracyDropOf(e);
        p.agreement = e.agreement;
        p.outputSqnrDb = e.outputSqnrDb;
        p.fractionWeightsAtMost3Bits = totalParams ? double(low) / totalParams : 0.0;
        rep.measured.push_back(p);
        return p;
    };
    const size_t maxSteps = base.layers.size() * (bits.size() + adcBits.size());
    measure(state, 0.0);
    for (size_t step = 1; step <= maxSteps; ++step) {
        const GreedyStep pick = cheapestStep(base, sens, bits, adcBits, state, layerCost);
        if (!pick.layer)
            break;
        state.weightBits[pick.layer->node] = pick.weightBits;
        state.adcBits[pick.layer->node] = pick.adcBits;
        const ParetoPoint p = measure(state, static_cast<double>(step) / maxSteps);
        if (o.maxAccuracyDrop >= 0 && p.accuracyDrop > o.stopFactor * o.maxAccuracyDrop && o.maxCost < 0)
            break;
    }
    markPareto(rep.measured);
    rep.chosen = choosePoint(rep.measured, o);
    if (rep.chosen >= 0)
        rep.chosenResult = build({rep.measured[rep.chosen].weightBits, rep.measured[rep.chosen].adcBits});
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const SensitivityReport& r)
{
    nlohmann::json entries = nlohmann::json::array();
    for (const SensitivityEntry& e : r.entries) {
        entries.push_back({{"layer", e.layer},
                           {"bits", e.bits},
                           {"params", e.params},
                           {"top1", r.hasLabels ? nlohmann::json(e.top1) : nlohmann::json()},
                           {"accuracy_drop", e.accuracyDrop},
                           {"agreement", e.agreement},
                           {"output_sqnr_db", std::isfinite(e.outputSqnrDb) ? nlohmann::json(e.outputSqnrDb) : nlohmann::json()}});
        if (e.adcBits > 0) // an ADC trial
            entries.back()["adc_bits"] = e.adcBits;
    }
    return {{"has_labels", r.hasLabels},
            {"agreement_metric", r.metric},
            {"user_metric", r.userMetric.empty() ? nlohmann::json() : nlohmann::json(r.userMetric)},
            {"fp32_top1", r.hasLabels ? nlohmann::json(r.fp32Top1) : nlohmann::json()},
            {"seconds", r.seconds},
            {"entries", entries}};
}

SensitivityReport sensitivityFromJson(const nlohmann::json& j, const std::string& source)
{
    using namespace jsonfields;
    SensitivityReport r;
    r.hasLabels = getBool(j, "has_labels", source);
    r.metric = getString(j, "agreement_metric", source, "");
    r.userMetric = has(j, "user_metric") && !j.at("user_metric").is_null() ? getString(j, "user_metric", source) : "";
    r.seconds = getDouble(j, "seconds", source, 0.0, 1e12, 0.0);
    if (r.hasLabels)
        r.fp32Top1 = getDouble(j, "fp32_top1", source, 0.0, 1.0);
    const nlohmann::json& entries = member(j, "entries", source);
    if (!entries.is_array())
        fail(source, ": 'entries' is not an array");
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string where = strCat(source, ": entries[", i, "]");
        const nlohmann::json& e = entries[i];
        SensitivityEntry x;
        x.layer = getString(e, "layer", where);
        x.bits = static_cast<int>(getInt(e, "bits", where, 2, 8));
        x.params = getInt(e, "params", where, 0, int64_t(1) << 40);
        x.top1 = r.hasLabels ? getDouble(e, "top1", where, 0.0, 1.0) : 0.0;
        x.accuracyDrop = getDouble(e, "accuracy_drop", where, -1e300, 1e300);
        x.agreement = getDouble(e, "agreement", where, 0.0, 1.0);
        x.outputSqnrDb = has(e, "output_sqnr_db") && !e.at("output_sqnr_db").is_null()
                             ? getDouble(e, "output_sqnr_db", where)
                             : std::numeric_limits<double>::infinity();
        x.adcBits = has(e, "adc_bits") ? static_cast<int>(getInt(e, "adc_bits", where, 2, 32)) : 0;
        r.entries.push_back(x);
    }
    return r;
}

SensitivityReport readSensitivityFor(const std::string& path, const QuantSpec& base, const std::vector<int>& bits,
                                     bool hasLabels, const std::vector<int>& adcBits)
{
    SensitivityReport r = sensitivityFromJson(jsonfields::readJsonFile(path), path);
    if (r.hasLabels != hasLabels)
        fail(path, ": the sensitivity report was measured ", r.hasLabels ? "with" : "without",
             " labels, this search runs ", hasLabels ? "with" : "without", " them; measure it again on this data");
    for (const LayerQuant& l : base.layers) {
        for (int b : bits)
            if (!r.find(l.node, b))
                fail(path, ": no entry for layer '", l.node, "' at ", b,
                     " bits (it was measured for another model or other --bits; measure it again)");
        for (int a : adcBits)
            if (!r.findAdc(l.node, a))
                fail(path, ": no entry for layer '", l.node, "' at ", a,
                     " ADC bits (it was measured without --adc-bits-options ", a, "; measure it again)");
    }
    return r;
}

nlohmann::json toJson(const MixedPrecisionReport& r)
{
    nlohmann::json pts = nlohmann::json::array();
    for (const ParetoPoint& p : r.measured)
        pts.push_back({{"weight_bits", p.weightBits},
                       {"adc_bits", p.adcBits},
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

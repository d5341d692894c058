#include "quant/Sensitivity.h"

#include "core/io/FileIO.h"
#include "core/quantspec/JsonFields.h"

#include "core/Error.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"
#include "core/Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>

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

analog::LayerWork workOf(const LayerQuant& l, const Graph& g, int weightBits)
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
    w.adcBits = l.adcBits;
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
        if (e.layer == layer && e.bits == bits)
            return &e;
    return nullptr;
}

SensitivityReport analyzeSensitivityByFullRuns(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                               const SensitivityOptions& options, ProgressSink* progress)
{
    checkBitsList(options.bits);
    prepareModel(model, base);
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const Fp32Reference ref = computeFp32Reference(model, data, options.batchSize, &sink);
    const Graph& g = model.forBatch(model.declaredBatch()); // the layers' weights: any batch
    SensitivityReport rep;
    rep.hasLabels = !data.labels.empty() || !data.textLabels.empty();
    const double total = static_cast<double>(base.layers.size() * options.bits.size());
    int done = 0;
    for (const LayerQuant& l : base.layers)
        for (int bits : options.bits) {
            SubProgress sub(sink, done / total, (done + 1) / total);
            sub.checkpoint(0.0, strCat("layer ", l.node, " at ", bits, " bits"));
            QuantSpec r = base;
            setLayerWeightBits(r, g, l.node, bits);
            EvalOptions eo;
            eo.batchSize = options.batchSize;
            const EvalReport e = evaluate(model, r, data, eo, &sub, &ref);
            rep.fp32Top1 = e.fp32Top1;
            rep.metric = e.task.metric;
            rep.entries.push_back({l.node, bits, l.rows * l.cols, e.quantTop1, accuracyDropOf(e), e.agreement, e.outputSqnrDb});
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
    size_t layer = 0; // index into the base's layers
    int bits = 8;
    LayerQuant program;
    OutputScorer score;
    bool isBase = false;
    size_t step = 0; // the layer's node step
};

bool sameProgramming(const LayerQuant& a, const LayerQuant& b)
{
    return a.weightBits == b.weightBits && a.inputBits == b.inputBits && a.adcBits == b.adcBits &&
           a.adcRange == b.adcRange && a.weightScales == b.weightScales && a.biasCorrection == b.biasCorrection;
}

// Every trial's programming (setLayerWeightBits, the costly weight observer), in parallel.
std::vector<Trial> makeTrials(const QuantSpec& base, const Graph& g, const std::vector<int>& bits,
                              const Fp32Reference& ref, const Dataset& data)
{
    std::vector<Trial> trials;
    const TaskLayout task = taskLayout(base, ref);
    for (size_t i = 0; i < base.layers.size(); ++i)
        for (int b : bits) {
            trials.push_back({i, b, base.layers[i], OutputScorer(ref.outputs.data(), ref.perSample, task, data.labels)});
            if (!data.textLabels.empty())
                trials.back().score.setTextLabels(data.textLabels, data.keys);
        }
    parallelFor(0, static_cast<int64_t>(trials.size()), 1, [&](int64_t lo, int64_t hi) {
        QuantSpec r = base;
        for (int64_t t = lo; t < hi; ++t) {
            const size_t i = trials[t].layer;
            setLayerWeightBits(r, g, base.layers[i].node, trials[t].bits);
            trials[t].program = r.layers[i];
            trials[t].isBase = sameProgramming(r.layers[i], base.layers[i]);
            r.layers[i] = base.layers[i];
        }
    });
    return trials;
}

// One worker's trials on one batch (`mine`: in node order of their layers): its base run
// advances layer by layer and each trial resumes from the values before its layer with
// that layer reprogrammed; trials with the base's programming score the base's outputs.
void runWorker(QuantizedExecutor& qx, const ModelBatch& b, const std::vector<Trial*>& mine, ProgressSink* sink,
               double lo, double hi, const std::atomic<bool>& stop)
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
            sink->checkpoint(lo + (hi - lo) * k / mine.size(), strCat("layer ", t.program.node, " at ", t.bits, " bits"));
        qx.advance(snap, t.step);
        qx.reprogramLayer(t.program);
        const std::vector<float> out = realOutput0(b, qx.runFrom(snap)[0]);
        qx.restoreLayer(t.program.node);
        t.score.add(b.first, out.data(), static_cast<int64_t>(out.size()));
    }
    if (asBase.empty() || stop)
        return;
    qx.advance(snap, qx.stepCount());
    const std::vector<float> out = realOutput0(b, qx.runFrom(snap)[0]);
    for (Trial* t : asBase)
        t->score.add(b.first, out.data(), static_cast<int64_t>(out.size()));
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
    checkBitsList(options.bits);
    prepareModel(model, base);
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const Fp32Reference ref = computeFp32Reference(model, data, options.batchSize, &sink);
    sink.checkpoint(0.0, "programming every layer at every depth");
    std::vector<Trial> trials = makeTrials(base, model.forBatch(model.declaredBatch()), options.bits, ref, data);
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
                    runWorker(*qx[w], b, dealt[w], w == 0 ? &sink : nullptr, b.first / n, (b.first + b.rows) / n, stop);
            } catch (...) {
                stop = true;
                throw;
            }
        });
    });
    SensitivityReport rep;
    rep.hasLabels = !data.labels.empty() || !data.textLabels.empty();
    for (const Trial& t : trials) {
        EvalReport e;
        t.score.finish(e);
        const LayerQuant& l = base.layers[t.layer];
        rep.fp32Top1 = e.fp32Top1;
        rep.metric = e.task.metric;
        rep.entries.push_back({l.node, t.bits, l.rows * l.cols, e.quantTop1, accuracyDropOf(e), e.agreement, e.outputSqnrDb});
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
        sum += objectiveOf(model.layerCost(workOf(l, g, l.weightBits), result.config.geometry), objective);
    return sum;
}

namespace {

struct GreedyStep {
    const LayerQuant* layer = nullptr;
    int bits = 0;
};

// The next layer to lower by one depth: least predicted noise added (from the sensitivity
// table) per unit of cost saved. No layer: every one is at its lowest depth.
GreedyStep cheapestStep(const QuantSpec& base, const SensitivityReport& sens, const std::vector<int>& bits,
                        const std::map<std::string, int>& state,
                        const std::function<double(const LayerQuant&, int)>& layerCost)
{
    GreedyStep pick;
    double bestScore = 1e300;
    for (const LayerQuant& l : base.layers) {
        const int cur = state.at(l.node);
        auto next = std::find_if(bits.begin(), bits.end(), [&](int b) { return b < cur; });
        if (next == bits.end())
            continue;
        const SensitivityEntry* en = sens.find(l.node, *next);
        const SensitivityEntry* ec = sens.find(l.node, cur);
        if (!en)
            continue;
        const double predicted = std::max(1e-12, noiseRatio(en->outputSqnrDb) - (ec ? noiseRatio(ec->outputSqnrDb) : 0.0));
        const double saved = std::max(1e-12, layerCost(l, cur) - layerCost(l, *next));
        if (predicted / saved < bestScore) {
            bestScore = predicted / saved;
            pick = {&l, *next};
        }
    }
    return pick;
}

} // namespace

MixedPrecisionReport searchMixedPrecision(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                          const SensitivityReport& sens, const MixedPrecisionOptions& o,
                                          const analog::CostModel& costModel, ProgressSink* progress)
{
    checkBitsList(o.bits);
    prepareModel(model, base);
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    std::vector<int> bits = o.bits;
    std::sort(bits.rbegin(), bits.rend());
    const Graph& g1 = model.forBatch(model.runBatch(1)); // costs per sample (per fixed batch when only that runs)
    const Graph& g = model.forBatch(model.declaredBatch());
    const Fp32Reference ref = computeFp32Reference(model, data, o.batchSize, &sink);

    std::map<std::string, int> state;
    int64_t totalParams = 0;
    for (const LayerQuant& l : base.layers) {
        state[l.node] = l.weightBits;
        totalParams += l.rows * l.cols;
    }
    auto layerCost = [&](const LayerQuant& l, int b) {
        return objectiveOf(costModel.layerCost(workOf(l, g1, b), base.config.geometry), o.objective);
    };
    auto build = [&](const std::map<std::string, int>& s) {
        QuantSpec r = base;
        for (const auto& [name, b] : s)
            if (base.findLayer(name)->weightBits != b)
                setLayerWeightBits(r, g, name, b);
        return r;
    };
    MixedPrecisionReport rep;
    auto measure = [&](const std::map<std::string, int>& s, double fraction) {
        sink.checkpoint(fraction, strCat("measuring configuration ", rep.measured.size() + 1));
        const QuantSpec r = build(s);
        EvalOptions eo;
        eo.batchSize = o.batchSize;
        eo.metricCommand = o.metricCommand;
        const EvalReport e = evaluate(model, r, data, eo, nullptr, &ref);
        ParetoPoint p;
        p.weightBits = s;
        int64_t low = 0;
        for (const LayerQuant& l : base.layers) {
            p.cost += layerCost(l, s.at(l.node));
            low += s.at(l.node) <= 3 ? l.rows * l.cols : 0;
        }
        p.top1 = e.quantTop1;
        p.accuracyDrop = accuracyDropOf(e);
        p.agreement = e.agreement;
        p.outputSqnrDb = e.outputSqnrDb;
        p.fractionWeightsAtMost3Bits = totalParams ? double(low) / totalParams : 0.0;
        rep.measured.push_back(p);
        return p;
    };
    const size_t maxSteps = base.layers.size() * bits.size();
    measure(state, 0.0);
    for (size_t step = 1; step <= maxSteps; ++step) {
        const GreedyStep pick = cheapestStep(base, sens, bits, state, layerCost);
        if (!pick.layer)
            break;
        state[pick.layer->node] = pick.bits;
        const ParetoPoint p = measure(state, static_cast<double>(step) / maxSteps);
        if (o.maxAccuracyDrop >= 0 && p.accuracyDrop > o.stopFactor * o.maxAccuracyDrop && o.maxCost < 0)
            break;
    }
    markPareto(rep.measured);
    rep.chosen = choosePoint(rep.measured, o);
    if (rep.chosen >= 0)
        rep.chosenResult = build(rep.measured[rep.chosen].weightBits);
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const SensitivityReport& r)
{
    nlohmann::json entries = nlohmann::json::array();
    for (const SensitivityEntry& e : r.entries)
        entries.push_back({{"layer", e.layer},
                           {"bits", e.bits},
                           {"params", e.params},
                           {"top1", r.hasLabels ? nlohmann::json(e.top1) : nlohmann::json()},
                           {"accuracy_drop", e.accuracyDrop},
                           {"agreement", e.agreement},
                           {"output_sqnr_db", std::isfinite(e.outputSqnrDb) ? nlohmann::json(e.outputSqnrDb) : nlohmann::json()}});
    return {{"has_labels", r.hasLabels},
            {"agreement_metric", r.metric},
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
        r.entries.push_back(x);
    }
    return r;
}

SensitivityReport readSensitivityFor(const std::string& path, const QuantSpec& base, const std::vector<int>& bits,
                                     bool hasLabels)
{
    SensitivityReport r = sensitivityFromJson(jsonfields::readJsonFile(path), path);
    if (r.hasLabels != hasLabels)
        fail(path, ": the sensitivity report was measured ", r.hasLabels ? "with" : "without",
             " labels, this search runs ", hasLabels ? "with" : "without", " them; measure it again on this data");
    for (const LayerQuant& l : base.layers)
        for (int b : bits)
            if (!r.find(l.node, b))
                fail(path, ": no entry for layer '", l.node, "' at ", b,
                     " bits (it was measured for another model or other --bits; measure it again)");
    return r;
}

nlohmann::json toJson(const MixedPrecisionReport& r)
{
    nlohmann::json pts = nlohmann::json::array();
    for (const ParetoPoint& p : r.measured)
        pts.push_back({{"weight_bits", p.weightBits},
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

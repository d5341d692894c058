#include "quant/Sensitivity.h"
#include "quant/SearchSupport.h"

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

// One sensitivity trial: a layer (index into the base's layers) at a weight depth, or on
// one other axis (adcBits or dacBits > 0) at that depth (its weights as in the base).
struct TrialKey {
    size_t layer = 0;
    int bits = 8;
    int adcBits = 0;
    int dacBits = 0;
};

std::vector<TrialKey> trialKeys(const QuantSpec& base, const SensitivityOptions& o)
{
    std::vector<TrialKey> keys;
    for (size_t i = 0; i < base.layers.size(); ++i) {
        const LayerQuant& l = base.layers[i];
        for (int b : o.bits)
            keys.push_back({i, b, 0, 0});
        for (int a : o.adcBits)
            keys.push_back({i, l.weightBits, a, 0});
        for (int d : o.dacBits)
            if (dacDepthFits(base, l, d))
                keys.push_back({i, l.weightBits, 0, d});
    }
    return keys;
}

// The base with one trial applied (withChosenBits: the one way bits are set on a spec).
QuantSpec withTrial(const QuantSpec& base, const Graph& g, const TrialKey& k)
{
    const std::string& name = base.layers[k.layer].node;
    if (k.dacBits > 0)
        return withChosenBits(base, g, {}, {}, {{name, k.dacBits}});
    return k.adcBits > 0 ? withChosenBits(base, g, {}, {{name, k.adcBits}}) : withChosenBits(base, g, {{name, k.bits}});
}

std::string trialName(const std::string& layer, const TrialKey& k)
{
    if (k.dacBits > 0)
        return strCat("layer ", layer, " at ", k.dacBits, " DAC bits");
    return k.adcBits > 0 ? strCat("layer ", layer, " at ", k.adcBits, " ADC bits")
                         : strCat("layer ", layer, " at ", k.bits, " bits");
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

const SensitivityEntry* SensitivityReport::findDac(const std::string& layer, int dacBits) const
{
    for (const SensitivityEntry& e : entries)
        if (e.layer == layer && e.dacBits == dacBits && dacBits > 0)
            return &e;
    return nullptr;
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void checkDepthLists(const std::vector<int>& bits, const std::vector<int>& adcBits, const std::vector<int>& dacBits)
{
    if (bits.empty())
        fail("no bit depths given");
    for (int b : bits)
        checkWeightBits(b, "bit-depth list");
    for (int b : adcBits)
        checkAdcBits(b, "ADC bit-depth list");
    for (int b : dacBits)
        checkDacBits(b, "DAC bit-depth list");
}

bool dacDepthFits(const QuantSpec& base, const LayerQuant& layer, int dacBits)
{
    const TensorQuant* in = base.findTensor(layer.input);
    return !in || dacBits <= in->bits;
}

void checkMetricOneShape(const Dataset& data, const std::string& metricCommand)
{
    if (data.severalShapes() && !metricCommand.empty())
        fail(data.source, ": a metric command reads the outputs as one .npy, and samples of ", data.shapeGroups.size(),
             " shapes give outputs of different shapes; give one --size WxH, or score by the task metric");
}

namespace {
// What both ways of measuring the table start with: the options checked, the model
// prepared for the base; returns where progress goes (`silent` without a sink).
ProgressSink& startSensitivity(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                               const SensitivityOptions& options, ProgressSink* progress, SilentProgress& silent)
{
    checkDepthLists(options.bits, options.adcBits, options.dacBits);
    checkMetricOneShape(data, options.metricCommand);
    prepareModel(model, base);
    return progress ? *progress : silent;
}

} // namespace

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


SensitivityReport analyzeSensitivityByFullRuns(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                               const SensitivityOptions& options, ProgressSink* progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = startSensitivity(model, base, data, options, progress, silent);
    std::optional<Fp32Reference> ref; // several shapes: evaluated shape by shape, FP32 included
    if (!data.severalShapes())
        ref = computeFp32Reference(model, data, options.batchSize, &sink);
    const Graph& g = model.forBatch(model.declaredBatch()); // the layers' weights: any batch
    SensitivityReport rep;
    rep.hasLabels = data.hasLabels();
    std::unique_ptr<MetricCommand> metric = ref ? userMetricOf(options, *ref, data) : nullptr;
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
        const EvalReport e = evaluate(model, withTrial(base, g, k), data, eo, &sub, ref ? &*ref : nullptr);
        rep.fp32Top1 = e.fp32Top1;
        rep.metric = e.task.metric;
        rep.entries.push_back({l.node, k.bits, l.rows * l.cols, e.quantTop1, accuracyDropOf(e), e.agreement,
                               e.outputSqnrDb, k.adcBits, k.dacBits});
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

// One trial's programming, made once and shared by every shape group's run.
struct TrialPlan {
    TrialKey key;
    LayerQuant program;
    bool isBase = false;
};

// Every trial's programming (setLayerWeightBits, the costly weight observer), in parallel.
std::vector<TrialPlan> planTrials(const QuantSpec& base, const Graph& g, const SensitivityOptions& options)
{
    std::vector<TrialPlan> plans;
    for (const TrialKey& k : trialKeys(base, options))
        plans.push_back({k, base.layers[k.layer], false});
    parallelFor(0, static_cast<int64_t>(plans.size()), 1, [&](int64_t lo, int64_t hi) {
        for (int64_t t = lo; t < hi; ++t) {
            const size_t i = plans[t].key.layer;
            plans[t].program = withTrial(base, g, plans[t].key).layers[i];
            plans[t].isBase = sameProgramming(plans[t].program, base.layers[i]);
        }
    });
    return plans;
}

// The trials of one run over `data` (one shape), each scored against `ref`.
std::vector<Trial> makeTrials(const std::vector<TrialPlan>& plans, const QuantSpec& base, const Fp32Reference& ref,
                              const Dataset& data)
{
    std::vector<Trial> trials;
    const TaskLayout task = taskLayout(base, ref);
    for (const TrialPlan& p : plans) {
        trials.push_back({p.key, p.program, OutputScorer(ref.outputs.data(), ref.perSample, task, data.labels), p.isBase,
                          0, {}, 0.0});
        if (!data.textLabels.empty())
            trials.back().score.setTextLabels(data.textLabels, data.keys);
    }
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

namespace {

// Every trial over data of one shape (so its graphs, one per batch size, stay cached while
// their executors run): per batch, each worker's base run and its trials'
// suffixes (runWorker); with a user metric, each trial's drop once all samples are in.
void runTrials(ModelGraphs& model, const QuantSpec& base, const Dataset& data, const Fp32Reference& ref,
               std::vector<Trial>& trials, const SensitivityOptions& options, ProgressSink& sink)
{
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
}

} // namespace

SensitivityReport analyzeSensitivity(ModelGraphs& model, const QuantSpec& base, const Dataset& data,
                                     const SensitivityOptions& options, ProgressSink* progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    SilentProgress silent;
    ProgressSink& sink = startSensitivity(model, base, data, options, progress, silent);
    sink.checkpoint(0.0, "programming every layer at every depth");
    const std::vector<TrialPlan> plans = planTrials(base, model.forBatch(model.declaredBatch()), options);
    // Data of several shapes run group by group (as evaluation does): each group's FP32
    // reference and trial outputs are scored and dropped before the next; the trials'
    // counts add up over the groups (OutputScorer::merge), so the table is the whole data's.
    const std::vector<Dataset> groups = splitByShape(data);
    std::vector<std::optional<OutputScorer>> totals(plans.size()); // read groups' labels until finished
    std::vector<double> userDrops(plans.size(), 0.0);
    int64_t done = 0;
    for (const Dataset& group : groups) {
        SubProgress part(sink, double(done) / data.count(), double(done + group.count()) / data.count());
        done += group.count();
        const Fp32Reference ref = computeFp32Reference(model, group, options.batchSize, &part);
        std::vector<Trial> trials = makeTrials(plans, base, ref, group);
        runTrials(model, base, group, ref, trials, options, part);
        for (size_t i = 0; i < trials.size(); ++i) {
            if (totals[i])
                totals[i]->merge(trials[i].score);
            else
                totals[i].emplace(trials[i].score);
            userDrops[i] = trials[i].userDrop; // one group only (startSensitivity)
        }
    }
    SensitivityReport rep;
    rep.hasLabels = data.hasLabels();
    rep.userMetric = options.metricCommand;
    for (size_t i = 0; i < plans.size(); ++i) {
        EvalReport e;
        totals[i]->finish(e);
        const LayerQuant& l = base.layers[plans[i].key.layer];
        rep.fp32Top1 = e.fp32Top1;
        rep.metric = e.task.metric;
        rep.entries.push_back({l.node, plans[i].key.bits, l.rows * l.cols, e.quantTop1,
                               options.metricCommand.empty() ? accuracyDropOf(e) : userDrops[i], e.agreement,
                               e.outputSqnrDb, plans[i].key.adcBits, plans[i].key.dacBits});
    }
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
        if (e.dacBits > 0) // a DAC trial
            entries.back()["dac_bits"] = e.dacBits;
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
        x.dacBits = has(e, "dac_bits") ? static_cast<int>(getInt(e, "dac_bits", where, 2, 16)) : 0;
        r.entries.push_back(x);
    }
    return r;
}

SensitivityReport readSensitivityFor(const std::string& path, const QuantSpec& base, const std::vector<int>& bits,
                                     bool hasLabels, const std::vector<int>& adcBits, const std::vector<int>& dacBits)
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
        for (int d : dacBits)
            if (dacDepthFits(base, l, d) && !r.findDac(l.node, d))
                fail(path, ": no entry for layer '", l.node, "' at ", d,
                     " DAC bits (it was measured without --dac-bits-options ", d, "; measure it again)");
    }
    return r;
}

} // namespace tessera::quant

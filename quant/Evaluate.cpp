#include "quant/Evaluate.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/MetricCommand.h"
#include "quant/QuantizedExecutor.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>

namespace tessera::quant {

namespace {

void appendOutput(std::vector<float>& all, const ModelBatch& b, const Tensor& out)
{
    const std::vector<float> v = realOutput0(b, out);
    all.insert(all.end(), v.begin(), v.end());
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Accum {
    double signal = 0.0, noise = 0.0;
    void add(const float* fp, const float* q, int64_t n)
    {
        for (int64_t i = 0; i < n; ++i) {
            signal += double(fp[i]) * fp[i];
            noise += (double(fp[i]) - q[i]) * (double(fp[i]) - q[i]);
        }
    }
};

// Graph output 0 of one sample: its shape without the batch axis, and its name.
void describeOutput(Fp32Reference& ref, const Graph& g)
{
    const Value& v = g.value(g.outputs()[0]);
    ref.outputName = v.name;
    ref.sampleShape = v.shape.empty() ? Shape{} : Shape(v.shape.begin() + 1, v.shape.end());
}

} // namespace

Tensor outputsTensor(const std::vector<float>& outputs, int64_t samples, const Shape& sampleShape)
{
    Shape all{samples};
    all.insert(all.end(), sampleShape.begin(), sampleShape.end());
    return Tensor::fromVector<float>(outputs, all);
}

double sqnrDb(double signal, double noise)
{
    if (noise <= 0.0)
        return std::numeric_limits<double>::infinity();
    if (signal <= 0.0)
        return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
}

double accuracyDropOf(const EvalReport& r)
{
    if (r.userMetric.given)
        return r.userMetric.fp32 - r.userMetric.quantized;
    return r.hasLabels ? r.fp32Top1 - r.quantTop1 : 1.0 - r.agreement;
}

void checkLabelsBeforeRunning(ModelGraphs& model, const Dataset& data, const QuantSpec* spec)
{
    if (!data.hasLabels())
        return;
    Fp32Reference out; // shapes are static: the declared graph gives one sample's output
    describeOutput(out, model.forBatch(model.declaredBatch()));
    const int64_t perSample = numElements(out.sampleShape);
    const TaskLayout task = spec ? taskLayout(*spec, out) : TaskLayout{}; // no spec: as classification
    if (spec) { // what the scorer refuses: labels for another task, keys that do not fit
        OutputScorer scorer(nullptr, perSample, task, data.labels);
        if (!data.textLabels.empty())
            scorer.setTextLabels(data.textLabels, data.keys);
    }
    if (task.kind == TaskKind::Classification)
        checkLabelRange(data.labels, perSample, data.labelsSource); // top-1 labels index the output
}

Fp32Reference computeFp32Reference(ModelGraphs& model, const Dataset& data, int64_t batchSize, ProgressSink* progress)
{
    if (data.severalShapes())
        fail(data.source, ": samples of ", data.shapeGroups.size(), " shapes have outputs of different shapes; "
                          "their FP32 reference is computed group by group (splitByShape)");
    checkLabelsBeforeRunning(model, data);
    Fp32Reference ref;
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "running FP32 reference");
        Executor exec(b.graph);
        appendOutput(ref.outputs, b, exec.run({b.inputs})[0]);
        if (b.first == 0)
            describeOutput(ref, b.graph);
    });
    ref.perSample = static_cast<int64_t>(ref.outputs.size()) / data.count();
    return ref;
}

TaskLayout taskLayout(const QuantSpec& spec, const Fp32Reference& ref)
{
    return resolveTask(spec.config.task, ref.sampleShape, ref.outputName);
}

std::vector<float> realOutput0(const ModelBatch& b, const Tensor& out)
{
    const Tensor real = b.realOutput(out, strCat("output '", b.graph.value(b.graph.outputs()[0]).name, "'"));
    return real.castTo(DType::Float32).toFloatVector();
}

std::vector<float> runQuantizedOutputs(ModelGraphs& model, const QuantSpec& result, const Dataset& data,
                                       int64_t batchSize, ProgressSink* progress)
{
    prepareModel(model, result);
    std::vector<float> all;
    BatchQuantizedExecutor exec(result);
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "running quantized");
        appendOutput(all, b, exec.forGraph(b.graph, static_cast<uint64_t>(b.first)).run({b.inputs})[0]);
    });
    return all;
}

namespace {

// Top-1 of both, their agreement and the output SQNR, from graph output 0 of every sample
// (the scorer reads `fpOut` and `data`'s labels until it is finished).
OutputScorer scoreOutputs(const TaskLayout& task, const std::vector<float>& fpOut, const std::vector<float>& qOut,
                          const Dataset& data)
{
    if (fpOut.size() != qOut.size())
        fail("evaluation: FP32 reference has ", fpOut.size(), " values, quantized run ", qOut.size());
    const int64_t perSample = static_cast<int64_t>(qOut.size()) / data.count(); // labels checked before the runs
    OutputScorer scorer(fpOut.data(), perSample, task, data.labels);
    if (!data.textLabels.empty())
        scorer.setTextLabels(data.textLabels, data.keys);
    scorer.add(0, qOut.data(), static_cast<int64_t>(qOut.size()));
    return scorer;
}

// One evaluation's runs over data of one shape: the outputs of both and, per layer, the
// sums of its cumulative SQNR.
struct EvalRun {
    std::vector<float> fpOut, qOut;
    Fp32Reference shape; // graph output 0's per-sample shape and name
    std::map<std::string, Accum> perNode;
    std::vector<LayerError> order;
};

EvalRun runEvaluation(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options,
                      ProgressSink* progress, const Fp32Reference* reference);

// Layers in order with their SQNR from the sums.
void finishLayers(EvalReport& rep, std::vector<LayerError> order, std::map<std::string, Accum>& perNode)
{
    for (LayerError& l : order) {
        l.sqnrDb = sqnrDb(perNode[l.node].signal, perNode[l.node].noise);
        rep.layers.push_back(l);
    }
}

// Data of several shapes (Dataset::shapeGroups): each group evaluated at its shape, the
// scores and per-layer sums added up.
EvalReport evaluateByShape(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options,
                           ProgressSink* progress)
{
    if (options.metric || !options.metricCommand.empty())
        fail(data.source, ": a metric command needs the outputs as one .npy, and samples of different shapes give "
                          "outputs of different shapes; give one --size WxH");
    // Each group is scored as soon as it has run and its outputs dropped: memory holds one
    // group's outputs, not every sample's (100 text lines at their widths: 2.4 GB before).
    const std::vector<Dataset> groups = splitByShape(data);
    std::optional<OutputScorer> total; // reads groups[0]'s labels until finished
    std::vector<LayerError> order;
    std::map<std::string, Accum> perNode;
    EvalReport rep;
    int64_t done = 0;
    for (const Dataset& g : groups) {
        SilentProgress silent;
        SubProgress part(progress ? *progress : silent, double(done) / data.count(), double(done + g.count()) / data.count());
        EvalRun run = runEvaluation(model, result, g, options, &part, nullptr);
        done += g.count();
        OutputScorer scorer = scoreOutputs(taskLayout(result, run.shape), run.fpOut, run.qOut, g);
        if (total)
            total->merge(scorer);
        else
            total.emplace(scorer);
        if (order.empty())
            order = run.order;
        for (const auto& [node, a] : run.perNode) {
            perNode[node].signal += a.signal;
            perNode[node].noise += a.noise;
        }
    }
    total->finish(rep); // counts only: the outputs it pointed at are gone
    finishLayers(rep, order, perNode);
    return rep;
}

} // namespace

int64_t perLayerBatchSize(ModelGraphs& model, int64_t requested, int64_t budgetBytes, const Shape& sample)
{
    const int64_t batch = model.runBatch(1);
    const Graph& g = model.forShape(sample, batch);
    int64_t bytes = 0;
    for (ValueId id = 0; id < static_cast<ValueId>(g.valueCount()); ++id) {
        const Value& v = g.value(id);
        if (!v.isConstant())
            bytes += numElements(v.shape) * static_cast<int64_t>(dtypeSize(v.dtype));
    }
    const int64_t perSample = std::max<int64_t>(1, bytes / batch);
    return std::max<int64_t>(1, std::min(requested, budgetBytes / perSample));
}

namespace {

EvalRun runEvaluation(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options,
                      ProgressSink* progress, const Fp32Reference* reference)
{
    const int64_t batchSize =
        options.perLayer ? perLayerBatchSize(model, options.batchSize, options.perLayerBudgetBytes,
                                             Shape(data.inputs.shape().begin() + 1, data.inputs.shape().end()))
                         : options.batchSize;
    EvalRun run;
    std::vector<float>&fpOut = run.fpOut, &qOut = run.qOut;
    Fp32Reference& shape = run.shape;
    std::map<std::string, Accum>& perNode = run.perNode;
    std::vector<LayerError>& order = run.order;
    BatchQuantizedExecutor quantized(result);
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "evaluating");
        const Graph& g = b.graph;
        if (b.first == 0)
            describeOutput(shape, g);
        std::unique_ptr<Executor> fp; // only when FP32 values are needed (planning allocates)
        const Graph& fg = options.referenceModel ? options.referenceModel->forBatch(b.inputs.dim(0)) : g;
        if (!reference || options.perLayer) {
            ExecutorOptions eo;
            eo.reuseBuffers = !options.perLayer;
            fp = std::make_unique<Executor>(fg, eo);
            appendOutput(fpOut, b, fp->run({b.inputs})[0]);
        }
        QuantizedExecutor& qx = quantized.forGraph(g, static_cast<uint64_t>(b.first));
        Executor::NodeObserver observer;
        if (options.perLayer)
            observer = [&](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
                const std::optional<NodeId> fn = &fg == &g ? std::optional<NodeId>(0) : fg.findNode(node.name);
                if (!fn)
                    return;
                const ValueId fv = &fg == &g ? node.outputs[0] : fg.node(*fn).outputs[0];
                if (fp->valueTensor(fv).dtype() != DType::Float32 || fp->valueTensor(fv).numel() != outs[0]->numel())
                    return;
                const Tensor f = b.real(fp->valueTensor(fv)), q = b.real(*outs[0]);
                if (!perNode.count(node.name))
                    order.push_back({node.name, node.opType, g.value(node.outputs[0]).name,
                                     analog::isLowerableAnalogNode(g, node), 0.0});
                perNode[node.name].add(f.data<float>(), q.data<float>(), f.numel());
            };
        appendOutput(qOut, b, qx.run({b.inputs}, observer)[0]);
    });
    if (reference && !options.perLayer)
        fpOut = reference->outputs;
    return run;
}

} // namespace

EvalReport evaluate(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options,
                    ProgressSink* progress, const Fp32Reference* reference)
{
    prepareModel(model, result);
    checkLabelsBeforeRunning(model, data, &result); // a bad labels file fails before any run
    const auto t0 = std::chrono::steady_clock::now();
    if (data.severalShapes()) {
        if (reference)
            fail(data.source, ": samples of several shapes are evaluated shape by shape, without a stored FP32 reference");
        EvalReport rep = evaluateByShape(model, result, data, options, progress);
        rep.seconds = secondsSince(t0);
        return rep;
    }
    EvalRun run = runEvaluation(model, result, data, options, progress, reference);
    const std::vector<float>&fpOut = run.fpOut, &qOut = run.qOut;
    const Fp32Reference& shape = run.shape;
    EvalReport rep;
    scoreOutputs(taskLayout(result, shape), fpOut, qOut, data).finish(rep);
    if (options.metric || !options.metricCommand.empty()) {
        std::unique_ptr<MetricCommand> own;
        if (!options.metric)
            own = std::make_unique<MetricCommand>(options.metricCommand, outputsTensor(fpOut, rep.samples, shape.sampleShape));
        MetricCommand& metric = options.metric ? *options.metric : *own;
        rep.userMetric = {true, metric.ceiling(), metric.score(outputsTensor(qOut, rep.samples, shape.sampleShape))};
    }
    finishLayers(rep, run.order, run.perNode);
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const TaskScores& t)
{
    auto figure = [](double v) { return v < 0.0 || !std::isfinite(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
    return {{"kind", taskKindName(t.kind)},
            {"metric", t.metric},
            {"position_agreement", figure(t.positionAgreement)},
            {"sequence_agreement", figure(t.sequenceAgreement)},
            {"pixel_agreement", figure(t.pixelAgreement)},
            {"mask_iou", figure(t.maskIou)},
            {"relative_error", figure(t.relativeError)},
            {"fp32_cer", figure(t.fp32Cer)},
            {"quant_cer", figure(t.quantCer)}};
}

nlohmann::json toJson(const EvalReport& r)
{
    auto db = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerError& l : r.layers)
        layers.push_back({{"node", l.node}, {"op", l.opType}, {"value", l.value}, {"analog", l.analog},
                          {"sqnr_db", db(l.sqnrDb)}});
    nlohmann::json j{{"samples", r.samples},     {"agreement", r.agreement},     {"output_sqnr_db", db(r.outputSqnrDb)},
                     {"seconds", r.seconds},     {"layers", layers},           {"task", toJson(r.task)}};
    if (r.userMetric.given)
        j["user_metric"] = {{"fp32", r.userMetric.fp32}, {"quantized", r.userMetric.quantized}};
    if (r.hasLabels) {
        j["fp32_top1"] = r.fp32Top1;
        j["quant_top1"] = r.quantTop1;
    }
    return j;
}

} // namespace tessera::quant

#include "quant/Evaluate.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

namespace tessera::quant {

namespace {

int64_t argmax(const float* d, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (d[i] > d[best])
            best = i;
    return best;
}

void appendOutput(std::vector<float>& all, const ModelBatch& b, const Tensor& out)
{
    const std::vector<float> v = realOutput0(b, out);
    all.insert(all.end(), v.begin(), v.end());
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void accumulate(double& signal, double& noise, const float* fp, const float* q, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        signal += double(fp[i]) * fp[i];
        noise += (double(fp[i]) - q[i]) * (double(fp[i]) - q[i]);
    }
}

struct Accum {
    double signal = 0.0, noise = 0.0;
    void add(const float* fp, const float* q, int64_t n) { accumulate(signal, noise, fp, q, n); }
};

} // namespace

double sqnrDb(double signal, double noise)
{
    if (noise <= 0.0)
        return std::numeric_limits<double>::infinity();
    if (signal <= 0.0)
        return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
}

Fp32Reference computeFp32Reference(ModelGraphs& model, const Dataset& data, int64_t batchSize, ProgressSink* progress)
{
    Fp32Reference ref;
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "running FP32 reference");
        Executor exec(b.graph);
        appendOutput(ref.outputs, b, exec.run({b.inputs})[0]);
    });
    ref.perSample = static_cast<int64_t>(ref.outputs.size()) / data.count();
    checkLabelRange(data.labels, ref.perSample, data.labelsSource); // top-1 labels index the output
    return ref;
}

std::vector<float> realOutput0(const ModelBatch& b, const Tensor& out)
{
    const Tensor real = b.realOutput(out, strCat("output '", b.graph.value(b.graph.outputs()[0]).name, "'"));
    return real.castTo(DType::Float32).toFloatVector();
}

OutputScorer::OutputScorer(const float* fp32, int64_t perSample, const std::vector<int64_t>& labels)
    : m_fp(fp32), m_per(perSample), m_labels(labels)
{
}

void OutputScorer::add(int64_t first, const float* q, int64_t count)
{
    const float* fp = m_fp + first * m_per;
    accumulate(m_signal, m_noise, fp, q, count);
    for (int64_t i = 0; i < count / m_per; ++i) {
        const int64_t a = argmax(fp + i * m_per, m_per), b = argmax(q + i * m_per, m_per);
        m_agree += a == b;
        if (!m_labels.empty()) {
            m_fpCorrect += a == m_labels[first + i];
            m_qCorrect += b == m_labels[first + i];
        }
    }
    m_samples += count / m_per;
}

void OutputScorer::finish(EvalReport& rep) const
{
    rep.samples = m_samples;
    rep.hasLabels = !m_labels.empty();
    rep.agreement = double(m_agree) / m_samples;
    rep.fp32Top1 = double(m_fpCorrect) / m_samples;
    rep.quantTop1 = double(m_qCorrect) / m_samples;
    rep.outputSqnrDb = sqnrDb(m_signal, m_noise);
}

std::vector<float> runQuantizedOutputs(ModelGraphs& model, const QuantSpec& result, const Dataset& data,
                                       int64_t batchSize, ProgressSink* progress)
{
    prepareModel(model, result);
    std::vector<float> all;
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "running quantized");
        QuantizedExecutorOptions qo;
        qo.readNoiseStream = static_cast<uint64_t>(b.first);
        QuantizedExecutor exec(b.graph, result, qo);
        appendOutput(all, b, exec.run({b.inputs})[0]);
    });
    return all;
}

namespace {

// Top-1 of both, their agreement and the output SQNR, from graph output 0 of every sample.
void scoreOutputs(EvalReport& rep, const std::vector<float>& fpOut, const std::vector<float>& qOut, const Dataset& data)
{
    if (fpOut.size() != qOut.size())
        fail("evaluation: FP32 reference has ", fpOut.size(), " values, quantized run ", qOut.size());
    const int64_t perSample = static_cast<int64_t>(qOut.size()) / rep.samples;
    checkLabelRange(data.labels, perSample, data.labelsSource);
    OutputScorer scorer(fpOut.data(), perSample, data.labels);
    scorer.add(0, qOut.data(), static_cast<int64_t>(qOut.size()));
    scorer.finish(rep);
}

} // namespace

EvalReport evaluate(ModelGraphs& model, const QuantSpec& result, const Dataset& data, const EvalOptions& options,
                    ProgressSink* progress, const Fp32Reference* reference)
{
    prepareModel(model, result);
    const auto t0 = std::chrono::steady_clock::now();
    EvalReport rep;
    rep.samples = data.count();
    rep.hasLabels = !data.labels.empty();
    std::vector<float> fpOut, qOut;
    std::map<std::string, Accum> perNode;
    std::vector<LayerError> order;
    forEachModelBatch(model, data, options.batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "evaluating");
        const Graph& g = b.graph;
        std::unique_ptr<Executor> fp; // only when FP32 values are needed (planning allocates)
        if (!reference || options.perLayer) {
            ExecutorOptions eo;
            eo.reuseBuffers = !options.perLayer;
            fp = std::make_unique<Executor>(g, eo);
            appendOutput(fpOut, b, fp->run({b.inputs})[0]);
        }
        QuantizedExecutorOptions qo;
        qo.readNoiseStream = static_cast<uint64_t>(b.first);
        QuantizedExecutor qx(g, result, qo);
        Executor::NodeObserver observer;
        if (options.perLayer)
            observer = [&](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
                if (fp->valueTensor(node.outputs[0]).dtype() != DType::Float32)
                    return;
                const Tensor f = b.real(fp->valueTensor(node.outputs[0])), q = b.real(*outs[0]);
                if (!perNode.count(node.name))
                    order.push_back({node.name, node.opType, g.value(node.outputs[0]).name,
                                     analog::isLowerableAnalogNode(g, node), 0.0});
                perNode[node.name].add(f.data<float>(), q.data<float>(), f.numel());
            };
        appendOutput(qOut, b, qx.run({b.inputs}, observer)[0]);
    });
    if (reference && !options.perLayer)
        fpOut = reference->outputs;
    scoreOutputs(rep, fpOut, qOut, data);
    for (LayerError& l : order) {
        l.sqnrDb = sqnrDb(perNode[l.node].signal, perNode[l.node].noise);
        rep.layers.push_back(l);
    }
    rep.seconds = secondsSince(t0);
    return rep;
}

nlohmann::json toJson(const EvalReport& r)
{
    auto db = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerError& l : r.layers)
        layers.push_back({{"node", l.node}, {"op", l.opType}, {"value", l.value}, {"analog", l.analog},
                          {"sqnr_db", db(l.sqnrDb)}});
    nlohmann::json j{{"samples", r.samples},     {"agreement", r.agreement},     {"output_sqnr_db", db(r.outputSqnrDb)},
                     {"seconds", r.seconds},     {"layers", layers}};
    if (r.hasLabels) {
        j["fp32_top1"] = r.fp32Top1;
        j["quant_top1"] = r.quantTop1;
    }
    return j;
}

} // namespace tessera::quant

#include "app/controllers/QuantLayerInspector.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/QuantizeApi.h"

#include <QPointer>

#include <algorithm>
#include <cmath>

namespace tessera::studio {

namespace {

using Inputs = std::map<std::string, std::pair<std::vector<float>, int64_t>>; // layer -> values, samples

// FP32 run over `data` recording the values of `inputs` (layer -> value name), on the
// graph `result` was made for (its equalization / input smoothing applied).
Inputs collectInputs(const std::string& modelPath, const QuantSpec& result, const quant::Dataset& data,
                     const std::vector<std::pair<std::string, std::string>>& inputs, int64_t cap, ProgressSink& sink)
{
    Shape sample = data.inputs.shape(); // fixes symbolic input dims, as the quantizer does
    sample[0] = 1;
    quant::ModelGraphs graphs(modelPath, sample);
    quant::prepareModel(graphs, result);
    Inputs out;
    quant::forEachModelBatch(graphs, data, 8, [&](const quant::ModelBatch& b) {
        sink.checkpoint(static_cast<double>(b.first) / data.count(), "collecting layer inputs (FP32)");
        const Graph& g = b.graph;
        std::map<ValueId, std::vector<std::string>> wanted;
        for (const auto& [layer, value] : inputs)
            if (std::optional<ValueId> v = g.findValue(value))
                wanted[*v].push_back(layer);
        auto take = [&](ValueId v, const Tensor& t) {
            const auto it = wanted.find(v);
            if (it == wanted.end())
                return;
            const std::vector<float> values = b.real(t).castTo(DType::Float32).toFloatVector();
            for (const std::string& layer : it->second) {
                auto& [all, samples] = out[layer];
                if (static_cast<int64_t>(all.size() + values.size()) > cap)
                    continue; // keep whole batches only: the sample count stays exact
                all.insert(all.end(), values.begin(), values.end());
                samples += b.rows;
            }
        };
        for (ValueId in : g.inputs())
            take(in, b.inputs);
        Executor exec(g);
        exec.run({b.inputs}, [&](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
            for (size_t i = 0; i < node.outputs.size() && i < outs.size(); ++i)
                take(node.outputs[i], *outs[i]);
        });
    });
    return out;
}

} // namespace

GridHistogram gridHistogram(const std::vector<float>& values, double step, analog::CodeRange codes, int maxLines, int bins)
{
    assert(step > 0 && codes.hi > codes.lo && maxLines > 0 && bins > 0);
    GridHistogram h;
    h.step = step;
    h.codeLo = codes.lo;
    h.codeHi = codes.hi;
    h.clipLo = step * static_cast<double>(codes.lo);
    h.clipHi = step * static_cast<double>(codes.hi);
    while (h.levels() > static_cast<int64_t>(maxLines) * h.stride)
        h.stride *= 2;
    for (int64_t k = codes.lo; k <= codes.hi; ++k)
        if (k % h.stride == 0)
            h.gridLines.push_back(step * static_cast<double>(k));
    double lo = h.clipLo, hi = h.clipHi;
    for (float v : values) {
        lo = std::min(lo, static_cast<double>(v));
        hi = std::max(hi, static_cast<double>(v));
        h.clipped += v < h.clipLo || v > h.clipHi;
    }
    h.total = static_cast<int64_t>(values.size());
    const double pad = 0.03 * (hi - lo);
    h.binStart = lo - pad;
    h.binWidth = (hi - lo + 2 * pad) / bins;
    h.counts.assign(static_cast<size_t>(bins), 0);
    for (float v : values)
        ++h.counts[std::clamp(static_cast<int>((v - h.binStart) / h.binWidth), 0, bins - 1)];
    return h;
}

QuantLayerInspector::QuantLayerInspector(QuantController* quant, ProjectModel* model, JobManager* jobs, QObject* parent)
    : QObject(parent), m_quant(quant), m_model(model), m_jobs(jobs)
{
    connect(m_model, &ProjectModel::documentChanged, this, &QuantLayerInspector::clearCache);
    connect(m_model, &ProjectModel::projectChanged, this, [this] {
        if (m_model->project().datasetPath != m_dataset)
            clearCache();
    });
    connect(m_jobs, &JobManager::jobEnded, this, [this](int id) {
        if (id == m_job)
            m_job = 0;
    });
}

void QuantLayerInspector::clearCache()
{
    if (m_job)
        m_jobs->cancel(m_job);
    m_job = 0;
    const bool had = !m_inputs.empty();
    m_inputs.clear();
    m_dataset.clear();
    if (had)
        emit activationsChanged();
}

std::optional<GridHistogram> QuantLayerInspector::weightHistogram(const QString& layer) const
{
    const std::optional<LayerQuant> l = m_quant->chosenLayer(layer);
    const std::shared_ptr<const Graph> graph = m_quant->resultGraph();
    const std::optional<NodeId> id = graph ? graph->findNode(l ? l->node : std::string()) : std::nullopt;
    if (!l || !id)
        return std::nullopt;
    const analog::AnalogMatmulView view = analog::lowerAnalogNode(*graph, graph->node(*id));
    if (static_cast<int64_t>(l->weightScales.size()) != view.cols)
        return std::nullopt;
    std::vector<float> normalized(view.weights.size());
    for (int64_t n = 0; n < view.cols; ++n)
        for (int64_t k = 0; k < view.rows; ++k) {
            const size_t i = static_cast<size_t>(n * view.rows + k);
            normalized[i] = static_cast<float>(view.weights[i] / l->weightScales[static_cast<size_t>(n)]);
        }
    return gridHistogram(normalized, 1.0, analog::codeRange(l->weightBits, true));
}

std::optional<GridHistogram> QuantLayerInspector::activationHistogram(const QString& layer) const
{
    const auto base = m_quant->baseResult();
    const LayerQuant* l = base ? base->findLayer(layer.toStdString()) : nullptr;
    const TensorQuant* t = l ? base->findTensor(l->input) : nullptr;
    const std::vector<float>* values = activations(layer);
    if (!t || !t->quantized || !values)
        return std::nullopt;
    return gridHistogram(*values, t->scale, analog::centeredRange(analog::codeRange(t->bits, t->isSigned), t->zeroPoint));
}

const std::vector<float>* QuantLayerInspector::activations(const QString& layer, int64_t* samples) const
{
    const auto it = m_inputs.find(layer.toStdString());
    if (it == m_inputs.end())
        return nullptr;
    if (samples)
        *samples = it->second.samples;
    return &it->second.values;
}

int QuantLayerInspector::collectActivations()
{
    const auto base = m_quant->baseResult();
    const QString dataset = m_model->project().datasetPath;
    if (m_job || hasActivations() || !base || dataset.isEmpty() || !m_model->hasDocument())
        return 0;
    std::vector<std::pair<std::string, std::string>> inputs;
    for (const LayerQuant& l : base->layers)
        inputs.emplace_back(l.node, l.input);
    const quant::DataSource src = m_quant->dataSource(dataset, {}, kActivationSamples); // .npy or image folder
    const std::string model = m_model->document()->sourcePath();
    m_job = m_jobs->start(tr("Collect layer inputs"), "quant-activations",
                          [src, model, base, inputs, dataset, self = QPointer(this)](ProgressSink& sink) -> JobApply {
                              const quant::Dataset data = quant::loadDataSource(src);
                              Inputs got = collectInputs(model, *base, data, inputs, kMaxValuesPerLayer, sink);
                              return [self, dataset, got = std::move(got)]() mutable {
                                  if (!self)
                                      return;
                                  for (auto& [layer, v] : got)
                                      self->m_inputs[layer] = {std::move(v.first), v.second};
                                  self->m_dataset = dataset;
                                  emit self->activationsChanged();
                              };
                          });
    return m_job;
}

} // namespace tessera::studio

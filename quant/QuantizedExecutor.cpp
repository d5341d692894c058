#include "quant/QuantizedExecutor.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/analog/Numerics.h"
#include "core/kernels/ElementKernels.h"

#include <algorithm>
#include <optional>

namespace tessera::quant {

using namespace tessera::analog;

struct QuantizedExecutor::AnalogNode {
    AnalogMatmulView view;
    std::unique_ptr<AnalogLayer> layer;
    const TensorQuant* input = nullptr;
    // Views that sum columns before the epilogue (ConvTranspose): per output channel c the
    // bias code and requantizer of its columns (their weight scales are equal).
    std::vector<int64_t> channelBias;
    std::vector<Requantizer> channelRequant;
    // The layer's per-sample lowering (found at the first run; empty when it has none),
    // shared with the layer's reprogrammed versions (same node and geometry).
    std::shared_ptr<const std::optional<SampleLowering>> lowering;
};

void fakeQuantize(float* data, int64_t count, const TensorQuant& q)
{
    kernels::fakeQuantizeRow(data, count, q.scale, codeRange(q.bits, q.isSigned), q.zeroPoint);
}

QuantizedExecutor::QuantizedExecutor(const Graph& graph, const QuantSpec& result, QuantizedExecutorOptions options)
    : m_graph(graph), m_result(result), m_options(options), m_order(graph.topologicalOrder()),
      m_quantOf(graph.valueCount(), nullptr), m_values(graph.valueCount())
{
    for (ValueId id = 0; id < static_cast<ValueId>(graph.valueCount()); ++id) {
        const Value& v = graph.value(id);
        if (v.isConstant())
            m_values[id] = v.constant;
        else if (const TensorQuant* q = result.findTensor(v.name); q && q->quantized && v.dtype == DType::Float32)
            m_quantOf[id] = q;
    }
    m_lastUse.assign(graph.valueCount(), -1);
    for (int step = 0; step < static_cast<int>(m_order.size()); ++step) {
        const Node& node = graph.node(m_order[step]);
        if (!node.op || !node.op->kernelFn())
            fail(describeNode(node), ": the quantized executor has no kernel for this operator");
        for (ValueId in : node.inputs)
            if (in != kNoValue)
                m_lastUse[in] = step;
    }
    for (ValueId out : graph.outputs())
        m_lastUse[out] = static_cast<int>(m_order.size());
    m_stepOf.assign(graph.nodeSlotCount(), 0);
    for (size_t step = 0; step < m_order.size(); ++step)
        m_stepOf[m_order[step]] = step;
    for (const LayerQuant& layer : result.layers) {
        std::optional<NodeId> id = graph.findNode(layer.node);
        if (!id)
            fail(specWhere(result), "quantization result: layer '", layer.node, "' is not a node of graph '", graph.name, "'");
        const Node& node = graph.node(*id);
        m_analog[*id] = prepareAnalog(node, layer, lowerAnalogNode(graph, node));
    }
    for (NodeId id : m_order)
        if (analog::isAnalogPlaced(graph, graph.node(id)) && !m_analog.count(id))
            m_fallbacks.push_back(graph.node(id).name);
}

QuantizedExecutor::~QuantizedExecutor() = default;

std::unique_ptr<QuantizedExecutor::AnalogNode> QuantizedExecutor::prepareAnalog(const Node& node,
                                                                               const LayerQuant& layer,
                                                                               AnalogMatmulView view) const
{
    auto a = std::make_unique<AnalogNode>();
    a->view = std::move(view);
    AnalogLayerParams params = layerParams(m_result, layer, a->view);
    if (m_options.transparentAdc) {
        params.numerics.adcBits = 32;
        params.numerics.adcRange = 0;
    }
    const MvmUnit unit = m_options.simdLayers.count(layer.node) ? MvmUnit::Simd : MvmUnit::Arrays;
    const NonIdealities ni = nonIdealitiesOn(unit, m_options.nonIdealities ? m_result.config.nonIdealities : NonIdealities{});
    const std::vector<float> bias = layerBias(layer, a->view);
    if (a->view.scatter == OutputScatter::Permute) {
        a->layer = std::make_unique<AnalogLayer>(params, a->view.weights.data(), bias, ni);
    } else { // the bias joins after the column sums are scattered (docs/analog-model.md)
        a->layer = std::make_unique<AnalogLayer>(params, a->view.weights.data(), std::vector<float>{}, ni);
        a->channelBias = channelBiasCodes(params, a->view, bias);
        for (int64_t c = 0; c < a->view.outChannels(); ++c)
            a->channelRequant.push_back(a->layer->requantizers()[c * a->view.colsPerOutChannel]);
    }
    a->input = m_result.findTensor(layer.input);
    if (m_graph.value(node.inputs[0]).name != layer.input)
        fail(specWhere(m_result), "layer '", layer.node, "': result says input '", layer.input, "', graph has '",
             m_graph.value(node.inputs[0]).name, "'");
    return a;
}

NodeId QuantizedExecutor::analogNodeOf(const std::string& layer) const
{
    std::optional<NodeId> id = m_graph.findNode(layer);
    if (!id || !m_analog.count(*id))
        fail("layer '", layer, "' is not an analog layer of the quantized run of graph '", m_graph.name, "'");
    return *id;
}

size_t QuantizedExecutor::stepOf(const std::string& layer) const { return m_stepOf[analogNodeOf(layer)]; }

void QuantizedExecutor::reprogramLayer(const LayerQuant& layer)
{
    const NodeId id = analogNodeOf(layer.node);
    std::unique_ptr<AnalogNode>& current = m_analog[id];
    std::unique_ptr<AnalogNode> next = prepareAnalog(m_graph.node(id), layer, current->view);
    next->lowering = current->lowering;
    if (!m_replaced.count(id))
        m_replaced[id] = std::move(current);
    current = std::move(next);
}

void QuantizedExecutor::restoreLayer(const std::string& layer)
{
    const NodeId id = analogNodeOf(layer);
    auto it = m_replaced.find(id);
    if (it == m_replaced.end())
        return;
    m_analog[id] = std::move(it->second);
    m_replaced.erase(it);
}

void QuantizedExecutor::bindInputs(const std::vector<Tensor>& inputs)
{
    const auto& graphInputs = m_graph.inputs();
    if (inputs.size() != graphInputs.size())
        fail("graph '", m_graph.name, "' takes ", graphInputs.size(), " inputs, got ", inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        const ValueId id = graphInputs[i];
        const Value& v = m_graph.value(id);
        if (inputs[i].dtype() != v.dtype || inputs[i].shape() != v.shape)
            fail("input '", v.name, "' expects ", dtypeName(v.dtype), shapeToString(v.shape), ", got ",
                 dtypeName(inputs[i].dtype()), shapeToString(inputs[i].shape()));
        m_values[id] = inputs[i].clone();
        if (m_quantOf[id])
            fakeQuantize(m_values[id].mutableData<float>(), m_values[id].numel(), *m_quantOf[id]);
    }
}

// Output codes of a view whose columns map one-to-one onto output elements (Conv, Gemm,
// MatMul). Read noise is keyed by the global index of each input vector (sample index x
// vectors per sample + vector within the sample), so any batch split draws the same noise.
Tensor QuantizedExecutor::permutedOutput(const AnalogNode& a, const Node& node, const std::vector<int32_t>& matrix,
                                         int64_t m, int64_t firstVector, Tensor& inputCodes) const
{
    std::vector<int32_t> y(static_cast<size_t>(m * a.view.cols));
    a.layer->run(matrix.data(), m, y.data(), firstVector);
    const Shape& shape = m_graph.value(node.outputs[0]).shape;
    // The input codes are consumed (copied into `matrix`): reuse their buffer when it fits.
    const bool reuse = inputCodes.numel() >= numElements(shape);
    Tensor outCodes = reuse ? Tensor::viewOf(inputCodes, DType::Int32, shape) : Tensor(DType::Int32, shape);
    scatterAnalogOutput(m_graph, node, a.view, y, outCodes);
    return outCodes;
}

// Output codes of a view that sums columns into output elements before the epilogue
// (ConvTranspose's col2im): accumulators scattered and summed, then bias and epilogue
// per output channel.
Tensor QuantizedExecutor::summedOutput(const AnalogNode& a, const Node& node, const std::vector<int32_t>& matrix,
                                       int64_t m, int64_t firstVector) const
{
    const std::vector<int64_t> acc = a.layer->accumulate(matrix.data(), m, firstVector);
    const Shape& shape = m_graph.value(node.outputs[0]).shape;
    std::vector<int64_t> sums(static_cast<size_t>(numElements(shape)));
    scatterAccumulators(m_graph, node, a.view, acc.data(), m, sums.data());
    Tensor outCodes(DType::Int32, shape);
    int32_t* oc = outCodes.mutableData<int32_t>();
    const CodeRange range = a.layer->outputRange();
    const int64_t channels = a.view.outChannels(), spatial = numElements(shape) / (shape[0] * channels);
    for (size_t i = 0; i < sums.size(); ++i) {
        const int64_t c = (static_cast<int64_t>(i) / spatial) % channels; // NC... layout
        oc[i] = epilogue(sums[i] + a.channelBias[c], a.channelRequant[c], range);
    }
    return outCodes;
}

namespace {

// out[c * rows + r] = convert(y[r * cols + c]), in tiles that stay in cache.
template <class In, class Out, class Convert>
void transposeTiles(const In* y, int64_t rows, int64_t cols, Out* out, Convert convert)
{
    constexpr int64_t kTile = 32;
    for (int64_t r0 = 0; r0 < rows; r0 += kTile)
        for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
            const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
            for (int64_t c = c0; c < c1; ++c)
                for (int64_t r = r0; r < r1; ++r)
                    out[c * rows + r] = convert(y[r * cols + c]);
        }
}

void transposeScaled(const int32_t* y, int64_t rows, int64_t cols, double scale, float* out)
{
    transposeTiles(y, rows, cols, out, [scale](int32_t v) { return static_cast<float>(v * scale); });
}

void transpose(const int32_t* x, int64_t rows, int64_t cols, int32_t* out)
{
    transposeTiles(x, rows, cols, out, [](int32_t v) { return v; });
}

} // namespace

// Output of a layer with a per-sample lowering: a few samples' vectors at a time gathered
// from the input codes, multiplied, and scattered into the float output, so no matrix of
// the whole batch is built. Read noise keys as in permutedOutput.
Tensor QuantizedExecutor::sampleWiseOutput(AnalogNode& a, const Node& node, const SampleLowering& l,
                                           const Tensor& codes, int32_t padCode, int64_t firstVector)
{
    const int64_t n = a.view.cols, vps = l.vectorsPerSample;
    const int64_t chunk = std::max<int64_t>(1, 1024 / std::max<int64_t>(1, vps)); // samples per product
    Tensor out = Tensor::uninitialized(DType::Float32, m_graph.value(node.outputs[0]).shape);
    float* od = out.mutableData<float>();
    const int32_t* cd = codes.data<int32_t>();
    const double sy = a.layer->params().output.scale;
    for (int64_t s0 = 0; s0 < l.samples; s0 += chunk) {
        const int64_t s1 = std::min(l.samples, s0 + chunk), mc = (s1 - s0) * vps;
        m_matrix.resize(static_cast<size_t>(mc * l.rowLength));
        m_rows.resize(static_cast<size_t>(mc * n));
        for (int64_t s = s0; s < s1; ++s) {
            int32_t* xs = m_matrix.data() + (s - s0) * vps * l.rowLength;
            if (l.gatherTransposes)
                transpose(cd + s * l.inputPerSample, l.rowLength, vps, xs);
            else
                gatherInputMatrix(l.gather, cd + s * l.inputPerSample, xs, padCode);
        }
        if (m_options.recordAdcRanges) {
            int64_t& r = m_adcRanges[node.name];
            r = std::max(r, a.layer->maxAbsBlockSum(m_matrix.data(), mc));
        }
        a.layer->run(m_matrix.data(), mc, m_rows.data(), firstVector + s0 * vps);
        for (int64_t s = s0; s < s1; ++s) {
            float* os = od + s * l.outputPerSample;
            const int32_t* ys = m_rows.data() + (s - s0) * vps * n;
            if (l.transposes)
                transposeScaled(ys, vps, n, sy, os);
            else
                for (size_t j = 0; j < l.scatter.size(); ++j)
                    os[l.scatter[j]] = static_cast<float>(ys[j] * sy);
        }
    }
    return out;
}

void QuantizedExecutor::runAnalog(AnalogNode& a, const Node& node)
{
    const Tensor& x = m_values[node.inputs[0]];
    Tensor codes = Tensor::uninitialized(DType::Int32, x.shape()); // every element written below
    const CodeRange inRange = a.layer->inputRange();
    const int64_t z = a.layer->params().numerics.inputZeroPoint; // DAC codes: centered + z
    const double inScale = a.layer->params().inputScale; // the layer's DAC coding (dacCoding)
    kernels::quantizeRow(x.data<float>(), x.numel(), inScale, inRange, z, codes.mutableData<int32_t>());
    const int64_t batch = x.shape().empty() ? 1 : std::max<int64_t>(1, x.shape()[0]);
    if (a.channelRequant.empty()) {
        if (!a.lowering)
            a.lowering = std::make_shared<const std::optional<SampleLowering>>(sampleLowering(m_graph, node, a.view));
        if (const std::optional<SampleLowering>& l = *a.lowering) {
            const int64_t firstVector = static_cast<int64_t>(m_options.readNoiseStream) * l->vectorsPerSample;
            m_values[node.outputs[0]] = sampleWiseOutput(a, node, *l, codes, static_cast<int32_t>(z), firstVector);
            return;
        }
    }
    int64_t m = 0;
    const std::vector<int32_t> matrix = analogInputMatrix(m_graph, node, a.view, codes, m, static_cast<int32_t>(z));
    if (m_options.recordAdcRanges) {
        int64_t& r = m_adcRanges[node.name];
        r = std::max(r, a.layer->maxAbsBlockSum(matrix.data(), m));
    }
    const int64_t firstVector = static_cast<int64_t>(m_options.readNoiseStream) * (m / batch);
    const Value& outValue = m_graph.value(node.outputs[0]);
    Tensor outCodes = a.channelRequant.empty() ? permutedOutput(a, node, matrix, m, firstVector, codes)
                                               : summedOutput(a, node, matrix, m, firstVector);
    Tensor out = Tensor::uninitialized(DType::Float32, outValue.shape);
    const double sy = a.layer->params().output.scale;
    const int32_t* oc = outCodes.data<int32_t>();
    float* od = out.mutableData<float>();
    for (int64_t i = 0, count = out.numel(); i < count; ++i)
        od[i] = static_cast<float>(oc[i] * sy);
    m_values[node.outputs[0]] = out;
}

void QuantizedExecutor::runDigital(const Node& node)
{
    std::vector<const Tensor*> ins;
    std::vector<Tensor*> outs;
    for (ValueId in : node.inputs)
        ins.push_back(in == kNoValue ? nullptr : &m_values[in]);
    for (ValueId out : node.outputs) {
        const Value& v = m_graph.value(out);
        m_values[out] = Tensor(v.dtype, v.shape);
        outs.push_back(&m_values[out]);
    }
    KernelContext ctx(node, ins, outs, m_scratch);
    node.op->kernelFn()(ctx);
    for (ValueId out : node.outputs)
        if (m_quantOf[out])
            fakeQuantize(m_values[out].mutableData<float>(), m_values[out].numel(), *m_quantOf[out]);
}

void QuantizedExecutor::runSteps(size_t from, size_t to, const NodeObserver& observer, ProgressSink* progress)
{
    for (size_t step = from; step < to; ++step) {
        if (progress)
            progress->checkpoint(static_cast<double>(step) / m_order.size(), "running quantized");
        const Node& node = m_graph.node(m_order[step]);
        auto it = m_analog.find(m_order[step]);
        if (it != m_analog.end())
            runAnalog(*it->second, node);
        else
            runDigital(node);
        if (observer) {
            std::vector<const Tensor*> outs;
            for (ValueId out : node.outputs)
                outs.push_back(&m_values[out]);
            observer(m_order[step], node, outs);
        }
        for (ValueId in : node.inputs) // release dead activations
            if (in != kNoValue && m_lastUse[in] == static_cast<int>(step) && !m_graph.value(in).isConstant())
                m_values[in] = Tensor();
    }
}

std::vector<Tensor> QuantizedExecutor::run(const std::vector<Tensor>& inputs, const NodeObserver& observer,
                                           ProgressSink* progress)
{
    bindInputs(inputs);
    runSteps(0, m_order.size(), observer, progress);
    std::vector<Tensor> outputs;
    for (ValueId out : m_graph.outputs())
        outputs.push_back(m_values[out]);
    return outputs;
}

ExecutionSnapshot QuantizedExecutor::start(const std::vector<Tensor>& inputs)
{
    bindInputs(inputs);
    return {0, m_values};
}

void QuantizedExecutor::advance(ExecutionSnapshot& snapshot, size_t step, ProgressSink* progress)
{
    if (step < snapshot.step || step > m_order.size())
        fail("quantized run of graph '", m_graph.name, "': cannot advance from step ", snapshot.step, " to ", step);
    m_values = snapshot.values;
    runSteps(snapshot.step, step, {}, progress);
    snapshot = {step, m_values};
}

std::vector<Tensor> QuantizedExecutor::runFrom(const ExecutionSnapshot& snapshot, ProgressSink* progress)
{
    m_values = snapshot.values;
    runSteps(snapshot.step, m_order.size(), {}, progress);
    std::vector<Tensor> outputs;
    for (ValueId out : m_graph.outputs())
        outputs.push_back(m_values[out]);
    return outputs;
}

} // namespace tessera::quant

#include "quant/Calibrator.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/OpRegistry.h"
#include "core/analog/AnalogLowering.h"
#include "quant/BiasCorrection.h"
#include "quant/Observers.h"
#include "quant/QuantizedExecutor.h"
#include "quant/SmoothingSearch.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tessera::quant {

namespace {

struct ValueStats {
    double min = 1e300, max = -1e300;
    AbsHistogram hist;
};

using StatsMap = std::map<std::string, ValueStats>;

void observeRange(ValueStats& s, const float* d, int64_t n)
{
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(d[i])) {
            s.min = std::min<double>(s.min, d[i]);
            s.max = std::max<double>(s.max, d[i]);
        }
}

// Runs the FP32 graph over the data; `fn(graph, name, values)` sees the graph input and
// every float activation (without a fixed batch's padding samples).
using ActivationFn = std::function<void(const Graph&, const std::string&, const Tensor&)>;
void forEachActivation(ModelGraphs& model, const Dataset& data, int64_t batchSize, ProgressSink* progress,
                       double begin, double end, const ActivationFn& fn)
{
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(begin + (end - begin) * b.first / data.count(), "calibrating activations");
        const Graph& g = b.graph;
        fn(g, g.value(g.inputs()[0]).name, b.real(b.inputs));
        Executor exec(g);
        exec.run({b.inputs}, [&](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
            for (size_t i = 0; i < outs.size(); ++i)
                if (outs[i]->dtype() == DType::Float32)
                    fn(g, g.value(node.outputs[i]).name, b.real(*outs[i]));
        });
    });
}

// The observer's threshold T on |x| clips both sides: [max(min, -T), min(max, T)]; that
// range is coded symmetric, unsigned or, when lopsided and `allowOffset`, with offset codes
// (analog::chooseCoding).
TensorQuant ownQuant(const ValueStats& s, int bits, const ObserverOptions& obs, const std::string& policy,
                     bool allowOffset)
{
    TensorQuant q;
    q.bits = bits;
    q.observedMin = s.min;
    q.observedMax = s.max;
    q.policy = policy;
    const int64_t levels = analog::maxCode(bits, s.min < 0.0);
    const double t = obs.kind == ObserverKind::MinMax ? std::max(std::fabs(s.min), std::fabs(s.max))
                                                      : chooseThreshold(s.hist, levels, obs);
    if (!(t > 0.0 && std::isfinite(t))) {
        q.isSigned = s.min < 0.0;
        return q;
    }
    const analog::TensorCoding c = analog::chooseCoding(std::max(s.min, -t), std::min(s.max, t), bits, allowOffset);
    q.scale = c.scale;
    q.zeroPoint = c.zeroPoint;
    q.isSigned = c.isSigned;
    return q;
}

// Values an analog layer reads through its DACs: the only tensors that must be coded at
// the DAC width. Everything else lives on the vector engine's wider path.
std::set<ValueId> dacInputs(const Graph& g)
{
    std::set<ValueId> dac;
    for (NodeId id : g.topologicalOrder())
        if (analog::isLowerableAnalogNode(g, g.node(id)))
            dac.insert(g.node(id).inputs[0]);
    return dac;
}

// Inputs of analog layers that add columns before their epilogue (ConvTranspose): the
// offset's contribution differs per column there and the bias is per channel, so those
// tensors keep zero-point-free codes.
std::set<ValueId> summedColumnInputs(const Graph& g)
{
    std::set<ValueId> out;
    for (NodeId id : g.topologicalOrder())
        if (analog::isLowerableAnalogNode(g, g.node(id)) &&
            analog::lowerAnalogNode(g, g.node(id)).scatter != OutputScatter::Permute)
            out.insert(g.node(id).inputs[0]);
    return out;
}

double threshold(const TensorQuant& q) { return q.scale * static_cast<double>(analog::maxCode(q.bits, q.isSigned)); }

// Bits per tensor: DAC inputs get activationBits; tensors no analog layer reads stay on the
// SIMD engine's high-precision path (highPrecisionBits, INT16 by default; the M1076 SIMD
// handles INT16). Requantizing every intermediate of e.g. a decomposed HardSwish
// (x * clip(x + 3, 0, 6) / 6) to 8 bits costs a detector most of its SQNR.
void assignTensors(QuantSpec& r, const Graph& g, const StatsMap& stats)
{
    const QuantConfig& c = r.config;
    auto statsOf = [&](const std::string& name) {
        auto it = stats.find(name);
        if (it == stats.end())
            fail("calibration saw no data for tensor '", name, "'");
        return it->second;
    };
    const std::set<ValueId> dac = dacInputs(g), summed = summedColumnInputs(g);
    auto bitsOf = [&](ValueId v) { return dac.count(v) ? c.activationBits : c.highPrecisionBits; };
    auto offsetOk = [&](ValueId v) { return c.offsetCoding && !summed.count(v); };
    for (ValueId in : g.inputs())
        if (g.value(in).dtype == DType::Float32)
            r.tensors[g.value(in).name] =
                ownQuant(statsOf(g.value(in).name), bitsOf(in), c.activationObserver, "graph-input", offsetOk(in));
    for (NodeId id : g.topologicalOrder()) {
        const Node& node = g.node(id);
        const QuantPolicy policy = node.op->quantPolicyValue();
        for (ValueId out : node.outputs) {
            const Value& v = g.value(out);
            TensorQuant q;
            q.quantized = false;
            q.policy = quantPolicyName(policy);
            const bool codes = policy != QuantPolicy::KeepFloat && policy != QuantPolicy::ShapeOnly;
            if (v.dtype == DType::Float32 && (codes || dac.count(out))) {
                q = ownQuant(statsOf(v.name), bitsOf(out), c.activationObserver,
                             codes ? quantPolicyName(policy) : "dac-input", offsetOk(out));
                // ShareScale passes codes through when there is one activation input (MaxPool,
                // Reshape) of the same width; with several (Concat) the inputs' scales differ,
                // and a much narrower output (Clip(0, 6) of a +-100 input) gets its own grid.
                int activationInputs = 0;
                for (ValueId in : node.inputs)
                    activationInputs += in != kNoValue && !g.value(in).isConstant() && g.value(in).dtype == DType::Float32;
                const TensorQuant* shared = nullptr;
                if (codes && policy == QuantPolicy::ShareScale && activationInputs == 1 && node.hasInput(0) &&
                    !g.value(node.inputs[0]).isConstant())
                    shared = r.findTensor(g.value(node.inputs[0]).name);
                if (shared && shared->quantized && shared->bits == q.bits && threshold(q) >= 0.5 * threshold(*shared) &&
                    (shared->zeroPoint == 0 || offsetOk(out))) {
                    q.scale = shared->scale; // same codes as the input: no requantization
                    q.isSigned = shared->isSigned;
                    q.zeroPoint = shared->zeroPoint;
                }
            } else if (v.dtype == DType::Float32) {
                const ValueStats& s = statsOf(v.name);
                q.observedMin = s.min;
                q.observedMax = s.max;
            }
            r.tensors[v.name] = q;
        }
    }
}

// Per-input-channel bounds of every analog layer's input over the data (input smoothing).
ChannelBoundsMap collectChannelBounds(ModelGraphs& model, const Dataset& data, int64_t batchSize, double end,
                                      ProgressSink* progress)
{
    ChannelBoundsMap bounds;
    auto observe = [&](const Graph& g, const std::string& name, const Tensor& t) {
        const std::optional<ValueId> v = g.findValue(name);
        if (!v)
            return;
        for (NodeId reader : g.value(*v).consumers) {
            const Node& node = g.node(reader);
            if (node.inputs[0] == *v && analog::isLowerableAnalogNode(g, node))
                observeChannelBounds(g, node, t, bounds[node.name]);
        }
    };
    forEachActivation(model, data, batchSize, progress, 0.0, end, observe);
    return bounds;
}

// The smoothing factors: one alpha, or each layer's best of config.smoothingAlphas
// (quant/SmoothingSearch.h), measured in a second pass over the data.
std::vector<InputSmoothing> chooseSmoothing(ModelGraphs& model, const Dataset& data, const QuantConfig& config,
                                            int64_t batchSize, ProgressSink* progress)
{
    const bool search = config.smoothingAlphas.size() > 1;
    const ChannelBoundsMap bounds = collectChannelBounds(model, data, batchSize, search ? 0.02 : 0.1, progress);
    const Graph& g = model.forBatch(model.declaredBatch());
    if (!search)
        return computeSmoothing(g, channelRanges(bounds),
                                config.smoothingAlphas.empty() ? config.smoothingAlpha : config.smoothingAlphas[0],
                                config.smoothInputs);
    SmoothingAlphaSearch chooser(g, bounds, config);
    using Observe = void (SmoothingAlphaSearch::*)(const Graph&, const std::string&, const Tensor&);
    auto pass = [&](Observe fn, double begin, double end) {
        forEachActivation(model, data, batchSize, progress, begin, end,
                          [&](const Graph& bg, const std::string& name, const Tensor& t) { (chooser.*fn)(bg, name, t); });
    };
    if (chooser.needsHistograms())
        pass(&SmoothingAlphaSearch::observeHistograms, 0.02, 0.04);
    chooser.finishHistograms();
    if (config.calibrateAdc)
        pass(&SmoothingAlphaSearch::observeAdcRanges, 0.04, 0.07);
    chooser.finishAdcRanges();
    pass(&SmoothingAlphaSearch::observe, 0.07, 0.1);
    return chooser.chosen();
}

void assignLayers(QuantSpec& r, const Graph& g)
{
    const QuantConfig& c = r.config;
    for (NodeId id : g.topologicalOrder()) {
        const Node& node = g.node(id);
        if (!analog::isLowerableAnalogNode(g, node))
            continue;
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(g, node);
        LayerQuant l;
        l.node = node.name;
        l.opType = node.opType;
        l.input = g.value(node.inputs[0]).name;
        l.output = g.value(node.outputs[0]).name;
        auto wb = c.layerWeightBits.find(node.name);
        l.weightBits = wb == c.layerWeightBits.end() ? c.weightBits : wb->second;
        auto ab = c.layerAdcBits.find(node.name);
        l.adcBits = ab == c.layerAdcBits.end() ? c.adcBits : ab->second;
        auto db = c.layerDacBits.find(node.name);
        l.inputBits = std::min(r.tensors.at(l.input).bits, db == c.layerDacBits.end() ? 16 : db->second);
        l.rows = view.rows;
        l.cols = view.cols;
        l.groups = view.groups;
        l.rowBlocks = (view.rows + c.geometry.rows - 1) / c.geometry.rows;
        l.weightScales = shareOutChannelScales(
            view, weightScales(view.weights.data(), view.cols, view.rows, l.weightBits, c.weightObserver));
        r.layers.push_back(std::move(l));
    }
}

} // namespace

void validateConfig(const QuantConfig& c, const Graph& g)
{
    checkActivationBits(c.activationBits, "quantization config");
    checkWeightBits(c.weightBits, "quantization config");
    checkAdcBits(c.adcBits, "quantization config");
    checkActivationBits(c.highPrecisionBits, "quantization config (high-precision bits)");
    if (!(c.smoothingAlpha >= 0.0 && c.smoothingAlpha <= 1.0))
        fail("quantization config: smoothing alpha must be in [0, 1], got ", c.smoothingAlpha);
    for (double a : c.smoothingAlphas)
        if (!(a >= 0.0 && a <= 1.0))
            fail("quantization config: smoothing alpha candidates must be in [0, 1], got ", a);
    if (c.geometry.rows <= 0 || c.geometry.cols <= 0)
        fail("quantization config: array size must be positive");
    auto checkLayer = [&](const std::string& name) {
        std::optional<NodeId> id = g.findNode(name);
        if (!id || !analog::isLowerableAnalogNode(g, g.node(*id)))
            fail("quantization config: unknown analog layer '", name, "' in model '", g.name, "'");
    };
    for (const auto& [name, bits] : c.layerWeightBits) {
        checkLayer(name);
        checkWeightBits(bits, strCat("layer '", name, "'"));
    }
    for (const auto& [name, bits] : c.layerAdcBits) {
        checkLayer(name);
        checkAdcBits(bits, strCat("layer '", name, "'"));
    }
    for (const auto& [name, bits] : c.layerDacBits) {
        checkLayer(name);
        checkDacBits(bits, strCat("layer '", name, "'"));
    }
}

QuantSpec calibrate(ModelGraphs& model, const Dataset& data, const QuantConfig& config, ProgressSink* progress,
                      int64_t batchSize)
{
    if (data.count() == 0)
        fail(data.source, ": calibration data is empty");
    const int64_t firstBatch = model.declaredBatch(); // any graph: layers and their weights do not depend on it
    QuantSpec r;
    r.model = model.name();
    r.modelHash = model.contentHash();
    r.config = config;
    r.inputShape = data.inputs.shape();
    r.inputShape[0] = 1;
    model.setSmoothing({}); // scales are computed on the model as imported
    model.setEqualization({});
    checkDatasetFitsGraph(data, model.forBatch(firstBatch));
    validateConfig(config, model.forBatch(firstBatch));
    if (config.equalize)
        r.equalization = computeEqualization(model.forBatch(firstBatch));
    model.setEqualization(r.equalization);
    if (config.smoothInputs != SmoothingScope::Off)
        r.smoothing = chooseSmoothing(model, data, config, batchSize, progress);
    prepareModel(model, r);
    const Graph& g0 = model.forBatch(firstBatch);

    StatsMap stats;
    const double rangesStart = config.smoothInputs != SmoothingScope::Off ? 0.1 : 0.0; // after the smoothing pass
    forEachActivation(model, data, batchSize, progress, rangesStart, 0.3, [&](const Graph&, const std::string& name, const Tensor& t) {
        observeRange(stats[name], t.data<float>(), t.numel());
    });
    if (config.activationObserver.kind != ObserverKind::MinMax) {
        for (auto& [name, s] : stats)
            s.hist = AbsHistogram(std::max(std::fabs(s.min), std::fabs(s.max)), config.activationObserver.bins);
        forEachActivation(model, data, batchSize, progress, 0.3, 0.6, [&](const Graph&, const std::string& name, const Tensor& t) {
            stats[name].hist.add(t.data<float>(), t.numel());
        });
    }
    assignTensors(r, g0, stats);
    assignLayers(r, g0);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const double adcEnd = config.biasCorrection ? 0.7 : 1.0;
    SubProgress adcPart(sink, 0.6, adcEnd), biasPart(sink, adcEnd, 1.0);
    if (config.calibrateAdc)
        calibrateAdcRanges(r, model, data, &adcPart, batchSize);
    if (config.biasCorrection)
        correctBiases(r, model, data, &biasPart, batchSize);
    return r;
}

void prepareModel(ModelGraphs& model, const QuantSpec& result, bool forceOtherModel)
{
    checkSpecMatchesModel(result, model.contentHash(), model.name(), forceOtherModel);
    model.setEqualization(result.equalization);
    model.setSmoothing(result.smoothing);
}

void calibrateAdcRanges(QuantSpec& result, ModelGraphs& model, const Dataset& data, ProgressSink* progress,
                        int64_t batchSize)
{
    prepareModel(model, result);
    QuantizedExecutorOptions opt;
    opt.transparentAdc = true;
    opt.recordAdcRanges = true;
    opt.nonIdealities = false;
    std::map<std::string, int64_t> ranges;
    BatchQuantizedExecutor executors(result, opt);
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) { // padding repeats a sample: same maxima
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), "calibrating ADC ranges");
        QuantizedExecutor& exec = executors.forGraph(b.graph);
        exec.run({b.inputs});
        for (const auto& [name, v] : exec.adcRanges()) // maxima so far (an executor per graph)
            ranges[name] = std::max(ranges[name], v);
    });
    for (LayerQuant& l : result.layers)
        l.adcRange = std::max<int64_t>(1, ranges[l.node]);
}

void setLayerWeightBits(QuantSpec& result, const Graph& graph, const std::string& layer, int bits)
{
    LayerQuant* l = result.findLayer(layer);
    if (!l)
        fail("unknown analog layer '", layer, "' in the quantization result of '", result.model, "'");
    checkWeightBits(bits, strCat("layer '", layer, "'"));
    std::optional<NodeId> id = graph.findNode(layer);
    if (!id)
        fail("unknown layer '", layer, "' in graph '", graph.name, "'");
    const analog::AnalogMatmulView view = analog::lowerAnalogNode(graph, graph.node(*id));
    const double ratio = static_cast<double>(analog::maxCode(bits, true)) / analog::maxCode(l->weightBits, true);
    l->adcRange = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(l->adcRange * ratio)));
    l->weightBits = bits;
    l->weightScales = weightScales(view.weights.data(), view.cols, view.rows, bits, result.config.weightObserver);
    l->biasCorrection.clear(); // measured at the old depth
    result.config.layerWeightBits[layer] = bits;
}

void setLayerDacBits(QuantSpec& result, const std::string& layer, int bits)
{
    LayerQuant* l = result.findLayer(layer);
    if (!l)
        fail("unknown analog layer '", layer, "' in the quantization result of '", result.model, "'");
    const TensorQuant* in = result.findTensor(l->input);
    if (!in)
        fail("layer '", layer, "': its input '", l->input, "' is not in the quantization result");
    checkDacBits(bits, strCat("layer '", layer, "'"));
    if (bits > in->bits)
        fail("layer '", layer, "': DAC bits ", bits, " above its input's ", in->bits, " activation bits");
    const int old = std::min(l->inputBits, in->bits);
    const double ratio = static_cast<double>(analog::maxCode(bits, in->isSigned)) / analog::maxCode(old, in->isSigned);
    l->adcRange = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(l->adcRange * ratio)));
    l->inputBits = bits;
    l->biasCorrection.clear(); // measured with the old input coding
    if (bits == in->bits)
        result.config.layerDacBits.erase(layer);
    else
        result.config.layerDacBits[layer] = bits;
}

QuantSpec withChosenBits(const QuantSpec& base, const Graph& graph, const std::map<std::string, int>& bits,
                         const std::map<std::string, int>& adcBits, const std::map<std::string, int>& dacBits)
{
    QuantSpec r = base;
    for (const auto& [layer, b] : bits)
        if (const LayerQuant* l = base.findLayer(layer); l && l->weightBits != b)
            setLayerWeightBits(r, graph, layer, b);
    for (const auto& [layer, b] : adcBits)
        if (LayerQuant* l = r.findLayer(layer); l && l->adcBits != b) {
            checkAdcBits(b, strCat("layer '", layer, "'"));
            l->adcBits = b;
            r.config.layerAdcBits[layer] = b;
        }
    for (const auto& [layer, b] : dacBits)
        if (const LayerQuant* l = r.findLayer(layer); l && l->inputBits != b)
            setLayerDacBits(r, layer, b);
    return r;
}

} // namespace tessera::quant

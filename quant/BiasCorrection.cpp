#include "quant/BiasCorrection.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/WeightMatrix.h"
#include "core/analog/Numerics.h"
#include "core/passes/DeadCodeElimination.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

namespace tessera::quant {

namespace {

struct ChannelErrors {
    std::vector<double> sum;
    std::vector<int64_t> count;
};

// Where an output is in the activation's linear range and not saturated.
struct LinearRange {
    double lo = -1e300, hi = 1e300;
    bool contains(double v) const { return v > lo && v < hi; }
};

// Accumulates (q - f) per channel over the elements inside `linear` for both.
void accumulate(ChannelErrors& e, const Tensor& f, const Tensor& q, bool channelFirst, const LinearRange& linear)
{
    const int64_t n = static_cast<int64_t>(e.sum.size()), count = f.numel();
    const int64_t inner = channelFirst ? count / (f.dim(0) * n) : 1; // elements per channel run
    const float* fd = f.data<float>();
    const float* qd = q.data<float>();
    for (int64_t i = 0; i < count; ++i) {
        if (!linear.contains(fd[i]) || !linear.contains(qd[i]))
            continue;
        const int64_t c = (i / inner) % n;
        e.sum[c] += static_cast<double>(qd[i]) - fd[i];
        ++e.count[c];
    }
}

ChannelErrors emptyErrors(int64_t channels)
{
    return {std::vector<double>(static_cast<size_t>(channels), 0.0), std::vector<int64_t>(static_cast<size_t>(channels), 0)};
}

std::vector<double> meansOf(const ChannelErrors& e)
{
    std::vector<double> mean(e.sum.size(), 0.0);
    for (size_t c = 0; c < mean.size(); ++c)
        if (e.count[c] > 0)
            mean[c] = e.sum[c] / static_cast<double>(e.count[c]);
    return mean;
}

// The outputs where the fused activation is the identity and the code is not saturated.
LinearRange linearRangeOf(const Graph& g, const Node& node, const TensorQuant& out)
{
    const analog::AnalogMatmulView view = analog::lowerAnalogNode(g, node);
    LinearRange linear{view.clampLo, view.clampHi};
    const analog::RealRange codes =
        analog::representableRange(out.scale, analog::codeRange(out.bits, out.isSigned), out.zeroPoint);
    linear.lo = std::max(linear.lo, codes.lo);
    linear.hi = std::min(linear.hi, codes.hi);
    return linear;
}

const TensorQuant& outputQuant(const QuantSpec& result, const LayerQuant& l)
{
    const TensorQuant* out = result.findTensor(l.output);
    if (!out || !out->quantized)
        fail("bias correction: the output of layer '", l.node, "' is not quantized");
    return *out;
}

// The model up to `layer`, whose output becomes the only graph output (nothing after it
// can change it), with the result's layers that remain: each measurement runs a prefix.
struct Prefix {
    Graph graph;
    QuantSpec result;
};

std::unique_ptr<Prefix> prefixUpTo(const Graph& g, const QuantSpec& r, const std::string& layer)
{
    const std::optional<NodeId> id = g.findNode(layer);
    if (!id)
        fail("bias correction: layer '", layer, "' is not a node of graph '", g.name, "'");
    auto p = std::make_unique<Prefix>();
    p->graph = g;
    p->graph.setGraphOutputs({g.node(*id).outputs[0]});
    DeadCodeElimination().run(p->graph);
    p->result = r;
    p->result.layers.clear();
    for (const LayerQuant& l : r.layers)
        if (p->graph.findNode(l.node))
            p->result.layers.push_back(l);
    return p;
}

} // namespace

std::vector<double> measureMeanError(const QuantSpec& result, ModelGraphs& model, const Dataset& data,
                                     const std::string& layer, ProgressSink* progress, int64_t batchSize)
{
    const LayerQuant* l = result.findLayer(layer);
    if (!l)
        fail("bias correction: no analog layer '", layer, "' in the quantization result");
    const TensorQuant& out = outputQuant(result, *l);
    ChannelErrors e = emptyErrors(l->cols);
    prepareModel(model, result);
    QuantizedExecutorOptions qo;
    qo.nonIdealities = false;
    // By run shape (batch and sample), not by graph address: ModelGraphs drops graphs of other
    // sample shapes (text lines of many widths), and a new graph can take a dropped one's address.
    std::map<Shape, std::unique_ptr<Prefix>> prefixes;
    forEachModelBatch(model, data, batchSize, [&](const ModelBatch& b) {
        if (progress)
            progress->checkpoint(static_cast<double>(b.first) / data.count(), strCat("bias correction: ", layer));
        std::unique_ptr<Prefix>& p = prefixes[b.inputs.shape()];
        if (!p)
            p = prefixUpTo(b.graph, result, layer);
        const Node& node = p->graph.node(*p->graph.findNode(layer));
        const Tensor f = b.real(Executor(p->graph).run({b.inputs})[0]);
        const Tensor q = b.real(QuantizedExecutor(p->graph, p->result, qo).run({b.inputs})[0]);
        accumulate(e, f, q, channelsFirst(node), linearRangeOf(p->graph, node, out));
    });
    return meansOf(e);
}

void correctBiases(QuantSpec& result, ModelGraphs& model, const Dataset& data, ProgressSink* progress,
                   int64_t batchSize)
{
    prepareModel(model, result);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const size_t layers = result.layers.size();
    for (size_t i = 0; i < layers; ++i) {
        LayerQuant& l = result.layers[i];
        SubProgress sub(sink, static_cast<double>(i) / layers, static_cast<double>(i + 1) / layers);
        const std::vector<double> mean = measureMeanError(result, model, data, l.node, &sub, batchSize);
        if (l.biasCorrection.empty())
            l.biasCorrection.assign(mean.size(), 0.0);
        for (size_t c = 0; c < mean.size(); ++c)
            l.biasCorrection[c] += mean[c];
    }
}

} // namespace tessera::quant

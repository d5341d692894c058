#include "core/passes/FoldBatchNorm.h"

#include "core/passes/PassUtils.h"

#include <cmath>
#include <functional>

namespace tessera {

namespace {

// y = s * (x - mean) + beta with s = gamma / sqrt(var + eps), per channel.
struct ChannelAffine {
    std::vector<float> scale;
    std::vector<float> shift; // beta - s * mean
};

bool readBatchNorm(const Graph& graph, const Node& bn, ChannelAffine& affine)
{
    if (bn.outputs.size() != 1 || bn.attrs.getInt("training_mode", 0) != 0)
        return false;
    const Tensor* params[4];
    for (size_t i = 0; i < 4; ++i) {
        params[i] = passes::constantInput(graph, bn, i + 1);
        if (!params[i] || params[i]->dtype() != DType::Float32 || params[i]->rank() != 1)
            return false;
    }
    const int64_t channels = params[0]->numel();
    for (const Tensor* p : params)
        if (p->numel() != channels)
            return false;
    const float eps = bn.attrs.getFloat("epsilon", 1e-5f);
    const float *gamma = params[0]->data<float>(), *beta = params[1]->data<float>();
    const float *mean = params[2]->data<float>(), *var = params[3]->data<float>();
    affine.scale.resize(channels);
    affine.shift.resize(channels);
    for (int64_t c = 0; c < channels; ++c) {
        affine.scale[c] = gamma[c] / std::sqrt(var[c] + eps);
        affine.shift[c] = beta[c] - affine.scale[c] * mean[c];
    }
    return true;
}

// For each weight element, the output channel it contributes to.
using ChannelOf = std::function<int64_t(int64_t)>;

bool weightLayout(const Node& layer, const Tensor& w, int64_t channels, ChannelOf& channelOf)
{
    const Shape& s = w.shape();
    if (layer.opType == "Conv") {
        if (s.empty() || s[0] != channels)
            return false;
        const int64_t perChannel = w.numel() / channels;
        channelOf = [perChannel](int64_t i) { return i / perChannel; };
        return true;
    }
    if (layer.opType == "ConvTranspose") { // W is [C_in, C_out / group, k...]
        const int64_t group = layer.attrs.getInt("group", 1);
        if (s.size() < 2 || s[1] * group != channels || s[0] % group != 0)
            return false;
        const int64_t spatial = w.numel() / (s[0] * s[1]);
        const int64_t inPerGroup = s[0] / group, outPerGroup = s[1];
        channelOf = [=](int64_t i) {
            int64_t cin = i / (outPerGroup * spatial), j = (i / spatial) % outPerGroup;
            return (cin / inPerGroup) * outPerGroup + j;
        };
        return true;
    }
    // Gemm: B is [K, N], or [N, K] with transB; the output channel is N.
    if (s.size() != 2)
        return false;
    if (layer.attrs.getInt("transB", 0) != 0) {
        if (s[0] != channels)
            return false;
        const int64_t k = s[1];
        channelOf = [k](int64_t i) { return i / k; };
    } else {
        if (s[1] != channels)
            return false;
        channelOf = [channels](int64_t i) { return i % channels; };
    }
    return true;
}

// New bias = s * (beta_gemm * bias - mean) + beta_bn, i.e. s * oldBias + shift.
bool foldedBias(const Node& layer, const Tensor* bias, const ChannelAffine& a, Tensor& out)
{
    const int64_t channels = static_cast<int64_t>(a.scale.size());
    float biasScale = layer.opType == "Gemm" ? layer.attrs.getFloat("beta", 1.0f) : 1.0f;
    if (bias && (bias->dtype() != DType::Float32 || (bias->numel() != channels && bias->numel() != 1)))
        return false;
    std::vector<float> b(channels);
    for (int64_t c = 0; c < channels; ++c) {
        float old = bias ? bias->data<float>()[bias->numel() == 1 ? 0 : c] * biasScale : 0.0f;
        b[c] = a.scale[c] * old + a.shift[c];
    }
    out = Tensor::fromVector(b, {channels});
    return true;
}

bool foldInto(Graph& graph, NodeId layerId, NodeId bnId)
{
    Node& layer = graph.node(layerId);
    const Node& bn = graph.node(bnId);
    ChannelAffine affine;
    // Pointers into the graph's constants: only valid until the first addConstant below.
    const Tensor* w = passes::constantInput(graph, layer, 1);
    const Tensor* bias = passes::constantInput(graph, layer, 2);
    ChannelOf channelOf;
    if (!w || w->dtype() != DType::Float32 || (layer.hasInput(2) && !bias) || !readBatchNorm(graph, bn, affine) ||
        !weightLayout(layer, *w, static_cast<int64_t>(affine.scale.size()), channelOf))
        return false;
    Tensor newBias;
    if (!foldedBias(layer, bias, affine, newBias))
        return false;
    Tensor newW = w->clone();
    float* data = newW.mutableData<float>();
    for (int64_t i = 0, n = newW.numel(); i < n; ++i)
        data[i] *= affine.scale[channelOf(i)];
    const ValueId bnOut = bn.outputs[0];
    const std::string weightName = graph.value(layer.inputs[1]).name;
    layer.inputs[1] = passes::addDerivedConstant(graph, weightName + "_bnfolded", std::move(newW));
    ValueId biasId = passes::addDerivedConstant(graph, layer.name + "_bias_bnfolded", std::move(newBias));
    if (layer.inputs.size() < 3)
        layer.inputs.resize(3, kNoValue);
    layer.inputs[2] = biasId;
    if (layer.opType == "Gemm")
        layer.attrs.set("beta", 1.0f);
    graph.removeNode(bnId);
    passes::redirectOutput(graph, layerId, 0, bnOut);
    graph.rebuildUses();
    return true;
}

bool isFoldTarget(const std::string& op) { return op == "Conv" || op == "ConvTranspose" || op == "Gemm"; }

} // namespace

bool FoldBatchNorm::run(Graph& graph, const PassContext&)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& bn = graph.node(id);
        if (bn.removed || bn.opType != "BatchNormalization")
            continue;
        NodeId layer = passes::producerOfInput(graph, bn, 0);
        if (layer == kNoNode || !isFoldTarget(graph.node(layer).opType) ||
            graph.node(layer).outputs.size() != 1 || passes::soleConsumer(graph, bn.inputs[0]) != id ||
            graph.node(layer).attrs.has("fused_activation"))
            continue;
        if (foldInto(graph, layer, id))
            changed = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

// BatchNormalization, inference form: y = scale * (x - mean) / sqrt(var + epsilon) + B,
// per channel (axis 1). Training mode (batch statistics, running-stat outputs) is refused.
#include "core/Error.h"
#include "core/ops/GemmOpHelpers.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <cmath>

namespace tessera {

namespace {

// The one statement of the inference form: a = gamma / sqrt(var + epsilon), b = beta - mean * a.
ChannelAffine batchNormAffine(const float* gamma, const float* beta, const float* mean, const float* var,
                              float epsilon, int64_t channels)
{
    ChannelAffine affine;
    affine.scale.resize(static_cast<size_t>(channels));
    affine.shift.resize(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
        affine.scale[c] = gamma[c] / std::sqrt(var[c] + epsilon);
        affine.shift[c] = beta[c] - mean[c] * affine.scale[c];
    }
    return affine;
}

bool batchNormConstants(const Graph& graph, const Node& bn, ChannelAffine& affine)
{
    if (bn.outputs.size() != 1 || attrOf<int64_t>(bn, "training_mode") != 0)
        return false;
    const float* params[4];
    int64_t channels = -1;
    for (size_t i = 0; i < 4; ++i) {
        const Value& v = graph.value(bn.inputs[i + 1]);
        if (!v.isConstant() || v.constant.dtype() != DType::Float32 || v.constant.rank() != 1 ||
            (channels >= 0 && v.constant.numel() != channels))
            return false;
        channels = v.constant.numel();
        params[i] = v.constant.data<float>();
    }
    affine = batchNormAffine(params[0], params[1], params[2], params[3], attrOf<float>(bn, "epsilon"), channels);
    return true;
}

void batchNormShape(InferContext& ctx)
{
    if (attrOf<int64_t>(ctx.node(), "training_mode") != 0 || ctx.numOutputs() > 1)
        ctx.fail("training mode (training_mode=1 or running mean/var outputs) is not supported; export the "
                 "model in eval mode");
    for (size_t i = 0; i < 5; ++i)
        ops::requireFloat32(ctx, i);
    const Shape& x = ctx.inShape(0);
    if (x.size() < 2)
        ctx.fail(strCat("input ", shapeToString(x), " must be [N, C, ...]"));
    const char* names[] = {"", "scale", "B", "input_mean", "input_var"};
    for (size_t i = 1; i < 5; ++i)
        if (ctx.inShape(i) != Shape{x[1]})
            ctx.fail(strCat(names[i], " shape ", shapeToString(ctx.inShape(i)), " does not match the ", x[1],
                            " channels of input ", shapeToString(x)));
    ctx.setOutput(0, DType::Float32, x);
}

void batchNormKernel(KernelContext& ctx)
{
    const Tensor& x = ctx.in(0);
    const int64_t batch = x.dim(0), channels = x.dim(1), planeSize = x.numel() / std::max<int64_t>(batch * channels, 1);
    const ChannelAffine affine = batchNormAffine(ctx.in(1).data<float>(), ctx.in(2).data<float>(),
                                                 ctx.in(3).data<float>(), ctx.in(4).data<float>(),
                                                 attrOf<float>(ctx.node(), "epsilon"), channels);
    const float* in = x.data<float>();
    float* out = ctx.out(0).mutableData<float>();
    for (int64_t c = 0; c < channels; ++c) {
        const float a = affine.scale[c], b = affine.shift[c];
        for (int64_t n = 0; n < batch; ++n) {
            const int64_t offset = (n * channels + c) * planeSize;
            for (int64_t i = 0; i < planeSize; ++i)
                out[offset + i] = in[offset + i] * a + b;
        }
    }
}

OpCost batchNormCost(const Node& node, const Graph& graph)
{
    OpCost cost;
    cost.macs = numElements(graph.value(node.outputs[0]).shape);
    for (size_t i = 1; i < 5; ++i)
        cost.params += ops::constantElements(node, graph, i);
    return cost;
}

} // namespace

void registerNormOps(OpRegistry& r)
{
    r.add("BatchNormalization")
        .doc("inference batch norm over axis 1: scale * (x - mean) / sqrt(var + epsilon) + B")
        .numInputs(5)
        .numOutputs(1, 3)
        .attr("epsilon", 1e-5f, "added to the variance")
        .attr("momentum", 0.9f, "training only; ignored")
        .attr("training_mode", int64_t{0}, "must be 0: training mode is refused")
        .inferShape(batchNormShape)
        .kernel(batchNormKernel)
        .quantPolicy(QuantPolicy::Requantize)
        .cost(batchNormCost)
        .channelAffine(batchNormConstants);
}

} // namespace tessera

// BatchNormalization, inference form: y = scale * (x - mean) / sqrt(var + epsilon) + B,
// per channel (axis 1). Training mode (batch statistics, running-stat outputs) is refused.
#include "core/Error.h"
#include "core/ops/GemmOpHelpers.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <cmath>

namespace tessera {

namespace {

void batchNormShape(InferContext& ctx)
{
    if (ctx.attrs().getInt("training_mode", 0) != 0 || ctx.numOutputs() > 1)
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
    const float* scale = ctx.in(1).data<float>();
    const float* bias = ctx.in(2).data<float>();
    const float* mean = ctx.in(3).data<float>();
    const float* var = ctx.in(4).data<float>();
    const float epsilon = ctx.attrs().getFloat("epsilon", 1e-5f);
    const float* in = x.data<float>();
    float* out = ctx.out(0).mutableData<float>();
    for (int64_t c = 0; c < channels; ++c) {
        const float a = scale[c] / std::sqrt(var[c] + epsilon), b = bias[c] - mean[c] * a;
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
        .cost(batchNormCost);
}

} // namespace tessera

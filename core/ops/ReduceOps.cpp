// Reductions along axes: Softmax, LogSoftmax, ReduceMean. All view the input as
// [outer, axis, inner] blocks so the inner loops run over contiguous memory.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <cmath>

namespace tessera {

namespace {

struct AxisBlocks {
    int64_t outer = 1, axis = 1, inner = 1;
};

// Softmax's reduction blocks. Opset >= 13: the single axis `axis` (default -1). Older
// opsets (the importer sets attribute onnx_opset): the input is coerced to 2D at `axis`
// (default 1) and the softmax runs over the whole second dimension.
AxisBlocks softmaxBlocks(const Attributes& attrs, const Shape& shape)
{
    const int64_t rank = static_cast<int64_t>(shape.size());
    const bool legacy = attrs.getInt("onnx_opset", 13) < 13;
    int64_t axis = ops::normalizeAxis(attrs.getInt("axis", legacy ? 1 : -1), rank);
    AxisBlocks b;
    for (int64_t d = 0; d < rank; ++d) {
        if (d < axis)
            b.outer *= shape[d];
        else if (d == axis || legacy)
            b.axis *= shape[d];
        else
            b.inner *= shape[d];
    }
    return b;
}

void softmaxShape(InferContext& ctx)
{
    const bool legacy = ctx.attrs().getInt("onnx_opset", 13) < 13;
    const int64_t rank = ctx.inRank(0);
    const int64_t axis = ctx.attrs().getInt("axis", legacy ? 1 : -1);
    if (legacy ? (axis < -rank || axis > rank) : (axis < -rank || axis >= rank))
        ctx.fail(strCat("axis ", axis, " is out of range for rank ", rank));
    ops::dispatchFloat(ctx.inType(0), ctx.node(), [](auto) {});
    ctx.setOutput(0, ctx.inType(0), ctx.inShape(0));
}

template <bool Log> void softmaxKernel(KernelContext& ctx)
{
    const AxisBlocks b = softmaxBlocks(ctx.attrs(), ctx.in(0).shape());
    if (b.axis == 0) // nothing to normalize (and no element to take the max of)
        return;
    ops::dispatchFloat(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
        using T = decltype(tag);
        const T* x = ctx.in(0).data<T>();
        T* y = ctx.out(0).mutableData<T>();
        for (int64_t o = 0; o < b.outer; ++o)
            for (int64_t i = 0; i < b.inner; ++i) {
                const T* xs = x + o * b.axis * b.inner + i;
                T* ys = y + o * b.axis * b.inner + i;
                T maxValue = xs[0];
                for (int64_t k = 1; k < b.axis; ++k)
                    maxValue = std::max(maxValue, xs[k * b.inner]);
                T sum = 0;
                for (int64_t k = 0; k < b.axis; ++k) {
                    T e = std::exp(xs[k * b.inner] - maxValue);
                    sum += e;
                    if (!Log)
                        ys[k * b.inner] = e;
                }
                if (Log) { // (x - max) - log(sum): exact for large x, unlike x - (max + log(sum))
                    const T logSum = std::log(sum);
                    for (int64_t k = 0; k < b.axis; ++k)
                        ys[k * b.inner] = (xs[k * b.inner] - maxValue) - logSum;
                } else {
                    const T inv = T(1) / sum;
                    for (int64_t k = 0; k < b.axis; ++k)
                        ys[k * b.inner] *= inv;
                }
            }
    });
}

OpCost fourOpsPerElement(const Node& node, const Graph& graph)
{
    OpCost cost; // max, subtract+exp, sum, scale
    cost.macs = 4 * numElements(graph.value(node.inputs[0]).shape);
    return cost;
}

// ReduceMean's axes: the `axes` attribute (opset <= 17) or the optional input 1 (opset 18).
// Empty means all axes, or none with noop_with_empty_axes. Not yet normalized.
std::vector<int64_t> reduceAxes(const Node& node, const Tensor* axesInput, int64_t rank)
{
    std::vector<int64_t> axes = axesInput ? axesInput->toInt64Vector() : attrOf<std::vector<int64_t>>(node, "axes");
    if (axes.empty() && attrOf<int64_t>(node, "noop_with_empty_axes") == 0)
        for (int64_t d = 0; d < rank; ++d)
            axes.push_back(d);
    return axes;
}

void reduceMeanShape(InferContext& ctx)
{
    const Tensor* axesInput = ctx.hasInput(1) ? &ctx.requireConst(1, "axes") : nullptr;
    std::vector<int64_t> axes = ops::normalizeAxes(ctx, reduceAxes(ctx.node(), axesInput, ctx.inRank(0)), ctx.inRank(0));
    const bool keep = attrOf<int64_t>(ctx.node(), "keepdims") != 0;
    Shape out;
    for (int64_t d = 0; d < ctx.inRank(0); ++d) {
        bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
        if (!reduced)
            out.push_back(ctx.inShape(0)[d]);
        else if (keep)
            out.push_back(1);
    }
    ops::dispatchFloat(ctx.inType(0), ctx.node(), [](auto) {});
    ctx.setOutput(0, ctx.inType(0), out);
}

// Sums each input element into its output slot (the input shape with reduced axes set to
// 1, whose row-major order is the output's with or without keepdims), in double.
void reduceMeanKernel(KernelContext& ctx)
{
    const Shape& in = ctx.in(0).shape();
    const int64_t rank = static_cast<int64_t>(in.size());
    Shape kept = in;
    for (int64_t a : reduceAxes(ctx.node(), ctx.hasInput(1) ? &ctx.in(1) : nullptr, rank))
        kept[ops::normalizeAxis(a, rank)] = 1;
    const int64_t outCount = ctx.out(0).numel();
    const int64_t inCount = ctx.in(0).numel();
    ops::dispatchFloat(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
        using T = decltype(tag);
        std::vector<double> acc(static_cast<size_t>(outCount), 0.0);
        const T* x = ctx.in(0).data<T>();
        ops::forEachBroadcastRun(kept, in, in, [&](int64_t, int64_t io, int64_t accStep, int64_t ii, int64_t, int64_t n) {
            if (accStep) {
                for (int64_t i = 0; i < n; ++i)
                    acc[io + i] += x[ii + i];
            } else { // a run of reduced elements: sum it first
                double sum = 0;
                for (int64_t i = 0; i < n; ++i)
                    sum += x[ii + i];
                acc[io] += sum;
            }
        });
        const double scale = inCount ? static_cast<double>(outCount) / static_cast<double>(inCount) : 0.0;
        T* y = ctx.out(0).mutableData<T>();
        for (int64_t i = 0; i < outCount; ++i)
            y[i] = static_cast<T>(acc[i] * scale);
    });
}

} // namespace

void registerReduceOps(OpRegistry& r)
{
    r.add("Softmax")
        .doc("e^x / sum(e^x) along `axis` (default -1, opset 13). With attribute onnx_opset < 13 (set by the "
             "importer) the input is coerced to 2D at `axis` (default 1). Quantized: keep-float.")
        .attr("axis", int64_t(-1))
        .inferShape(softmaxShape)
        .kernel(softmaxKernel<false>)
        .cost(fourOpsPerElement)
        .quantPolicy(QuantPolicy::KeepFloat);
    r.add("LogSoftmax")
        .doc("x - log(sum(e^x)) along `axis`, same axis rules as Softmax. Quantized: keep-float.")
        .attr("axis", int64_t(-1))
        .inferShape(softmaxShape)
        .kernel(softmaxKernel<true>)
        .cost(fourOpsPerElement)
        .quantPolicy(QuantPolicy::KeepFloat);
    r.add("ReduceMean")
        .doc("Mean over `axes` (attribute, or the optional constant input 1 in opset 18; empty: all axes, or "
             "none when noop_with_empty_axes=1); keepdims keeps reduced axes as 1. Quantized: requantize.")
        .numInputs(1, 2)
        .attr("axes", std::vector<int64_t>{})
        .attr("keepdims", int64_t(1))
        .attr("noop_with_empty_axes", int64_t(0))
        .inferShape(reduceMeanShape)
        .kernel(reduceMeanKernel)
        .cost([](const Node& node, const Graph& graph) {
            OpCost cost;
            cost.macs = numElements(graph.value(node.inputs[0]).shape);
            return cost;
        })
        .quantPolicy(QuantPolicy::Requantize);
}

} // namespace tessera

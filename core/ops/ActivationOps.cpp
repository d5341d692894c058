// Pointwise activation functions. Piecewise-linear ones run on codes (share-scale or
// requantize); smooth ones (Sigmoid, Tanh) are kept in float on the vector engine.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera {

namespace {

void registerRelus(OpRegistry& r)
{
    r.add("Relu")
        .doc("max(x, 0), any numeric type. Quantized: share-scale (clamping keeps the input's scale).")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            ops::mapNumeric(ctx, [](auto x) { return x > decltype(x)(0) ? x : decltype(x)(0); });
        })
        .quantPolicy(QuantPolicy::ShareScale)
        .scalePassing(ScalePassing::Elementwise)
        .fusesAs([](const Graph&, const Node&, Attributes& layerAttrs) {
            layerAttrs.set("fused_activation", std::string("Relu"));
            return true;
        });

    r.add("LeakyRelu")
        .doc("x >= 0 ? x : alpha * x. Quantized: requantize.")
        .attr("alpha", 0.01f, "slope for negative inputs")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            const float alpha = attrOf<float>(ctx.node(), "alpha");
            ops::mapFloat(ctx, [alpha](auto x) { return x >= 0 ? x : alpha * x; });
        })
        .quantPolicy(QuantPolicy::Requantize);

    r.add("PRelu")
        .doc("x >= 0 ? x : slope * x, slope broadcast to x (per-channel slopes have shape [C,1,1]). "
             "Quantized: requantize.")
        .numInputs(2)
        .inferShape([](InferContext& ctx) {
            if (ops::broadcastShapes(ctx, ctx.inShape(0), ctx.inShape(1)) != ctx.inShape(0))
                ctx.fail(strCat("slope ", shapeToString(ctx.inShape(1)), " does not broadcast to input ",
                                shapeToString(ctx.inShape(0))));
            if (ctx.inType(0) != ctx.inType(1))
                ctx.fail("input and slope types differ");
            ctx.setOutput(0, ctx.inType(0), ctx.inShape(0));
        })
        .kernel([](KernelContext& ctx) {
            ops::dispatchFloat(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
                using T = decltype(tag);
                ops::broadcastBinary(ctx.in(0).data<T>(), ctx.in(0).shape(), ctx.in(1).data<T>(), ctx.in(1).shape(),
                                     ctx.out(0).mutableData<T>(), ctx.out(0).shape(),
                                     [](T x, T slope) { return x >= 0 ? x : slope * x; });
            });
        })
        .quantPolicy(QuantPolicy::Requantize);
}

// Clip's bound from input `i` (opset 11+) or, for graphs that kept the opset-6 form,
// the attribute; false when the bound is computed at run time.
bool clipBound(const Graph& graph, const Node& clip, size_t i, const char* attr, float& bound)
{
    if (clip.hasInput(i)) {
        const Value& v = graph.value(clip.inputs[i]);
        if (!v.isConstant() || v.constant.numel() != 1)
            return false;
        bound = static_cast<float>(v.constant.valueAsDouble(0));
    } else if (clip.attrs.has(attr)) {
        bound = clip.attrs.getFloat(attr, bound);
    }
    return true;
}

bool fuseClip(const Graph& graph, const Node& clip, Attributes& layerAttrs)
{
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
    if (!clipBound(graph, clip, 1, "min", lo) || !clipBound(graph, clip, 2, "max", hi))
        return false;
    layerAttrs.set("fused_activation", std::string("Clip"));
    layerAttrs.set("fused_min", lo);
    layerAttrs.set("fused_max", hi);
    return true;
}

void registerClip(OpRegistry& r)
{
    r.add("Clip")
        .doc("min(max(x, min), max) with optional scalar inputs min and max (absent: no bound); any numeric "
             "type. Quantized: share-scale (ReLU6 and friends keep the input's scale).")
        .numInputs(1, 3)
        .inferShape([](InferContext& ctx) {
            for (size_t i = 1; i < 3; ++i)
                if (ctx.hasInput(i) && (numElements(ctx.inShape(i)) != 1 || ctx.inType(i) != ctx.inType(0)))
                    ctx.fail(strCat(i == 1 ? "min" : "max", " must be a scalar of the input's type"));
            ctx.setOutput(0, ctx.inType(0), ctx.inShape(0));
        })
        .kernel([](KernelContext& ctx) {
            ops::dispatchNumeric(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
                using T = decltype(tag);
                const T lo = ctx.hasInput(1) ? ctx.in(1).data<T>()[0] : std::numeric_limits<T>::lowest();
                const T hi = ctx.hasInput(2) ? ctx.in(2).data<T>()[0] : std::numeric_limits<T>::max();
                ops::mapNumeric(ctx, [lo, hi](auto x) { return std::min<decltype(x)>(std::max<decltype(x)>(x, lo), hi); });
            });
        })
        .quantPolicy(QuantPolicy::ShareScale)
        .fusesAs(fuseClip);
}

void registerSmooth(OpRegistry& r)
{
    r.add("Sigmoid")
        .doc("1 / (1 + e^-x). Quantized: keep-float.")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            ops::mapFloat(ctx, [](auto x) {
                using T = decltype(x);
                // Split by sign so e^-x never overflows to inf/inf.
                return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
            });
        })
        .quantPolicy(QuantPolicy::KeepFloat);

    r.add("Tanh")
        .doc("tanh(x). Quantized: keep-float.")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) { ops::mapFloat(ctx, [](auto x) { return std::tanh(x); }); })
        .quantPolicy(QuantPolicy::KeepFloat);

    r.add("HardSigmoid")
        .doc("max(0, min(1, alpha * x + beta)). Quantized: requantize (piecewise linear).")
        .attr("alpha", 0.2f)
        .attr("beta", 0.5f)
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            const float alpha = attrOf<float>(ctx.node(), "alpha");
            const float beta = attrOf<float>(ctx.node(), "beta");
            ops::mapFloat(ctx, [alpha, beta](auto x) {
                using T = decltype(x);
                return std::max(T(0), std::min(T(1), static_cast<T>(alpha * x + beta)));
            });
        })
        .quantPolicy(QuantPolicy::Requantize);

    r.add("HardSwish")
        .doc("x * max(0, min(1, x / 6 + 1 / 2)). Quantized: requantize (piecewise quadratic, cheap on codes).")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            ops::mapFloat(ctx, [](auto x) {
                using T = decltype(x);
                return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5)));
            });
        })
        .quantPolicy(QuantPolicy::Requantize);
}

} // namespace

void registerActivationOps(OpRegistry& r)
{
    registerRelus(r);
    registerClip(r);
    registerSmooth(r);
}

} // namespace tessera

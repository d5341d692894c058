// ONNX's quantization operators, so QDQ models (Tessera's own QDQ export, quant/QdqExport.h,
// and third-party ones) import and run in the FP32 reference executor:
// QuantizeLinear / DequantizeLinear (opset 13: per-tensor or per-axis scales) and Round.
// Rounding and saturation are core/analog/Numerics.h's, which follow ONNX's rule
// (round half to even, then saturate to the integer type).
#include "core/Error.h"
#include "core/analog/Numerics.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <cmath>
#include <limits>

namespace tessera {

namespace {

// Checks a scale / zero-point input: a scalar (per tensor) or a 1-D tensor of the
// quantized axis' length (per axis). Returns the normalized axis, or -1 per tensor.
int64_t checkQuantParam(const InferContext& ctx, size_t i, const char* what)
{
    const Shape& s = ctx.inShape(i);
    const int64_t rank = ctx.inRank(0);
    if (s.empty())
        return -1;
    if (s.size() != 1)
        ctx.fail(strCat(what, " must be a scalar or 1-D, got shape ", shapeToString(s)));
    const int64_t axis = ops::normalizeAxis(ctx, attrOf<int64_t>(ctx.node(), "axis"), rank);
    if (s[0] != ctx.inShape(0)[axis])
        ctx.fail(strCat(what, " has ", s[0], " entries for axis ", axis, " of length ", ctx.inShape(0)[axis]));
    return axis;
}

void checkScaleAndZeroPoint(const InferContext& ctx, DType codeType)
{
    if (ctx.inType(1) != DType::Float32)
        ctx.fail(strCat("scale must be float32, got ", dtypeName(ctx.inType(1))));
    const int64_t scaleAxis = checkQuantParam(ctx, 1, "scale");
    if (!ctx.hasInput(2))
        return;
    if (ctx.inType(2) != codeType)
        ctx.fail(strCat("zero point is ", dtypeName(ctx.inType(2)), ", expected ", dtypeName(codeType)));
    if (checkQuantParam(ctx, 2, "zero point") != scaleAxis || ctx.inShape(2) != ctx.inShape(1))
        ctx.fail("zero point and scale must have the same shape");
}

// Calls fn(element index range [begin, end), scale, zero point) per slice that shares one
// scale: the whole tensor (per tensor) or each index of the quantized axis (per axis).
template <class Z, class Fn> void forEachScaleSlice(const KernelContext& ctx, Fn&& fn)
{
    const Tensor& x = ctx.in(0);
    const Tensor& scale = ctx.in(1);
    const float* s = scale.data<float>();
    const Z* zp = ctx.hasInput(2) ? ctx.in(2).data<Z>() : nullptr;
    if (scale.rank() == 0) {
        fn(int64_t(0), x.numel(), s[0], zp ? zp[0] : Z(0));
        return;
    }
    const int64_t axis = ops::normalizeAxis(attrOf<int64_t>(ctx.node(), "axis"), x.rank());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
        outer *= x.dim(d);
    for (int64_t d = axis + 1; d < x.rank(); ++d)
        inner *= x.dim(d);
    const int64_t channels = x.dim(axis);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < channels; ++c) {
            const int64_t begin = (o * channels + c) * inner;
            fn(begin, begin + inner, s[c], zp ? zp[c] : Z(0));
        }
}

template <class Q> void quantizeKernel(KernelContext& ctx)
{
    const float* x = ctx.in(0).data<float>();
    Q* y = ctx.out(0).mutableData<Q>();
    const int64_t lo = std::numeric_limits<Q>::lowest(), hi = std::numeric_limits<Q>::max();
    forEachScaleSlice<Q>(ctx, [&](int64_t begin, int64_t end, float scale, Q zp) {
        for (int64_t i = begin; i < end; ++i) // x / scale in float, as ONNX Runtime computes it
            y[i] = static_cast<Q>(analog::saturate(analog::roundHalfEven(x[i] / scale) + zp, lo, hi));
    });
}

template <class Q> void dequantizeKernel(KernelContext& ctx)
{
    const Q* x = ctx.in(0).data<Q>();
    float* y = ctx.out(0).mutableData<float>();
    forEachScaleSlice<Q>(ctx, [&](int64_t begin, int64_t end, float scale, Q zp) {
        for (int64_t i = begin; i < end; ++i)
            y[i] = static_cast<float>(static_cast<int64_t>(x[i]) - zp) * scale;
    });
}

void registerQuantizeLinear(OpRegistry& r)
{
    r.add("QuantizeLinear")
        .doc("y = saturate(round_half_even(x / scale) + zero_point) to int8 or uint8 (the zero point's type; "
             "uint8 without one). Scale and zero point: scalars (per tensor) or 1-D along `axis` (per axis). "
             "Quantized: shape-only (its output is already integer codes).")
        .numInputs(2, 3)
        .attr("axis", int64_t(1), "the per-axis dimension (1-D scale)")
        .inferShape([](InferContext& ctx) {
            if (ctx.inType(0) != DType::Float32)
                ctx.fail(strCat("input must be float32, got ", dtypeName(ctx.inType(0))));
            const DType codeType = ctx.hasInput(2) ? ctx.inType(2) : DType::UInt8;
            if (codeType != DType::Int8 && codeType != DType::UInt8)
                ctx.fail(strCat("zero point must be int8 or uint8, got ", dtypeName(codeType)));
            checkScaleAndZeroPoint(ctx, codeType);
            ctx.setOutput(0, codeType, ctx.inShape(0));
        })
        .kernel([](KernelContext& ctx) {
            if (ctx.out(0).dtype() == DType::Int8)
                quantizeKernel<int8_t>(ctx);
            else
                quantizeKernel<uint8_t>(ctx);
        })
        .quantPolicy(QuantPolicy::ShapeOnly);
}

void registerDequantizeLinear(OpRegistry& r)
{
    r.add("DequantizeLinear")
        .doc("y = (x - zero_point) * scale from int8, uint8 or int32 codes (int32: zero point 0, e.g. a bias). "
             "Scale and zero point: scalars (per tensor) or 1-D along `axis` (per axis).")
        .numInputs(2, 3)
        .attr("axis", int64_t(1), "the per-axis dimension (1-D scale)")
        .inferShape([](InferContext& ctx) {
            const DType codeType = ctx.inType(0);
            if (codeType != DType::Int8 && codeType != DType::UInt8 && codeType != DType::Int32)
                ctx.fail(strCat("input must be int8, uint8 or int32, got ", dtypeName(codeType)));
            checkScaleAndZeroPoint(ctx, codeType);
            ctx.setOutput(0, DType::Float32, ctx.inShape(0));
        })
        .kernel([](KernelContext& ctx) {
            const DType type = ctx.in(0).dtype();
            if (type == DType::Int8)
                dequantizeKernel<int8_t>(ctx);
            else if (type == DType::UInt8)
                dequantizeKernel<uint8_t>(ctx);
            else
                dequantizeKernel<int32_t>(ctx);
        });
}

} // namespace

void registerQuantOps(OpRegistry& r)
{
    registerQuantizeLinear(r);
    registerDequantizeLinear(r);
    r.add("Round")
        .doc("Nearest integer, ties to even (ONNX Round). Quantized: share-scale.")
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) {
            ops::mapFloat(ctx, [](auto x) { // NaN and inf stay as they are
                return std::isfinite(x) ? static_cast<decltype(x)>(analog::roundHalfEven(x)) : x;
            });
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

} // namespace tessera

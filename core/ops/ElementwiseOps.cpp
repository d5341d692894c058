// Arithmetic on tensors, element by element with numpy broadcasting, plus the
// pass-through ops (Identity, Dropout at inference) and Cast.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace tessera {

namespace {

void binaryShape(InferContext& ctx)
{
    if (ctx.inType(0) != ctx.inType(1))
        ctx.fail(strCat("input types differ: ", dtypeName(ctx.inType(0)), " vs ", dtypeName(ctx.inType(1))));
    ctx.setOutput(0, ctx.inType(0), ops::broadcastShapes(ctx, ctx.inShape(0), ctx.inShape(1)));
}

// out = fn(a, b) with broadcasting; A, B, Out may differ (Pow's exponent type).
template <class A, class B, class Out, class Fn> void binaryLoop(KernelContext& ctx, Fn fn)
{
    ops::broadcastBinary(ctx.in(0).data<A>(), ctx.in(0).shape(), ctx.in(1).data<B>(), ctx.in(1).shape(),
                         ctx.out(0).mutableData<Out>(), ctx.out(0).shape(), fn);
}

// Registers a binary op computing fn on every numeric type (int64 for shape arithmetic).
template <class Fn> void addBinary(OpRegistry& r, const char* name, const std::string& doc, Fn fn)
{
    r.add(name).doc(doc).numInputs(2).inferShape(binaryShape).kernel([fn](KernelContext& ctx) {
        ops::dispatchNumeric(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
            using T = decltype(tag);
            binaryLoop<T, T, T>(ctx, fn);
        });
    });
}

void registerArithmetic(OpRegistry& r)
{
    const char* requant = " Quantized: requantize (the result gets its own calibrated scale).";
    addBinary(r, "Add", strCat("a + b (broadcasting).", requant), [](auto a, auto b) { return a + b; });
    addBinary(r, "Sub", strCat("a - b (broadcasting).", requant), [](auto a, auto b) { return a - b; });
    addBinary(r, "Mul", strCat("a * b (broadcasting; integers wrap around).", requant), [](auto a, auto b) {
        using T = decltype(a * b);
        if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) // wrap instead of signed-overflow UB
            return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) * static_cast<std::make_unsigned_t<T>>(b));
        else
            return a * b;
    });
    const std::string divDoc = strCat("a / b (broadcasting; integer division truncates, x/0 = 0 for integers).", requant);
    addBinary(r, "Div", divDoc, [](auto a, auto b) {
        using T = decltype(a + b);
        if constexpr (std::is_integral_v<T>)
            return b == 0 ? T(0) : static_cast<T>(a / b);
        else
            return a / b;
    });

    r.add("Pow")
        .doc("x ^ y (broadcasting); the exponent may have another numeric type than x. Quantized: keep-float "
             "(a power is not linear in the scale).")
        .numInputs(2)
        .inferShape([](InferContext& ctx) {
            ctx.setOutput(0, ctx.inType(0), ops::broadcastShapes(ctx, ctx.inShape(0), ctx.inShape(1)));
        })
        .kernel([](KernelContext& ctx) {
            ops::dispatchNumeric(ctx.in(0).dtype(), ctx.node(), [&](auto xTag) {
                using X = decltype(xTag);
                ops::dispatchNumeric(ctx.in(1).dtype(), ctx.node(), [&](auto yTag) {
                    using Y = decltype(yTag);
                    if constexpr (std::is_same_v<X, float> && std::is_same_v<Y, float>)
                        binaryLoop<X, Y, X>(ctx, [](float x, float y) { return std::pow(x, y); });
                    else
                        binaryLoop<X, Y, X>(ctx, [](X x, Y y) {
                            return std::pow(static_cast<double>(x), static_cast<double>(y));
                        });
                });
            });
        })
        .quantPolicy(QuantPolicy::KeepFloat);
}

void registerUnaryMath(OpRegistry& r)
{
    const char* keep = " Quantized: keep-float (nonlinear, computed in higher precision).";
    r.add("Sqrt").doc(strCat("sqrt(x).", keep)).inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) { ops::mapFloat(ctx, [](auto x) { return std::sqrt(x); }); })
        .quantPolicy(QuantPolicy::KeepFloat);
    r.add("Exp").doc(strCat("e^x.", keep)).inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) { ops::mapFloat(ctx, [](auto x) { return std::exp(x); }); })
        .quantPolicy(QuantPolicy::KeepFloat);
    r.add("Erf").doc(strCat("Gauss error function erf(x) (GELU's building block).", keep))
        .inferShape(ops::sameAsInput0)
        .kernel([](KernelContext& ctx) { ops::mapFloat(ctx, [](auto x) { return std::erf(x); }); })
        .quantPolicy(QuantPolicy::KeepFloat);
}

void registerPassThrough(OpRegistry& r)
{
    r.add("Identity")
        .doc("y = x. Free data movement; quantized: share-scale.")
        .inferShape(ops::sameAsInput0)
        .kernel(ops::copyInput0)
        .placement(ops::freeDataMovement)
        .cost(ops::noArithmetic)
        .forwardsInput()
        .quantPolicy(QuantPolicy::ShareScale);

    r.add("Dropout")
        .doc("Inference only: y = x; the optional mask output is all true. Inputs ratio and training_mode "
             "are optional; training_mode known to be true is refused. Free data movement; share-scale.")
        .numInputs(1, 3)
        .numOutputs(1, 2)
        .attr("seed", int64_t(0), "ignored at inference")
        .inferShape([](InferContext& ctx) {
            if (const Tensor* training = ctx.hasInput(2) ? ctx.inConst(2) : nullptr)
                if (training->numel() == 1 && training->valueAsInt(0) != 0)
                    ctx.fail("training_mode = true is not supported (Tessera runs inference only)");
            if (ctx.hasInput(2) && !ctx.inConst(2))
                ctx.fail("training_mode must be a constant (Tessera runs inference only)");
            ctx.setOutput(0, ctx.inType(0), ctx.inShape(0));
            if (ctx.numOutputs() > 1)
                ctx.setOutput(1, DType::Bool, ctx.inShape(0));
        })
        .kernel([](KernelContext& ctx) {
            ops::copyInput0(ctx);
            if (ctx.numOutputs() > 1 && ctx.out(1).isValid())
                std::memset(ctx.out(1).mutableRawData(), 1, ctx.out(1).byteSize());
        })
        .placement(ops::freeDataMovement)
        .cost(ops::noArithmetic)
        .forwardsInput()
        .quantPolicy(QuantPolicy::ShareScale);
}

// Writes read(i) for every element into output 0, converted to its dtype.
template <class Read> void castInto(KernelContext& ctx, Read read)
{
    const int64_t n = ctx.out(0).numel();
    if (ctx.out(0).dtype() == DType::Float16) {
        uint16_t* y = static_cast<uint16_t*>(ctx.out(0).mutableRawData());
        for (int64_t i = 0; i < n; ++i)
            y[i] = ops::floatToHalf(static_cast<float>(read(i)));
        return;
    }
    ops::dispatchAnyType(ctx.out(0).dtype(), ctx.node(), [&](auto outTag) {
        using Out = decltype(outTag);
        Out* y = ctx.out(0).mutableData<Out>();
        for (int64_t i = 0; i < n; ++i)
            y[i] = static_cast<Out>(read(i));
    });
}

void castKernel(KernelContext& ctx)
{
    if (ctx.in(0).dtype() == DType::Float16) {
        const uint16_t* x = static_cast<const uint16_t*>(ctx.in(0).rawData());
        castInto(ctx, [x](int64_t i) { return ops::halfToFloat(x[i]); });
        return;
    }
    ops::dispatchAnyType(ctx.in(0).dtype(), ctx.node(), [&](auto inTag) {
        using In = decltype(inTag);
        const In* x = ctx.in(0).data<In>();
        castInto(ctx, [x](int64_t i) { return x[i]; });
    });
}

void registerCast(OpRegistry& r)
{
    r.add("Cast")
        .doc("Converts the element type to `to` (ONNX TensorProto code) among the Tensor dtypes: float16/32/64, "
             "int8..64, uint8, bool. Float to int truncates toward zero, nonzero to bool is true, float16 rounds "
             "to nearest even. Mostly found in shape arithmetic, so quantized as shape-only.")
        .attr("to", int64_t(1), "ONNX TensorProto.DataType code of the output")
        .inferShape([](InferContext& ctx) {
            if (!ctx.attrs().has("to"))
                ctx.fail("attribute 'to' is required");
            DType to = DType::Undefined;
            try {
                to = ops::dtypeFromOnnxCode(attrOf<int64_t>(ctx.node(), "to"));
            } catch (const Error& e) {
                ctx.fail(e.what());
            }
            ctx.setOutput(0, to, ctx.inShape(0));
        })
        .kernel(castKernel)
        .quantPolicy(QuantPolicy::ShapeOnly);
}

} // namespace

void registerElementwiseOps(OpRegistry& r)
{
    registerArithmetic(r);
    registerUnaryMath(r);
    registerPassThrough(r);
    registerCast(r);
}

} // namespace tessera

// Arithmetic on tensors, element by element with numpy broadcasting.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <cmath>

namespace tessera {

namespace {

void binaryShape(InferContext& ctx)
{
    if (ctx.inType(0) != ctx.inType(1))
        ctx.fail(strCat("input types differ: ", dtypeName(ctx.inType(0)), " vs ", dtypeName(ctx.inType(1))));
    ctx.setOutput(0, ctx.inType(0), ops::broadcastShapes(ctx, ctx.inShape(0), ctx.inShape(1)));
}

template <class T, class Fn> void binaryLoop(KernelContext& ctx, Fn fn)
{
    const T* a = ctx.in(0).data<T>();
    const T* b = ctx.in(1).data<T>();
    T* out = ctx.out(0).mutableData<T>();
    const Shape& sa = ctx.in(0).shape();
    const Shape& sb = ctx.in(1).shape();
    const Shape& so = ctx.out(0).shape();
    if (sa == so && numElements(sb) == 1) { // the common "tensor op scalar" case
        const T s = b[0];
        for (int64_t i = 0, n = numElements(so); i < n; ++i)
            out[i] = fn(a[i], s);
        return;
    }
    ops::forEachBroadcast(sa, sb, so, [&](int64_t o, int64_t ia, int64_t ib) { out[o] = fn(a[ia], b[ib]); });
}

// Registers a binary op computing fn on float32, and on int64/int32 for shape arithmetic.
template <class Fn> void addBinary(OpRegistry& r, const char* name, const char* doc, Fn fn)
{
    r.add(name).doc(doc).numInputs(2).inferShape(binaryShape).kernel([fn](KernelContext& ctx) {
        switch (ctx.in(0).dtype()) {
        case DType::Float32: binaryLoop<float>(ctx, fn); break;
        case DType::Float64: binaryLoop<double>(ctx, fn); break;
        case DType::Int64: binaryLoop<int64_t>(ctx, fn); break;
        case DType::Int32: binaryLoop<int32_t>(ctx, fn); break;
        default: fail(describeNode(ctx.node()), ": element type ", dtypeName(ctx.in(0).dtype()), " is not supported");
        }
    });
}

} // namespace

void registerElementwiseOps(OpRegistry& r)
{
    addBinary(r, "Add", "a + b (broadcasting)", [](auto a, auto b) { return a + b; });
    addBinary(r, "Sub", "a - b (broadcasting)", [](auto a, auto b) { return a - b; });
    addBinary(r, "Mul", "a * b (broadcasting)", [](auto a, auto b) { return a * b; });
    addBinary(r, "Div", "a / b (broadcasting; integer division truncates)", [](auto a, auto b) {
        using T = decltype(a);
        if constexpr (std::is_integral_v<T>)
            return b == 0 ? T(0) : static_cast<T>(a / b);
        else
            return a / b;
    });
}

} // namespace tessera

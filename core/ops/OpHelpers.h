#pragma once
// Small shared pieces for op rows: axis handling, numpy broadcasting, common shape fns.
#include "core/DTypeDispatch.h"
#include "core/OpRegistry.h"

#include <cstdint>
#include <vector>

namespace tessera::ops {

// Maps a possibly negative axis into [0, rank); fails naming the node when out of range.
int64_t normalizeAxis(const InferContext& ctx, int64_t axis, int64_t rank);
inline int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// Numpy-style (multidirectional) broadcast of two shapes; nullopt-like failure via ctx.
Shape broadcastShapes(const InferContext& ctx, const Shape& a, const Shape& b);

// Row-major strides of `shape`.
std::vector<int64_t> stridesOf(const Shape& shape);

// For each output element index (row-major over `outShape`), the element index in an
// input of shape `inShape` under numpy broadcasting. Call per output element in order.
class BroadcastIndexer {
public:
    BroadcastIndexer(const Shape& inShape, const Shape& outShape);
    // Strides into the input for each output axis (0 where broadcast).
    const std::vector<int64_t>& strides() const { return m_strides; }

private:
    std::vector<int64_t> m_strides;
};

// Applies fn(out_index, a_index, b_index) over the broadcast of shapes a and b into out.
template <class Fn> void forEachBroadcast(const Shape& a, const Shape& b, const Shape& out, Fn&& fn)
{
    const int64_t n = numElements(out);
    if (a == out && b == out) {
        for (int64_t i = 0; i < n; ++i)
            fn(i, i, i);
        return;
    }
    BroadcastIndexer ia(a, out), ib(b, out);
    const size_t rank = out.size();
    std::vector<int64_t> counter(rank, 0);
    int64_t offA = 0, offB = 0;
    for (int64_t i = 0; i < n; ++i) {
        fn(i, offA, offB);
        for (size_t d = rank; d-- > 0;) {
            ++counter[d];
            offA += ia.strides()[d];
            offB += ib.strides()[d];
            if (counter[d] < out[d])
                break;
            offA -= ia.strides()[d] * out[d];
            offB -= ib.strides()[d] * out[d];
            counter[d] = 0;
        }
    }
}

// Like forEachBroadcast, but hands out contiguous runs so inner loops vectorize:
// fn(outOffset, aOffset, aStep, bOffset, bStep, count) covers `count` consecutive output
// elements; aStep/bStep are 1 (operand advances) or 0 (operand element is repeated).
// The run is the longest suffix of axes where both operands advance, or one repeats.
template <class Fn> void forEachBroadcastRun(const Shape& a, const Shape& b, const Shape& out, Fn&& fn)
{
    const size_t rank = out.size();
    auto dimOf = [rank](const Shape& s, size_t d) { return d < rank - s.size() ? int64_t(1) : s[d - (rank - s.size())]; };
    int kind = -1; // 0: both advance, 1: b repeats, 2: a repeats
    int64_t inner = 1;
    size_t split = rank;
    for (; split > 0; --split) {
        const int64_t o = out[split - 1], da = dimOf(a, split - 1), db = dimOf(b, split - 1);
        if (o == 1)
            continue;
        const int k = da == o && db == o ? 0 : da == o && db == 1 ? 1 : da == 1 && db == o ? 2 : -1;
        if (k < 0 || (kind >= 0 && k != kind))
            break;
        kind = k;
        inner *= o;
    }
    const int64_t aStep = kind == 2 ? 0 : 1, bStep = kind == 1 ? 0 : 1;
    Shape pa, pb, po(out.begin(), out.begin() + split);
    for (size_t d = 0; d < split; ++d) {
        pa.push_back(dimOf(a, d));
        pb.push_back(dimOf(b, d));
    }
    const int64_t aRun = aStep ? inner : 1, bRun = bStep ? inner : 1;
    forEachBroadcast(pa, pb, po, [&](int64_t o, int64_t ia, int64_t ib) {
        fn(o * inner, ia * aRun, aStep, ib * bRun, bStep, inner);
    });
}

// out[i] = fn(a[i], b[i]) under numpy broadcasting, with vectorizable inner loops.
template <class A, class B, class Out, class Fn>
void broadcastBinary(const A* a, const Shape& sa, const B* b, const Shape& sb, Out* out, const Shape& so, Fn&& fn)
{
    forEachBroadcastRun(sa, sb, so, [&](int64_t o, int64_t ia, int64_t as, int64_t ib, int64_t bs, int64_t n) {
        Out* y = out + o;
        const A* x = a + ia;
        const B* z = b + ib;
        if (as && bs)
            for (int64_t i = 0; i < n; ++i)
                y[i] = static_cast<Out>(fn(x[i], z[i]));
        else if (as)
            for (int64_t i = 0; i < n; ++i)
                y[i] = static_cast<Out>(fn(x[i], z[0]));
        else
            for (int64_t i = 0; i < n; ++i)
                y[i] = static_cast<Out>(fn(x[0], z[i]));
    });
}

// Shape fn: output 0 has input 0's dtype and shape.
void sameAsInput0(InferContext& ctx);

// An activation fused into a Conv/Gemm/ConvTranspose by the fusion pass, read from the
// node attributes "fused_activation" ("Relu" | "Clip"), "fused_min", "fused_max".
struct FusedActivation {
    enum class Kind { None, Relu, Clip } kind = Kind::None;
    float lo = 0.0f;
    float hi = 0.0f;
    static FusedActivation fromAttrs(const Attributes& attrs);
    void apply(float* data, int64_t count) const;
};


// Fails with "<node>: element type X is not supported".
[[noreturn]] void failUnsupportedType(const Node& node, DType type);

// Calls fn(T{}) with the C++ type of a numeric dtype (float, double, signed ints, uint8);
// fails naming the node for other types (bool, float16).
template <class Fn> void dispatchNumeric(DType type, const Node& node, Fn&& fn)
{
    dispatchDType<false>(type, fn, [&] { failUnsupportedType(node, type); });
}

// Like dispatchNumeric, also accepting bool.
template <class Fn> void dispatchAnyType(DType type, const Node& node, Fn&& fn)
{
    dispatchDType<true>(type, fn, [&] { failUnsupportedType(node, type); });
}

// Calls fn with float or double; fails naming the node for other types.
template <class Fn> void dispatchFloat(DType type, const Node& node, Fn&& fn)
{
    if (type == DType::Float32)
        fn(float{});
    else if (type == DType::Float64)
        fn(double{});
    else
        failUnsupportedType(node, type);
}

// Normalizes a list of axes into [0, rank) and fails on duplicates or out-of-range axes.
std::vector<int64_t> normalizeAxes(const InferContext& ctx, const std::vector<int64_t>& axes, int64_t rank);

// Copies a strided view of `src` into contiguous `dst` (row-major over outShape): output
// element (i0..in) reads src[srcOffset + sum(ik * srcStrides[k])], strides in elements and
// possibly negative or zero. Transpose, Slice, Split and Expand-like copies all reduce to it.
void stridedCopy(const void* src, void* dst, size_t elemSize, const Shape& outShape,
                 const std::vector<int64_t>& srcStrides, int64_t srcOffset);


// y = fn(x) element by element over input 0 into output 0 (same shape), for float types;
// fn is a generic lambda so it is instantiated (and inlined) per element type.
template <class Fn> void mapFloat(KernelContext& ctx, Fn&& fn)
{
    dispatchFloat(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
        using T = decltype(tag);
        const T* x = ctx.in(0).data<T>();
        T* y = ctx.out(0).mutableData<T>();
        for (int64_t i = 0, n = ctx.in(0).numel(); i < n; ++i)
            y[i] = static_cast<T>(fn(x[i]));
    });
}

// Same as mapFloat for every numeric type (Relu, Clip on int8...).
template <class Fn> void mapNumeric(KernelContext& ctx, Fn&& fn)
{
    dispatchNumeric(ctx.in(0).dtype(), ctx.node(), [&](auto tag) {
        using T = decltype(tag);
        const T* x = ctx.in(0).data<T>();
        T* y = ctx.out(0).mutableData<T>();
        for (int64_t i = 0, n = ctx.in(0).numel(); i < n; ++i)
            y[i] = static_cast<T>(fn(x[i]));
    });
}

// Placement of ops that only move or relabel data (Reshape, Shape, Identity...): they
// cost nothing on the device, the compiler turns them into addressing.
PlacementDecision freeDataMovement(const Node& node, const Graph& graph);
// Cost of such ops: no arithmetic.
OpCost noArithmetic(const Node& node, const Graph& graph);
// Copies input 0 to output 0 (same byte size), for Identity/Reshape-like kernels.
void copyInput0(KernelContext& ctx);

// The DType of an ONNX TensorProto.DataType code (Cast's `to`); fails for codes the
// Tensor type does not have (string, bfloat16, uint16/32/64, complex).
DType dtypeFromOnnxCode(int64_t code);

// IEEE binary16 bits (what Float16 tensors hold) <-> float; floatToHalf rounds to
// nearest even, overflows to inf and keeps NaN a NaN.
uint16_t floatToHalf(float value);
float halfToFloat(uint16_t bits);

} // namespace tessera::ops

#pragma once
// Small shared pieces for op rows: axis handling, numpy broadcasting, common shape fns.
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

} // namespace tessera::ops

#include "core/ops/OpHelpers.h"

#include "core/Error.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace tessera::ops {

int64_t normalizeAxis(const InferContext& ctx, int64_t axis, int64_t rank)
{
    if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
        ctx.fail(strCat("axis ", axis, " is out of range for rank ", rank));
    return axis < 0 ? axis + rank : axis;
}

Shape broadcastShapes(const InferContext& ctx, const Shape& a, const Shape& b)
{
    size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
        int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            ctx.fail(strCat("shapes ", shapeToString(a), " and ", shapeToString(b), " cannot be broadcast"));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

std::vector<int64_t> stridesOf(const Shape& shape)
{
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;)
        strides[i - 1] = strides[i] * shape[i];
    return strides;
}

BroadcastIndexer::BroadcastIndexer(const Shape& inShape, const Shape& outShape) : m_strides(outShape.size(), 0)
{
    std::vector<int64_t> inStrides = stridesOf(inShape);
    size_t offset = outShape.size() - inShape.size();
    for (size_t i = 0; i < inShape.size(); ++i)
        m_strides[i + offset] = inShape[i] == 1 ? 0 : inStrides[i];
}

void sameAsInput0(InferContext& ctx)
{
    ctx.setOutput(0, ctx.inType(0), ctx.inShape(0));
}

FusedActivation FusedActivation::fromAttrs(const Attributes& attrs)
{
    FusedActivation act;
    std::string kind = attrs.getString("fused_activation", "");
    if (kind == "Relu")
        act.kind = Kind::Relu;
    else if (kind == "Clip") {
        act.kind = Kind::Clip;
        act.lo = attrs.getFloat("fused_min", -std::numeric_limits<float>::infinity());
        act.hi = attrs.getFloat("fused_max", std::numeric_limits<float>::infinity());
    } else if (!kind.empty())
        fail("unknown fused activation '", kind, "'");
    return act;
}

void FusedActivation::apply(float* data, int64_t count) const
{
    if (kind == Kind::Relu)
        for (int64_t i = 0; i < count; ++i)
            data[i] = std::max(data[i], 0.0f);
    else if (kind == Kind::Clip)
        for (int64_t i = 0; i < count; ++i)
            data[i] = std::min(std::max(data[i], lo), hi);
}


void failUnsupportedType(const Node& node, DType type)
{
    fail(describeNode(node), ": element type ", dtypeName(type), " is not supported");
}

std::vector<int64_t> normalizeAxes(const InferContext& ctx, const std::vector<int64_t>& axes, int64_t rank)
{
    std::vector<int64_t> out;
    for (int64_t a : axes) {
        if (a < -rank || a >= rank)
            ctx.fail(strCat("axis ", a, " is out of range for rank ", rank));
        int64_t n = a < 0 ? a + rank : a;
        if (std::find(out.begin(), out.end(), n) != out.end())
            ctx.fail(strCat("axis ", a, " is listed twice"));
        out.push_back(n);
    }
    return out;
}

namespace {

// A copy whose output's inner axis is strided in the source while another axis p is
// contiguous there (a transpose): copy in square tiles of (p, inner) so the strided
// reads of one tile stay in cache.
template <class T>
void tiledTransposeCopy(const T* src, T* dst, const Shape& shape, const std::vector<int64_t>& strides, int64_t offset,
                        size_t p)
{
    constexpr int64_t kTile = 32;
    const size_t last = shape.size() - 1;
    const std::vector<int64_t> dstStrides = stridesOf(shape);
    const int64_t rowsP = shape[p], cols = shape[last], colStride = strides[last], dstP = dstStrides[p];
    std::vector<size_t> others;
    int64_t count = 1;
    for (size_t d = 0; d < last; ++d)
        if (d != p) {
            others.push_back(d);
            count *= shape[d];
        }
    std::vector<int64_t> counter(others.size(), 0);
    int64_t srcOff = offset, dstOff = 0;
    for (int64_t it = 0; it < count; ++it) {
        for (int64_t p0 = 0; p0 < rowsP; p0 += kTile)
            for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
                const int64_t p1 = std::min(rowsP, p0 + kTile), c1 = std::min(cols, c0 + kTile);
                // Contiguous reads, writes strided by the (small) output row: power-of-two
                // source strides would otherwise map a tile's reads onto one cache set.
                for (int64_t j = c0; j < c1; ++j) {
                    T* out = dst + dstOff + j;
                    const T* in = src + srcOff + j * colStride;
                    for (int64_t i = p0; i < p1; ++i)
                        out[i * dstP] = in[i];
                }
            }
        for (size_t k = others.size(); k-- > 0;) {
            const size_t d = others[k];
            srcOff += strides[d];
            dstOff += dstStrides[d];
            if (++counter[k] < shape[d])
                break;
            srcOff -= strides[d] * shape[d];
            dstOff -= dstStrides[d] * shape[d];
            counter[k] = 0;
        }
    }
}

template <class T>
void stridedCopyTyped(const T* src, T* dst, const Shape& shape, const std::vector<int64_t>& strides, int64_t offset)
{
    const size_t rank = shape.size();
    const int64_t inner = shape[rank - 1];
    const int64_t innerStride = strides[rank - 1];
    if (innerStride != 1 && inner >= 4)
        for (size_t p = 0; p + 1 < rank; ++p)
            if (strides[p] == 1 && shape[p] >= 4) {
                tiledTransposeCopy(src, dst, shape, strides, offset, p);
                return;
            }
    int64_t outer = 1;
    for (size_t d = 0; d + 1 < rank; ++d)
        outer *= shape[d];
    std::vector<int64_t> counter(rank, 0);
    for (int64_t o = 0; o < outer; ++o) {
        const T* s = src + offset;
        if (innerStride == 1)
            std::memcpy(dst, s, static_cast<size_t>(inner) * sizeof(T));
        else
            for (int64_t i = 0; i < inner; ++i)
                dst[i] = s[i * innerStride];
        dst += inner;
        for (size_t d = rank - 1; d-- > 0;) { // advance the odometer over the outer dims
            offset += strides[d];
            if (++counter[d] < shape[d])
                break;
            offset -= strides[d] * shape[d];
            counter[d] = 0;
        }
    }
}

} // namespace

void stridedCopy(const void* src, void* dst, size_t elemSize, const Shape& outShape,
                 const std::vector<int64_t>& srcStrides, int64_t srcOffset)
{
    if (numElements(outShape) == 0)
        return;
    // Drop size-1 dims and merge dims that are contiguous in the source: fewer, longer loops.
    Shape shape;
    std::vector<int64_t> strides;
    for (size_t d = 0; d < outShape.size(); ++d) {
        if (outShape[d] == 1)
            continue;
        if (!shape.empty() && strides.back() == srcStrides[d] * outShape[d]) {
            shape.back() *= outShape[d];
            strides.back() = srcStrides[d];
        } else {
            shape.push_back(outShape[d]);
            strides.push_back(srcStrides[d]);
        }
    }
    if (shape.empty()) {
        shape.push_back(1);
        strides.push_back(1);
    }
    switch (elemSize) {
    case 1: stridedCopyTyped(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), shape, strides, srcOffset); break;
    case 2: stridedCopyTyped(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst), shape, strides, srcOffset); break;
    case 4: stridedCopyTyped(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), shape, strides, srcOffset); break;
    case 8: stridedCopyTyped(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), shape, strides, srcOffset); break;
    default: assert(false && "unexpected element size");
    }
}


PlacementDecision freeDataMovement(const Node&, const Graph&)
{
    return {Placement::Digital, "free data movement: only relabels or forwards data, compiled into addressing"};
}

OpCost noArithmetic(const Node&, const Graph&)
{
    return {};
}

void copyInput0(KernelContext& ctx)
{
    assert(ctx.in(0).byteSize() == ctx.out(0).byteSize());
    if (ctx.in(0).byteSize() && ctx.in(0).rawData() != ctx.out(0).rawData())
        std::memcpy(ctx.out(0).mutableRawData(), ctx.in(0).rawData(), ctx.in(0).byteSize());
}

DType dtypeFromOnnxCode(int64_t code)
{
    switch (code) { // onnx.proto TensorProto.DataType
    case 1: return DType::Float32;
    case 2: return DType::UInt8;
    case 3: return DType::Int8;
    case 5: return DType::Int16;
    case 6: return DType::Int32;
    case 7: return DType::Int64;
    case 9: return DType::Bool;
    case 10: return DType::Float16;
    case 11: return DType::Float64;
    default: fail("ONNX element type code ", code, " is not supported (Tessera tensors are float16/32/64, int8..64, uint8, bool)");
    }
}

uint16_t floatToHalf(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000;
    const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff);
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff)
        return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
    const int32_t e = exp - 127 + 15;
    if (e >= 31)
        return static_cast<uint16_t>(sign | 0x7c00);
    uint32_t half, rem, mid;
    if (e <= 0) { // subnormal half (or zero)
        if (e < -10)
            return static_cast<uint16_t>(sign);
        mant |= 0x800000;
        const int shift = 14 - e;
        half = mant >> shift;
        rem = mant & ((1u << shift) - 1);
        mid = 1u << (shift - 1);
    } else {
        half = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
        rem = mant & 0x1fff;
        mid = 0x1000;
    }
    if (rem > mid || (rem == mid && (half & 1)))
        ++half; // a carry into the exponent is the correct rounding (up to inf)
    return static_cast<uint16_t>(sign | half);
}

float halfToFloat(uint16_t h)
{
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t x;
    if (exp == 0 && mant == 0) {
        x = sign;
    } else if (exp == 0) { // subnormal: normalize
        uint32_t e = 0;
        while (!(mant & 0x400)) {
            mant <<= 1;
            ++e;
        }
        x = sign | ((127 - 15 + 1 - e) << 23) | ((mant & 0x3ff) << 13);
    } else if (exp == 31) {
        x = sign | 0x7f800000 | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &x, sizeof f);
    return f;
}

} // namespace tessera::ops

#include "core/ops/OpHelpers.h"

#include "core/Error.h"

#include <algorithm>
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

} // namespace tessera::ops

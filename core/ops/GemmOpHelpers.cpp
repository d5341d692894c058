#include "core/ops/GemmOpHelpers.h"

#include "core/Error.h"

#include <limits>

namespace tessera::ops {

void requireFloat32(const InferContext& ctx, size_t input)
{
    if (ctx.hasInput(input) && ctx.inType(input) != DType::Float32)
        ctx.fail(strCat("input ", input, " has element type ", dtypeName(ctx.inType(input)),
                        "; only float32 is supported"));
}

int64_t constantElements(const Node& node, const Graph& graph, size_t input)
{
    if (!node.hasInput(input) || !graph.value(node.inputs[input]).isConstant())
        return 0;
    return numElements(graph.value(node.inputs[input]).shape);
}

void addFusedActivationAttrs(OpDef& op)
{
    op.attr("fused_activation", std::string(""), "set by the fusion pass: \"\", Relu or Clip")
        .attr("fused_min", -std::numeric_limits<float>::infinity(), "lower bound of a fused Clip")
        .attr("fused_max", std::numeric_limits<float>::infinity(), "upper bound of a fused Clip");
}

} // namespace tessera::ops

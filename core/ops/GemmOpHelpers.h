#pragma once
// Pieces shared by the rows of the compute-heavy FP32 families (Conv, ConvTranspose,
// Gemm, MatMul, pools, BatchNormalization).
#include "core/OpRegistry.h"

namespace tessera::ops {

// Fails naming the node when a present input `input` is not float32.
void requireFloat32(const InferContext& ctx, size_t input);

// Elements of input `input` when it is a constant (weights, bias), else 0.
int64_t constantElements(const Node& node, const Graph& graph, size_t input);

// Registers fused_activation / fused_min / fused_max, which the fusion pass sets on
// Conv, ConvTranspose, Gemm and MatMul (read back by FusedActivation::fromAttrs).
void addFusedActivationAttrs(OpDef& op);

} // namespace tessera::ops

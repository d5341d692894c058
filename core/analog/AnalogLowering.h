#pragma once
// How a graph node placed on an analog array maps onto the analog numeric model
// (AnalogModel.h): its weight matrix [N, K] (K rows per group), bias, fused activation,
// and the input-code matrix it feeds the array (im2col for Conv). Shared by the
// quantizer's reference executor, the compiler (array packing) and the simulator.
//
// Supported: Conv (any groups, 1-3 spatial dims), Gemm (constant B; C a per-column
// vector or scalar; alpha folded into the weights, beta into the bias), MatMul with a
// constant 2-D B. Other analog-placed nodes (ConvTranspose) are not lowered: callers
// treat them as digital (see docs/analog-model.md).
#include "core/Graph.h"
#include "core/analog/AnalogModel.h"

#include <string>
#include <vector>

namespace tessera::analog {

struct AnalogMatmulView {
    std::string nodeName;
    std::string opType;
    int64_t groups = 1;
    int64_t rows = 0;           // K: rows per group
    int64_t cols = 0;           // N: output columns (output channels)
    std::vector<float> weights; // [N, K] row-major
    std::vector<float> bias;    // N entries or empty
    double clampLo = -1e300;    // fused activation bounds (real units)
    double clampHi = 1e300;
};

// True when the node is placed on an analog array (registry placement + AnalogMatmul
// policy) and has a lowering here.
bool isLowerableAnalogNode(const Graph& graph, const Node& node);
// True when the registry places the node on an analog array (lowerable or not).
bool isAnalogPlaced(const Graph& graph, const Node& node);

// Throws tessera::Error naming the node when it cannot be lowered.
AnalogMatmulView lowerAnalogNode(const Graph& graph, const Node& node);

// The array's input-code matrix for a batch: [M, groups*K] row-major, from the node's
// input 0 given as integer codes (Int32 tensor of the input's shape). `m` receives M.
std::vector<int32_t> analogInputMatrix(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                                       const Tensor& inputCodes, int64_t& m);

// Scatters the array's output codes [M, N] into the node's output layout (Int32 tensor
// of the output's shape: NC... for Conv, [..., N] for Gemm/MatMul).
void scatterAnalogOutput(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                         const std::vector<int32_t>& y, Tensor& outputCodes);

// Input vectors the array processes for one run of the graph as shaped (use a batch-1
// graph for per-inference numbers): output pixels for Conv, rows of A for Gemm/MatMul.
int64_t vectorsPerRun(const Graph& graph, const Node& node, const AnalogMatmulView& view);

} // namespace tessera::analog

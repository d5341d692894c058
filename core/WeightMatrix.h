#pragma once
// The registry's weight-matrix column (OpDef::weightMatrix): how an op with a constant
// weight input maps onto an analog array's [N, K] matrix. One row per op (Conv,
// ConvTranspose, Gemm, MatMul, in core/ops/WeightMatrixOps.cpp); every stage that needs
// a layer's weights as a matrix (analog lowering, equalization, smoothing, BatchNorm
// folding, QDQ export) asks this column instead of comparing op names.
//
// The view: `cols` = N output columns (all groups), `rows` = K rows per group; column n
// belongs to group n / (N / groups) and reads rows [g K, (g + 1) K) of an input vector.
// Column n contributes to output channel n / colsPerOutChannel; row k of group g reads
// input channel g * (K / rowsPerInChannel) + k / rowsPerInChannel.
//
//   op             weight            [N, K]                         input vector  output
//   Conv           [Cout, Cin/G, k.] as stored (N = Cout)           im2col pixel  permute
//   Gemm           B [K,N] / [N,K]   alpha * B^T (transB: alpha*B)  row of A      permute
//   MatMul         B [K, N] 2-D      B^T                            row of A      permute
//   ConvTranspose  [Cin, Cout/G, k.] N = Cout k., K = Cin/G         input pixel   col2im sum
//
// ConvTranspose's columns are (output channel, kernel tap): the array yields, for one
// input pixel, every tap's contribution, and col2im adds the taps that land on the same
// output pixel. Those sums happen on the accumulators, before bias and requantization
// (OutputScatter::SumBeforeEpilogue; docs/analog-model.md, ConvTranspose).
#include "core/Graph.h"

#include <functional>
#include <string>
#include <vector>

namespace tessera {

// How the array's per-vector column results [M, N] become the node's output.
enum class OutputScatter {
    Permute,           // every output element is exactly one column result
    SumBeforeEpilogue, // several column results add into one output element (col2im)
};

// A node's weights as the array's matrix.
struct WeightMatrix {
    int64_t groups = 1;
    int64_t rows = 0;              // K: rows per group
    int64_t cols = 0;              // N: output columns (all groups)
    int64_t colsPerOutChannel = 1; // ConvTranspose: kernel taps; else 1
    int64_t rowsPerInChannel = 1;  // Conv: kernel taps; else 1
    OutputScatter scatter = OutputScatter::Permute;
    std::vector<float> weights; // [N, K] row-major
    std::vector<float> bias;    // one per output channel (cols / colsPerOutChannel), or empty

    int64_t outChannels() const { return cols / colsPerOutChannel; }
    int64_t inChannels() const { return groups * rows / rowsPerInChannel; }
    // Output channel of column n; input channel of row k of column n (`block` input
    // features per channel: a Gemm after Flatten of C x H x W has block H * W).
    int64_t outChannelOf(int64_t n) const { return n / colsPerOutChannel; }
    int64_t inChannelOf(int64_t n, int64_t k, int64_t block = 1) const
    {
        const int64_t perGroup = rows / rowsPerInChannel;
        return ((n / (cols / groups)) * perGroup + k / rowsPerInChannel) / block;
    }
};

// Output element index (in the node's output layout) of every column result [M, N], or -1
// where a result lands outside the output (ConvTranspose taps beyond the crop).
using ScatterMap = std::vector<int64_t>;

struct WeightMatrixDef {
    // Empty when the node lowers onto an array; otherwise why not (names no node: the
    // caller adds it).
    std::function<std::string(const Graph&, const Node&)> whyNotLowerable;
    // The [N, K] view and bias of a lowerable node.
    std::function<WeightMatrix(const Graph&, const Node&)> view;
    // The array's input vectors [M, groups * K] from the node's input 0 (any real or
    // integer-valued floats; padding reads 0). `m` receives M.
    std::function<std::vector<float>(const Graph&, const Node&, const WeightMatrix&, const Tensor& x, int64_t& m)>
        inputVectors;
    // Where each column result [M, N] goes in the output (see ScatterMap).
    std::function<ScatterMap(const Graph&, const Node&, const WeightMatrix&)> scatterMap;
    // The stored weight element (flat index into input 1) behind every view element:
    // view.weights[i] = factor * W[storedIndex[i]] (factor: Gemm's alpha, else 1).
    std::function<std::vector<int64_t>(const Graph&, const Node&, const WeightMatrix&)> storedIndex;
    // Axis of the stored weights along which the output channels run (the per-channel
    // quantization axis of an exported weight), or -1 when no single axis does.
    std::function<int64_t(const Node&)> storedOutAxis;
    // Attributes the view folds in (Gemm's alpha, beta), with the value that makes them
    // neutral once the weights/bias carry them.
    Attributes foldedAttrs;
    // Writes a modified view (weights and bias) back into the node as new constants, so
    // that the node computes what the view describes.
    std::function<void(Graph&, NodeId, const WeightMatrix&)> writeBack;
    // Axis of the node's input 0 and output 0 holding the channels (1: NC...; -1: the last).
    int64_t channelAxis = 1;
};

// The column of `node`'s op, or null when the op has none.
const WeightMatrixDef* weightMatrixDef(const Node& node);

// Empty when `node` lowers onto an array; otherwise why not (also for ops without the
// column and for weights that are not constants).
std::string whyNotLowerable(const Graph& graph, const Node& node);

// The view of a lowerable node; throws tessera::Error naming the node otherwise.
WeightMatrix weightMatrixOf(const Graph& graph, const Node& node);

// Writes `view` back into the node (see WeightMatrixDef::writeBack).
void writeWeightMatrix(Graph& graph, NodeId node, const WeightMatrix& view);

// True when the node's input 0 and output 0 hold channels on axis 1 (NC...), false when on
// the last axis (and for ops without the column).
bool channelsFirst(const Node& node);

// Output channel / input channel (`block` as in WeightMatrix::inChannelOf) of every
// element of view.weights.
std::vector<int64_t> outChannelMap(const WeightMatrix& view);
std::vector<int64_t> inChannelMap(const WeightMatrix& view, int64_t block = 1);

// Per-column weight scales made equal within each output channel (the largest of its
// columns): columns summed before the epilogue (ConvTranspose taps) must share one scale
// for their integer accumulators to add. Unchanged when every column is its own channel.
std::vector<double> shareOutChannelScales(const WeightMatrix& view, std::vector<double> columnScales);

// Applies a scatter map: out[map[i]] += in[i] (out is not cleared).
template <class In, class Out> void scatterAdd(const ScatterMap& map, const In* in, Out* out)
{
    for (size_t i = 0; i < map.size(); ++i)
        if (map[i] >= 0)
            out[map[i]] += static_cast<Out>(in[i]);
}

} // namespace tessera

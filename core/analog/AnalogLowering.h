#pragma once
// How a graph node placed on an analog array maps onto the analog numeric model
// (AnalogModel.h): its weight matrix [N, K] (K rows per group), bias, fused activation,
// the input-code matrix it feeds the array, and how the array's results land in the
// node's output. Shared by the quantizer's reference executor, the compiler (array
// packing) and the simulator. Thin wrappers over the op registry's weight-matrix column
// (core/WeightMatrix.h), which defines the lowering of every op (Conv, ConvTranspose,
// Gemm, MatMul); docs/analog-model.md states the rules.
#include "core/Graph.h"
#include "core/WeightMatrix.h"
#include "core/analog/AnalogModel.h"

#include <optional>
#include <string>
#include <vector>

namespace tessera::analog {

// The registry's WeightMatrix (groups, rows = K, cols = N, weights [N, K], bias per
// output channel, scatter kind) plus the node and its fused activation.
struct AnalogMatmulView : WeightMatrix {
    std::string nodeName;
    std::string opType;
    double clampLo = -1e300; // fused activation bounds (real units)
    double clampHi = 1e300;
};

// True when the node is placed on an analog array (registry placement + AnalogMatmul
// policy); the registry places a node Analog only when its weight-matrix column lowers it,
// so this equals isAnalogPlaced.
bool isLowerableAnalogNode(const Graph& graph, const Node& node);
// True when the registry places the node on an analog array.
bool isAnalogPlaced(const Graph& graph, const Node& node);

// Throws tessera::Error naming the node when it cannot be lowered.
AnalogMatmulView lowerAnalogNode(const Graph& graph, const Node& node);

// The array's input-code matrix for a batch: [M, groups*K] row-major, from the node's
// input 0 given as integer codes (Int32 tensor of the input's shape). `m` receives M.
// Padding reads `padCode`: the input's zero point (a real 0; Numerics.h, offset coding).
std::vector<int32_t> analogInputMatrix(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                                       const Tensor& inputCodes, int64_t& m, int32_t padCode = 0);

// The input-code matrix of one run as a gather from input 0: matrix element e is input
// element map[e], or padding (code 0) where map[e] < 0, so that
// analogInputMatrix(codes)[e] == (map[e] < 0 ? 0 : codes[map[e]]) for any codes. Every
// lowering of the registry assembles vectors by copying input elements (im2col, transposes),
// so the map comes from lowering the element indices themselves; it is then checked against
// analogInputMatrix on a second input and is empty when the lowering is not such a gather or
// the input has 2^24 elements or more (indices exact in float). For executors that assemble
// the same layer's vectors many times (the simulator): gatherInputMatrix applies it.
std::vector<int32_t> analogInputGather(const Graph& graph, const Node& node, const AnalogMatmulView& view);
// The lowering of one sample of a batch, for executors that run a batch sample by sample
// without building the whole batch's input matrix (the quantized reference executor): when
// vector v of sample s reads only sample s's input elements and writes only sample s's
// output elements, at the same positions for every s, sample 0's gather map (as
// analogInputGather) and scatter map apply to sample s at input offset s * inputPerSample
// and output offset s * outputPerSample. Found by lowering two probes of the whole batch
// (within-sample element indices, then sample indices) and checked element by element;
// the scatter must write every output element of a sample exactly once.
struct SampleLowering {
    int64_t samples = 0;          // the batch: input and output dim 0
    int64_t vectorsPerSample = 0; // M / samples
    int64_t rowLength = 0;        // groups * K
    int64_t inputPerSample = 0;   // input elements per sample
    int64_t outputPerSample = 0;  // output elements per sample
    std::vector<int32_t> gather;  // [vectorsPerSample * rowLength], < 0: padding
    ScatterMap scatter;           // [vectorsPerSample * cols], within a sample's output
    // The scatter is a transposition: column c of vector v goes to c * vectorsPerSample + v
    // (a convolution's pixel-major results into its NC... output).
    bool transposes = false;
    // The gather is a transposition: element k of vector v is input element
    // k * vectorsPerSample + v (a 1x1 convolution of stride 1 reading its NC... input).
    bool gatherTransposes = false;
};
// Empty when the node's lowering has not that structure, sums columns before the epilogue
// (ConvTranspose), or a sample has 2^24 input elements or more (indices exact in float).
std::optional<SampleLowering> sampleLowering(const Graph& graph, const Node& node, const AnalogMatmulView& view);

// out[e] = map[e] < 0 ? padCode : codes[map[e]] for every e < map.size().
void gatherInputMatrix(const std::vector<int32_t>& map, const int32_t* codes, int32_t* out, int32_t padCode = 0);
// The same gather for codes of any element type (the simulator gathers the integer kernels'
// input bytes, kernels::InputBytes) into rows `stride` elements apart: row v, element r is
// map[v * rowLength + r] < 0 ? pad : codes[map[v * rowLength + r]] (pad: the code padding
// reads, the zero point's code under offset coding), and elements [rowLength, stride) of
// every row are `tail` (rows that do not exist: the code of 0). Branch free: padding reads element 0, then
// keeps `pad`.
template <class T>
void gatherInputRows(const std::vector<int32_t>& map, int64_t rowLength, const T* codes, T pad, T* out, int64_t stride,
                     T tail)
{
    const int64_t rows = rowLength > 0 ? static_cast<int64_t>(map.size()) / rowLength : 0;
    for (int64_t v = 0; v < rows; ++v) {
        const int32_t* m = map.data() + v * rowLength;
        T* o = out + v * stride;
        for (int64_t r = 0; r < rowLength; ++r) {
            const int32_t i = m[r];
            const T c = codes[i < 0 ? 0 : i];
            o[r] = i < 0 ? pad : c;
        }
        for (int64_t r = rowLength; r < stride; ++r)
            o[r] = tail;
    }
}

// Scatters the array's output codes [M, N] into the node's output layout (Int32 tensor
// of the output's shape: NC... for Conv, [..., N] for Gemm/MatMul). Only for views whose
// scatter is a permutation (view.scatter == OutputScatter::Permute); a ConvTranspose
// sums columns before its epilogue and throws here: use scatterAccumulators.
void scatterAnalogOutput(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                         const std::vector<int32_t>& y, Tensor& outputCodes);

// The accumulator form, valid for every view: `acc` holds the digital accumulators
// [M, N] of step 5 (docs/analog-model.md) WITHOUT bias; `outAcc` (numElements of the
// output, overwritten) receives their sums per output element, in the output's layout.
// The caller then adds the bias code of the element's output channel and runs the
// epilogue. For Permute views this is a permutation; for ConvTranspose the col2im sum.
void scatterAccumulators(const Graph& graph, const Node& node, const AnalogMatmulView& view, const int64_t* acc,
                         int64_t m, int64_t* outAcc);

// Views that sum columns before the epilogue (ConvTranspose): the bias code of every output
// channel c, roundHalfEven(bias[c] / (sx * sw[first column of c])) saturated to int32 (the
// channel's columns share one weight scale); 0 without bias. Such layers are programmed
// without bias: it joins after the col2im sum (docs/analog-model.md).
std::vector<int64_t> channelBiasCodes(const AnalogLayerParams& params, const WeightMatrix& view,
                                      const std::vector<float>& bias);

// Input vectors the array processes for one run of the graph as shaped (use a batch-1
// graph for per-inference numbers): output pixels for Conv, rows of A for Gemm/MatMul,
// input pixels for ConvTranspose.
int64_t vectorsPerRun(const Graph& graph, const Node& node, const AnalogMatmulView& view);

} // namespace tessera::analog

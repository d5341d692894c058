#pragma once
// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight
// Equalization and Bias Correction"): for two analog layers L1 -> L2 where L1's output
// reaches only L2 through positive-homogeneous ops (a fused ReLU, MaxPool, average
// pools, Flatten), f(x / s) = f(x) / s for s > 0, so dividing L1's output channel c
// (weights and bias) by s_c and multiplying L2's input channel c by s_c leaves the FP32
// function unchanged. With s_c = sqrt(r1_c / r2_c) (r1_c: max |W1| of L1's output
// channel c, r2_c: max |W2| over L2's input channel c) both ranges become sqrt(r1_c r2_c):
// weights spread evenly across channels, which per-tensor activations and the rows of
// L2 (each spanning all input channels) quantize better.
//
// The FP32 model stays the ONNX file: a quantization result records the scalings and
// every consumer re-applies them (ModelGraphs::setEqualization, quant::prepareModel).
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"

#include <string>
#include <vector>

namespace tessera::quant {

// A pair of layers that can be equalized, in graph terms.
struct EqualizablePair {
    NodeId first = kNoNode;
    NodeId second = kNoNode;
    int64_t channels = 0;   // L1's output channels
    int64_t blockSize = 1;  // L2 input features per channel (Flatten of C x H x W: H*W)
};

// Every equalizable pair, in topological order of L1 (each layer is the first of at most
// one pair and the second of at most one).
std::vector<EqualizablePair> findEqualizablePairs(const Graph& graph);

// Scales for every equalizable pair, iterating over chains L1 -> L2 -> L3 ... until the
// ranges settle (at most `iterations` sweeps). Leaves `graph` unchanged.
std::vector<ChannelScaling> computeEqualization(const Graph& graph, int iterations = 20);

// Rewrites the weights (as new constants) of every recorded pair. Throws tessera::Error
// naming the layers when a pair is not an equalizable pair of `graph` or the number of
// scales does not match its channels.
void applyEqualization(Graph& graph, const std::vector<ChannelScaling>& scalings);

// Input channel of every element of an analog layer's weight tensor (`block` input
// features per channel: a Gemm after Flatten of C x H x W has block H*W).
std::vector<int64_t> weightInputChannels(const Graph& graph, const Node& node, int64_t block = 1);
// Multiplies the layer's weights of input channel c by s[c] (a new constant).
void scaleWeightInputChannels(Graph& graph, NodeId layer, const std::vector<double>& s, int64_t block = 1);
// max |W| per input channel (Gemm alpha included).
std::vector<double> weightInputRanges(const Graph& graph, const Node& node);

// Per-channel ranges the scaling balances (tests and reports): r1[c] = max |W1| of L1's
// output channel c, r2[c] = max |W2| over L2's input channel c (Gemm alpha included).
void pairRanges(const Graph& graph, const EqualizablePair& pair, std::vector<double>& r1, std::vector<double>& r2);

} // namespace tessera::quant

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
#include "core/quantspec/GraphRewrites.h"
#include "core/quantspec/QuantSpec.h"

#include <string>
#include <vector>

namespace tessera::quant {

// Finding pairs and re-applying recorded scalings live in core (GraphRewrites.h), so the
// compiler and simulator can re-apply a spec without quant.
using tessera::EqualizablePair;
using tessera::applyEqualization;
using tessera::findEqualizablePairs;
using tessera::scaleWeightInputChannels;

// Scales for every equalizable pair, iterating over chains L1 -> L2 -> L3 ... until the
// ranges settle (at most `iterations` sweeps). Leaves `graph` unchanged.
std::vector<ChannelScaling> computeEqualization(const Graph& graph, int iterations = 20);

// max |W| per input channel of an analog layer's [N, K] weight matrix (Gemm alpha included).
std::vector<double> weightInputRanges(const Graph& graph, const Node& node);

// Per-channel ranges the scaling balances (tests and reports): r1[c] = max |W1| of L1's
// output channel c, r2[c] = max |W2| over L2's input channel c (Gemm alpha included).
void pairRanges(const Graph& graph, const EqualizablePair& pair, std::vector<double>& r1, std::vector<double>& r2);

} // namespace tessera::quant

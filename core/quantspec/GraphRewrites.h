#pragma once
// The graph rewrites a quantization spec records (QuantSpec.h: ChannelScaling for
// cross-layer equalization, InputSmoothing for per-channel input smoothing), re-applied
// to the FP32 graph by every consumer (quantizer, compiler, simulator) with core alone.
// Computing them (quant/Equalization.h, quant/Smoothing.h) stays in quant; both work on
// the registry's weight-matrix column (core/WeightMatrix.h), so any op with the column
// takes part.
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"

#include <vector>

namespace tessera {

// A pair of analog layers L1 -> L2 that can be equalized: L1's output reaches only L2,
// through ops that carry a positive per-channel scale (OpDef::scalePassing).
struct EqualizablePair {
    NodeId first = kNoNode;
    NodeId second = kNoNode;
    int64_t channels = 0;   // L1's output channels
    int64_t blockSize = 1;  // L2 input features per channel (Flatten of C x H x W: H*W)
};

// Every equalizable pair, in topological order of L1 (each layer is the first of at most
// one pair and the second of at most one).
std::vector<EqualizablePair> findEqualizablePairs(const Graph& graph);

// Rewrites the weights (as new constants) of every recorded pair: L1's output channel c
// (weights and bias) divided by scales[c], L2's input channel c multiplied by it. Throws
// tessera::Error naming the layers when a pair is not an equalizable pair of `graph` or
// the number of scales does not match its channels; then the graph is unchanged.
void applyEqualization(Graph& graph, const std::vector<ChannelScaling>& scalings);

// Multiplies the layer's weights of input channel c by s[c] (a new constant).
void scaleWeightInputChannels(Graph& graph, NodeId layer, const std::vector<double>& s, int64_t block = 1);

// Input channels of an analog layer: C (input dim 1) for NC... layers, else the last dim.
int64_t smoothingChannels(const Graph& graph, const Node& node);

// Inserts a per-channel Mul (by 1/m) in front of each recorded layer and scales its
// weights' input channels by m. Throws tessera::Error naming the layer when it is not an
// analog layer of `graph` or the factor count does not match its input channels.
void applySmoothing(Graph& graph, const std::vector<InputSmoothing>& smoothing);

// Equalization, then smoothing (the order the spec defines).
void applyQuantRewrites(Graph& graph, const std::vector<ChannelScaling>& equalization,
                        const std::vector<InputSmoothing>& smoothing);
void applyQuantRewrites(Graph& graph, const QuantSpec& spec);

} // namespace tessera

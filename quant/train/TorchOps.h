#pragma once
// The op registry's torch column (an extension column, core/OpRegistry.h): each op the
// trainer builds registers its forward as torch tensor operations, so autograd provides
// the backward pass. TorchGraph (quant/train/TorchGraph.h) looks the column up per node;
// an op without it is one the trainer cannot build. Attributes are read through attrOf
// (registry defaults), geometry through core's window helpers, so the forward is the one
// the FP32 executor computes.
#include "core/Graph.h"

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace tessera::train {

// One node's forward call: its inputs as torch tensors (undefined where an optional input
// is omitted), batch dim 0 free.
struct TorchOpCall {
    const Graph& graph;
    const Node& node;
    const std::vector<torch::Tensor>& inputs;

    bool hasInput(size_t i) const { return i < inputs.size() && inputs[i].defined(); }
    const torch::Tensor& in(size_t i) const { return inputs.at(i); }
    // The graph constant feeding input i; fails naming the node when it is computed at run time.
    const Tensor& constant(size_t i, const char* what) const;
    // The output's static shape in the graph (at the batch the graph was inferred at).
    const Shape& outShape(size_t i) const { return graph.value(node.outputs.at(i)).shape; }
};

struct TorchForward {
    using Fn = std::function<std::vector<torch::Tensor>(const TorchOpCall&)>;
    TorchForward() = default;
    TorchForward(Fn fn, std::vector<size_t> trainable = {}, bool normalizes = false)
        : forward(std::move(fn)), trainableInputs(std::move(trainable)), normalizesInput(normalizes)
    {
    }
    // Output tensors, one per node output it computes (output 0 at least).
    Fn forward;
    // Inputs that are trained when they are constants: a layer's weight and bias (for ops
    // with a weight-matrix column only when the node is analog-placed), BatchNorm's scale
    // and shift. Other constants are buffers.
    std::vector<size_t> trainableInputs;
    // Output 0 is a probability distribution over input 0's last axis (Softmax): a trainer
    // uses input 0 as the logits.
    bool normalizesInput = false;
};

// Registers the column on every op the trainer builds (once per process; thread-safe).
void registerTorchOps();
// The node's torch forward, or null when the trainer cannot build the op.
const TorchForward* torchForwardOf(const Node& node);

// Conversions between core tensors and torch tensors (copies).
torch::Tensor toTorch(const Tensor& t);
Tensor fromTorch(const torch::Tensor& t);

// Registration helpers of the two op tables (TorchLayerOps.cpp, TorchPointwiseOps.cpp).
void registerTorchLayerOps();
void registerTorchPointwiseOps();

} // namespace tessera::train

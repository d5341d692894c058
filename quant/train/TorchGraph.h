#pragma once
// A trainable torch module built from the graph IR: the graph the quantizer uses (the
// model opened for its spec: BatchNorm folded, activations fused, the spec's rewrites
// applied) or, for FP32 fine-tuning, the cleaned-up import. Each node runs its op's torch
// column (quant/train/TorchOps.h) in topological order, so autograd gives the backward pass.
//  - Parameters: the constant weights and biases of analog-placed layers, and BatchNorm's
//    scale and shift where it was not folded. Every other constant is a buffer.
//  - Hooks (quant/train/ForwardHooks.h): analog() computes every analog-placed node,
//    value() sees every float activation (graph inputs included).
//  - Batch size free (dim 0); other dims as the graph was inferred.
// exportGraph() writes the current parameters into a copy of the graph for saving.
#include "core/Graph.h"
#include "quant/train/ForwardHooks.h"
#include "quant/train/TorchOps.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace tessera::train {

class TorchGraph {
public:
    // `graph` (inferred shapes) is copied. Throws one tessera::Error listing every op type
    // and node the trainer cannot build.
    explicit TorchGraph(const Graph& graph);

    // The graph outputs for inputs in graph-input order.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs, ForwardHooks* hooks = nullptr);
    // A classifier's logits for a single-input graph: output 0, or, when output 0 is a
    // normalized distribution (Softmax, TorchForward::normalizesInput), that node's input.
    torch::Tensor logits(const torch::Tensor& input, ForwardHooks* hooks = nullptr);
    // True when logits() returns the input of an output Softmax rather than output 0.
    bool logitsBeforeOutput() const { return m_logits != m_graph.outputs().at(0); }
    // The value logits() returns (its static shape gives the class count).
    ValueId logitsValue() const { return m_logits; }

    const Graph& graph() const { return m_graph; }
    std::vector<torch::Tensor> parameters() const;
    // (constant value name, parameter), in graph order.
    const std::vector<std::pair<std::string, torch::Tensor>>& namedParameters() const { return m_named; }
    int64_t parameterCount() const;

    // Copies of the parameters, and loading such copies back (same order and shapes).
    std::vector<torch::Tensor> snapshot() const;
    void restore(const std::vector<torch::Tensor>& values);

    // A copy of the graph whose trained constants hold the current parameter values.
    Graph exportGraph() const;

private:
    struct Step {
        NodeId node = kNoNode;
        const TorchForward* forward = nullptr;
        bool analog = false;
    };
    void buildConstants();
    void runStep(const Step& step, std::vector<torch::Tensor>& values, ForwardHooks* hooks) const;
    std::vector<torch::Tensor> run(const std::vector<torch::Tensor>& inputs, ForwardHooks* hooks) const;

    Graph m_graph;
    std::vector<Step> m_steps;
    std::vector<torch::Tensor> m_constants; // per value: parameter or buffer (undefined: not a constant)
    std::vector<ValueId> m_paramIds;
    std::vector<std::pair<std::string, torch::Tensor>> m_named;
    ValueId m_logits = kNoValue;
};

} // namespace tessera::train

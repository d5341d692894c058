#pragma once
// The seam between the trainable graph (quant/train/TorchGraph.h: a torch module built from
// the graph IR) and what a training flow does to it:
//  - plain fine-tuning: no hooks, every node computes in FP32;
//  - quantization-aware / analog-aware retraining (quant/train/QatHooks.h): each analog
//    layer computes as the chip does (weight levels, DAC codes, row-block ADC, requant,
//    seeded non-idealities) with straight-through gradients, and every activation tensor
//    is rounded to its codes as the quantization spec says.
// The graph calls analog() for every node the registry places on an analog array and
// value() for every activation value it produces (graph inputs included).
#include "core/Graph.h"

#include <torch/torch.h>

#include <functional>

namespace tessera::train {

// One analog node's forward call. Tensors are in the node's ONNX layouts: input 0 as it
// arrives (e.g. NCHW for Conv, [..., K] for Gemm/MatMul), weight as the node stores it
// (Conv [N, C/groups, kh, kw], Gemm [K, N] or [N, K] per transB, MatMul [K, N]), bias [N]
// or undefined. The graph's fused activation attributes (fused_*) belong to the layer.
struct AnalogCall {
    const Graph& graph;
    const Node& node;
    torch::Tensor input;
    torch::Tensor weight; // a trainable parameter (gradients flow into it)
    torch::Tensor bias;   // a trainable parameter or undefined
    // The node's FP32 forward for given tensors (the fused activation included): what the
    // graph computes without hooks. Hooks call it with fake-quantized input and weights
    // when the analog rule equals the FP32 op on quantized operands.
    std::function<torch::Tensor(const torch::Tensor& input, const torch::Tensor& weight,
                                const torch::Tensor& bias)>
        fp32;
};

class ForwardHooks {
public:
    virtual ~ForwardHooks() = default;
    // Output 0 of an analog node (same shape as the FP32 output).
    virtual torch::Tensor analog(const AnalogCall& call) { return call.fp32(call.input, call.weight, call.bias); }
    // An activation value `id` of `graph` just produced (or bound, for graph inputs).
    virtual torch::Tensor value(const Graph& graph, ValueId id, const torch::Tensor& t) { return t; }
    // Trainable parameters the hooks own (learned clipping ranges); empty by default.
    virtual std::vector<torch::Tensor> parameters() { return {}; }
    // Training mode on/off (noise draws, observers): follows the module's.
    virtual void setTraining(bool on) {}
};

} // namespace tessera::train

#include "core/passes/FuseActivation.h"

#include "core/passes/PassUtils.h"

#include <limits>

namespace tessera {

namespace {

bool isFusionTarget(const std::string& op)
{
    return op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul";
}

// Clip's bound from input `i` (opset 11+) or, for graphs that kept the opset-6 form,
// the attribute; false when the bound is computed at run time.
bool clipBound(const Graph& graph, const Node& clip, size_t i, const char* attr, float& bound)
{
    if (clip.hasInput(i)) {
        const Tensor* t = passes::constantInput(graph, clip, i);
        if (!t || t->numel() != 1)
            return false;
        bound = static_cast<float>(t->valueAsDouble(0));
    } else if (clip.attrs.has(attr)) {
        bound = clip.attrs.getFloat(attr, bound);
    }
    return true;
}

// Writes the fused_* attributes describing `act` into `layer`; false if not fusable.
bool describeActivation(const Graph& graph, const Node& act, Attributes& layerAttrs)
{
    if (act.opType == "Relu") {
        layerAttrs.set("fused_activation", std::string("Relu"));
        return true;
    }
    if (act.opType != "Clip")
        return false;
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
    if (!clipBound(graph, act, 1, "min", lo) || !clipBound(graph, act, 2, "max", hi))
        return false;
    layerAttrs.set("fused_activation", std::string("Clip"));
    layerAttrs.set("fused_min", lo);
    layerAttrs.set("fused_max", hi);
    return true;
}

} // namespace

bool FuseActivation::run(Graph& graph, const PassContext&)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& act = graph.node(id);
        if (act.removed || (act.opType != "Relu" && act.opType != "Clip") || act.outputs.size() != 1)
            continue;
        NodeId layerId = passes::producerOfInput(graph, act, 0);
        if (layerId == kNoNode)
            continue;
        Node& layer = graph.node(layerId);
        if (!isFusionTarget(layer.opType) || layer.outputs.size() != 1 || layer.attrs.has("fused_activation") ||
            passes::soleConsumer(graph, act.inputs[0]) != id || graph.value(act.inputs[0]).dtype != DType::Float32)
            continue;
        if (!describeActivation(graph, act, layer.attrs))
            continue;
        // The layer now writes the activation's output, so that name (and any graph
        // output) survives.
        const ValueId actOut = act.outputs[0];
        graph.removeNode(id);
        passes::redirectOutput(graph, layerId, 0, actOut);
        graph.rebuildUses();
        changed = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

#include "core/passes/FoldBatchNorm.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/WeightMatrix.h"
#include "core/passes/PassUtils.h"

namespace tessera {

namespace {

// Layers BatchNorm folds into: ops with a weight matrix and a bias input (the registry's
// weight-matrix column; MatMul has no bias input), lowerable as they stand.
bool isFoldTarget(const Graph& graph, const Node& layer)
{
    const OpDef* def = opDefOf(layer);
    return def && def->weightMatrixDef() && def->maxInputs() > 2 && whyNotLowerable(graph, layer).empty() &&
           graph.value(layer.inputs[1]).constant.dtype() == DType::Float32;
}

// y = s * (W x + b) + shift: W's output channel c and the bias scaled by s[c], shift added.
bool foldInto(Graph& graph, NodeId layerId, NodeId bnId, const PassContext& context)
{
    const Node& bn = graph.node(bnId);
    ChannelAffine affine;
    if (!opDefOf(bn)->channelAffineFn()(graph, bn, affine))
        return false;
    WeightMatrix view = weightMatrixOf(graph, graph.node(layerId));
    const int64_t channels = static_cast<int64_t>(affine.scale.size());
    if (view.outChannels() != channels)
        return false;
    for (int64_t n = 0; n < view.cols; ++n)
        for (int64_t k = 0; k < view.rows; ++k)
            view.weights[n * view.rows + k] *= affine.scale[view.outChannelOf(n)];
    view.bias.resize(static_cast<size_t>(channels), 0.0f); // no bias input: zeros
    for (int64_t c = 0; c < channels; ++c)
        view.bias[c] = affine.scale[c] * view.bias[c] + affine.shift[c];
    const ValueId bnOut = bn.outputs[0];
    writeWeightMatrix(graph, layerId, view);
    passes::recordRemoval(context, graph, bnId, layerId, bnOut,
                          strCat("folded into ", graph.node(layerId).name, " (", bn.opType, ": its weights and bias)"));
    graph.removeNode(bnId);
    passes::redirectOutput(graph, layerId, 0, bnOut);
    graph.rebuildUses();
    return true;
}

} // namespace

bool FoldBatchNorm::run(Graph& graph, const PassContext& context)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& bn = graph.node(id);
        if (bn.removed || !opDefOf(bn) || !opDefOf(bn)->channelAffineFn())
            continue;
        NodeId layer = passes::producerOfInput(graph, bn, 0);
        if (layer == kNoNode || !isFoldTarget(graph, graph.node(layer)) ||
            graph.node(layer).outputs.size() != 1 || passes::soleConsumer(graph, bn.inputs[0]) != id ||
            graph.node(layer).attrs.has("fused_activation"))
            continue;
        if (foldInto(graph, layer, id, context))
            changed = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

#include "core/passes/FuseActivation.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/passes/PassUtils.h"

namespace tessera {

namespace {

// Layers that apply an activation in their epilogue: the ops declaring fused_activation.
bool isFusionTarget(const Node& layer)
{
    const OpDef* def = opDefOf(layer);
    return def && def->findAttr("fused_activation");
}

// Activations a layer can fuse (OpDef::fusesAs: Relu, Clip).
const FusedActivationFn* fusableActivation(const Node& act)
{
    const OpDef* def = opDefOf(act);
    return def && def->fusesAsFn() ? &def->fusesAsFn() : nullptr;
}

} // namespace

bool FuseActivation::run(Graph& graph, const PassContext& context)
{
    bool changed = false;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& act = graph.node(id);
        const FusedActivationFn* describe = fusableActivation(act);
        if (act.removed || !describe || act.outputs.size() != 1)
            continue;
        NodeId layerId = passes::producerOfInput(graph, act, 0);
        if (layerId == kNoNode)
            continue;
        Node& layer = graph.node(layerId);
        if (!isFusionTarget(layer) || layer.outputs.size() != 1 || layer.attrs.has("fused_activation") ||
            passes::soleConsumer(graph, act.inputs[0]) != id || graph.value(act.inputs[0]).dtype != DType::Float32)
            continue;
        if (!(*describe)(graph, act, layer.attrs))
            continue;
        // The layer now writes the activation's output, so that name (and any graph
        // output) survives.
        const ValueId actOut = act.outputs[0];
        passes::recordRemoval(context, graph, id, layerId, actOut, strCat("fused into ", layer.name, " as its activation"));
        graph.removeNode(id);
        passes::redirectOutput(graph, layerId, 0, actOut);
        graph.rebuildUses();
        changed = true;
    }
    return passes::finishPass(graph, changed);
}

} // namespace tessera

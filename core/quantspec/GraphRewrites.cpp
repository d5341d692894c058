#include "core/quantspec/GraphRewrites.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/WeightMatrix.h"
#include "core/analog/AnalogLowering.h"
#include "core/ops/OpHelpers.h"
#include "core/passes/PassUtils.h"

#include <algorithm>
#include <cmath>

namespace tessera {

namespace {

// Fused activations f with f(x / s) = f(x) / s for every s > 0.
bool homogeneousActivation(const Node& node)
{
    const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
    if (act.kind != ops::FusedActivation::Kind::Clip)
        return true;
    return act.lo == 0.0f && std::isinf(act.hi) && act.hi > 0.0f; // a ReLU written as Clip(0, inf)
}

bool soleUse(const Graph& g, const Node& node, size_t input)
{
    return !node.hasInput(input) || passes::soleConsumer(g, node.inputs[input]) != kNoNode;
}

ScalePassing scalePassingOf(const Node& node)
{
    const OpDef* def = opDefOf(node);
    return node.outputs.size() == 1 && def ? def->scalePassingValue() : ScalePassing::None;
}

// [B, C, rest...] -> [B, C * prod(rest)]: the channel-major flattening Gemm inputs see.
bool flattensChannels(const Graph& g, const Node& node, int64_t channels, int64_t& block)
{
    const Shape& in = g.value(node.inputs[0]).shape;
    const Shape& out = g.value(node.outputs[0]).shape;
    if (in.size() < 2 || out.size() != 2 || in[1] != channels || out[0] != in[0] || out[1] != numElements(in) / in[0])
        return false;
    block = out[1] / channels;
    return true;
}

bool fitsAsSecond(const Graph& g, const Node& n2, bool channelFirst, int64_t channels, int64_t block)
{
    if (!analog::isLowerableAnalogNode(g, n2) || !soleUse(g, n2, 1))
        return false;
    if (channelsFirst(n2) ? !channelFirst || block != 1 : channelFirst)
        return false;
    return weightMatrixOf(g, n2).inChannels() == channels * block;
}

bool pairFrom(const Graph& g, NodeId id1, EqualizablePair& pair)
{
    const Node& n1 = g.node(id1);
    if (!analog::isLowerableAnalogNode(g, n1) || !homogeneousActivation(n1) || !soleUse(g, n1, 1) ||
        !soleUse(g, n1, 2) || n1.outputs.size() != 1)
        return false;
    pair.first = id1;
    pair.channels = weightMatrixOf(g, n1).outChannels();
    pair.blockSize = 1;
    bool channelFirst = channelsFirst(n1);
    ValueId v = n1.outputs[0];
    for (int hop = 0; hop < 8; ++hop) {
        const NodeId next = passes::soleConsumer(g, v);
        if (next == kNoNode || g.node(next).inputs.empty() || g.node(next).inputs[0] != v)
            return false;
        const Node& n = g.node(next);
        if (analog::isAnalogPlaced(g, n)) {
            pair.second = next;
            return fitsAsSecond(g, n, channelFirst, pair.channels, pair.blockSize);
        }
        const ScalePassing passing = scalePassingOf(n);
        const bool passesScales =
            passing == ScalePassing::Elementwise || (channelFirst && passing == ScalePassing::ChannelsFirst);
        if (!passesScales && channelFirst && passing == ScalePassing::Reshape &&
            flattensChannels(g, n, pair.channels, pair.blockSize))
            channelFirst = false; // channels are now blocks of the last axis
        else if (!passesScales)
            return false;
        v = n.outputs[0];
    }
    return false;
}

void applyPair(Graph& g, const EqualizablePair& p, const std::vector<double>& s)
{
    WeightMatrix v = weightMatrixOf(g, g.node(p.first));
    const std::vector<int64_t> out = outChannelMap(v);
    for (size_t i = 0; i < v.weights.size(); ++i)
        v.weights[i] = static_cast<float>(v.weights[i] / s[out[i]]);
    for (size_t c = 0; c < v.bias.size(); ++c)
        v.bias[c] = static_cast<float>(v.bias[c] / s[c]);
    writeWeightMatrix(g, p.first, v);
    scaleWeightInputChannels(g, p.second, s, p.blockSize);
}

void checkScaling(const ChannelScaling& cs, const EqualizablePair* pair, const Graph& graph)
{
    if (!pair)
        fail("equalization: layers '", cs.first, "' -> '", cs.second, "' are not an equalizable pair of model '",
             graph.name, "'");
    if (static_cast<int64_t>(cs.scales.size()) != pair->channels)
        fail("equalization: ", cs.scales.size(), " scales for the ", pair->channels, " channels of '", cs.first,
             "' -> '", cs.second, "'");
    for (double s : cs.scales)
        if (!std::isfinite(s) || s <= 0.0)
            fail("equalization: scales of '", cs.first, "' -> '", cs.second, "' must be positive and finite");
}

} // namespace

std::vector<EqualizablePair> findEqualizablePairs(const Graph& graph)
{
    std::vector<EqualizablePair> pairs;
    for (NodeId id : graph.topologicalOrder()) {
        EqualizablePair p;
        if (pairFrom(graph, id, p))
            pairs.push_back(p);
    }
    return pairs;
}

void scaleWeightInputChannels(Graph& g, NodeId id, const std::vector<double>& s, int64_t block)
{
    WeightMatrix v = weightMatrixOf(g, g.node(id));
    const std::vector<int64_t> in = inChannelMap(v, block);
    for (size_t i = 0; i < v.weights.size(); ++i)
        v.weights[i] = static_cast<float>(v.weights[i] * s[in[i]]);
    writeWeightMatrix(g, id, v);
}

void applyEqualization(Graph& graph, const std::vector<ChannelScaling>& scalings)
{
    if (scalings.empty())
        return;
    const std::vector<EqualizablePair> pairs = findEqualizablePairs(graph);
    // Every record is checked before any weight changes: a bad one leaves the graph as it was.
    std::vector<std::pair<EqualizablePair, const ChannelScaling*>> checked;
    for (const ChannelScaling& cs : scalings) {
        auto it = std::find_if(pairs.begin(), pairs.end(), [&](const EqualizablePair& p) {
            return graph.node(p.first).name == cs.first && graph.node(p.second).name == cs.second;
        });
        checkScaling(cs, it == pairs.end() ? nullptr : &*it, graph);
        checked.emplace_back(*it, &cs);
    }
    for (const auto& [pair, cs] : checked)
        applyPair(graph, pair, cs->scales);
    graph.rebuildUses();
    passes::finishPass(graph, true);
}

int64_t smoothingChannels(const Graph& g, const Node& node)
{
    const Shape& in = g.value(node.inputs[0]).shape;
    if (in.size() < 2)
        return in.empty() ? 0 : in[0];
    return channelsFirst(node) ? in[1] : in.back();
}

namespace {

NodeId analogLayer(const Graph& g, const std::string& name)
{
    const std::optional<NodeId> found = g.findNode(name);
    if (!found || !analog::isLowerableAnalogNode(g, g.node(*found)))
        fail("input smoothing: '", name, "' is not an analog layer of model '", g.name, "'");
    return *found;
}

void checkFactors(const Graph& g, const Node& node, const InputSmoothing& s)
{
    const int64_t channels = smoothingChannels(g, node);
    if (static_cast<int64_t>(s.factors.size()) != channels)
        fail("input smoothing of layer '", s.layer, "': ", s.factors.size(), " factors for ", channels,
             " input channels");
    for (double f : s.factors)
        if (!(f > 0.0) || !std::isfinite(f))
            fail("input smoothing of layer '", s.layer, "': factors must be positive and finite");
}

} // namespace

void applySmoothing(Graph& g, const std::vector<InputSmoothing>& smoothing)
{
    for (const InputSmoothing& s : smoothing) {
        const NodeId id = analogLayer(g, s.layer);
        checkFactors(g, g.node(id), s);
        const ValueId x = g.node(id).inputs[0];
        const int64_t rank = static_cast<int64_t>(g.value(x).shape.size());
        Shape shape(static_cast<size_t>(rank), 1); // broadcasts over the channel axis
        shape[channelsFirst(g.node(id)) ? 1 : static_cast<size_t>(rank - 1)] = static_cast<int64_t>(s.factors.size());
        std::vector<float> inverse(s.factors.size());
        for (size_t c = 0; c < inverse.size(); ++c)
            inverse[c] = static_cast<float>(1.0 / s.factors[c]);
        const ValueId k = g.addConstant(g.uniqueValueName(s.layer + "/smoothing"), Tensor::fromVector(inverse, shape));
        const Value& in = g.value(x);
        const ValueId y = g.addValue(g.uniqueValueName(in.name + "/smoothed"), in.dtype, in.shape);
        g.addNode(g.uniqueNodeName(s.layer + "/smooth"), "Mul", {x, k}, {y});
        g.node(id).inputs[0] = y;
        scaleWeightInputChannels(g, id, s.factors);
    }
    if (!smoothing.empty())
        g.rebuildUses();
}

void applyQuantRewrites(Graph& graph, const std::vector<ChannelScaling>& equalization,
                        const std::vector<InputSmoothing>& smoothing)
{
    applyEqualization(graph, equalization);
    applySmoothing(graph, smoothing);
}

void applyQuantRewrites(Graph& graph, const QuantSpec& spec)
{
    applyQuantRewrites(graph, spec.equalization, spec.smoothing);
}

} // namespace tessera

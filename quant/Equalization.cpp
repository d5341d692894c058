#include "quant/Equalization.h"

#include "core/Error.h"
#include "core/analog/AnalogLowering.h"
#include "core/ops/OpHelpers.h"
#include "core/passes/PassUtils.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace tessera::quant {

namespace {

// Activations f with f(x / s) = f(x) / s for every s > 0.
bool homogeneousActivation(const Node& node)
{
    const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
    if (act.kind != ops::FusedActivation::Kind::Clip)
        return true;
    return act.lo == 0.0f && std::isinf(act.hi) && act.hi > 0.0f; // a ReLU written as Clip(0, inf)
}

// Per-channel ops on an NC... tensor that commute with a positive per-channel scale.
bool channelwiseHomogeneous(const Node& node)
{
    static const char* const kOps[] = {"Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"};
    return node.outputs.size() == 1 && std::any_of(std::begin(kOps), std::end(kOps), [&](const char* op) {
               return node.opType == op;
           });
}

bool soleUse(const Graph& g, const Node& node, size_t input)
{
    return !node.hasInput(input) || passes::soleConsumer(g, node.inputs[input]) != kNoNode;
}

const Tensor& weightOf(const Graph& g, const Node& node) { return g.value(node.inputs[1]).constant; }

double rangeFactor(const Node& node)
{
    return node.opType == "Gemm" ? std::fabs(node.attrs.getFloat("alpha", 1.0f)) : 1.0;
}

// Output channel of every element of L1's weight tensor.
std::vector<int64_t> outChannelMap(const Graph& g, const Node& node)
{
    const Tensor& w = weightOf(g, node);
    std::vector<int64_t> map(static_cast<size_t>(w.numel()));
    const bool transB = node.opType == "Gemm" && node.attrs.getInt("transB", 0) != 0;
    const int64_t per = w.numel() / w.dim(0); // Conv [Cout, ...]; Gemm transB [N, K]
    for (int64_t i = 0; i < w.numel(); ++i)
        map[i] = node.opType == "Conv" || transB ? i / per : i % w.dim(1); // Gemm/MatMul [K, N]
    return map;
}

} // namespace

std::vector<int64_t> weightInputChannels(const Graph& g, const Node& node, int64_t block)
{
    const Tensor& w = weightOf(g, node);
    std::vector<int64_t> map(static_cast<size_t>(w.numel()));
    if (node.opType == "Conv") { // [Cout, Cin/G, k...]; output o belongs to group o / (Cout/G)
        const int64_t cout = w.dim(0), cpg = w.dim(1), ksz = w.numel() / (cout * cpg);
        const int64_t perGroup = cout / node.attrs.getInt("group", 1);
        for (int64_t i = 0; i < w.numel(); ++i) {
            const int64_t o = i / (cpg * ksz), j = (i / ksz) % cpg;
            map[i] = (o / perGroup) * cpg + j;
        }
        return map;
    }
    const bool transB = node.opType == "Gemm" && node.attrs.getInt("transB", 0) != 0;
    for (int64_t i = 0; i < w.numel(); ++i)
        map[i] = (transB ? i % w.dim(1) : i / w.dim(1)) / block;
    return map;
}

namespace {

int64_t outChannels(const Graph& g, const Node& node)
{
    const Tensor& w = weightOf(g, node);
    const bool transB = node.opType == "Gemm" && node.attrs.getInt("transB", 0) != 0;
    return node.opType == "Conv" || transB ? w.dim(0) : w.dim(1);
}

int64_t inFeatures(const Graph& g, const Node& node)
{
    const Tensor& w = weightOf(g, node);
    if (node.opType == "Conv")
        return w.dim(1) * node.attrs.getInt("group", 1);
    const bool transB = node.opType == "Gemm" && node.attrs.getInt("transB", 0) != 0;
    return transB ? w.dim(1) : w.dim(0);
}

// [B, C, rest...] -> [B, C * prod(rest)]: the channel-major flattening Gemm inputs see.
bool flattensChannels(const Graph& g, const Node& node, int64_t channels, int64_t& block)
{
    if ((node.opType != "Flatten" && node.opType != "Reshape") || node.outputs.size() != 1)
        return false;
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
    if (n2.opType == "Conv" ? !channelFirst || block != 1 : channelFirst)
        return false;
    return inFeatures(g, n2) == channels * block;
}

bool pairFrom(const Graph& g, NodeId id1, EqualizablePair& pair)
{
    const Node& n1 = g.node(id1);
    if (!analog::isLowerableAnalogNode(g, n1) || !homogeneousActivation(n1) || !soleUse(g, n1, 1) ||
        !soleUse(g, n1, 2) || n1.outputs.size() != 1)
        return false;
    pair.first = id1;
    pair.channels = outChannels(g, n1);
    pair.blockSize = 1;
    bool channelFirst = n1.opType == "Conv";
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
        const bool passesScales = n.opType == "Relu" || (channelFirst && channelwiseHomogeneous(n));
        if (!passesScales && channelFirst && flattensChannels(g, n, pair.channels, pair.blockSize))
            channelFirst = false; // channels are now blocks of the last axis
        else if (!passesScales)
            return false;
        v = n.outputs[0];
    }
    return false;
}

std::vector<double> doublesOf(const Tensor& t)
{
    const std::vector<float> f = t.castTo(DType::Float32).toFloatVector();
    return std::vector<double>(f.begin(), f.end());
}

std::vector<double> channelMax(const std::vector<double>& w, const std::vector<int64_t>& map, int64_t channels,
                               double factor)
{
    std::vector<double> r(static_cast<size_t>(channels), 0.0);
    for (size_t i = 0; i < w.size(); ++i)
        r[map[i]] = std::max(r[map[i]], std::fabs(w[i]) * factor);
    return r;
}

// s_c = sqrt(r1_c / r2_c) makes both ranges sqrt(r1_c * r2_c); dead channels keep 1.
std::vector<double> balancingScales(const std::vector<double>& r1, const std::vector<double>& r2)
{
    std::vector<double> s(r1.size(), 1.0);
    for (size_t c = 0; c < s.size(); ++c)
        if (r1[c] > 0.0 && r2[c] > 0.0)
            s[c] = std::sqrt(r1[c] / r2[c]);
    return s;
}

void scaleBy(std::vector<double>& w, const std::vector<int64_t>& map, const std::vector<double>& s, bool divide)
{
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = divide ? w[i] / s[map[i]] : w[i] * s[map[i]];
}

// Replaces constant input `i` of `node` by `values` (same shape unless `shape` is given).
void replaceConstant(Graph& g, NodeId id, size_t i, const std::vector<double>& values, Shape shape = {})
{
    const Value& old = g.value(g.node(id).inputs[i]);
    const DType type = old.constant.dtype();
    const std::string name = old.name; // `old` dangles once a value is added
    if (shape.empty())
        shape = old.constant.shape();
    Tensor t = Tensor::fromVector(std::vector<float>(values.begin(), values.end()), shape);
    if (type != DType::Float32)
        t = t.castTo(type);
    const ValueId nv = passes::addDerivedConstant(g, name, std::move(t));
    g.node(id).inputs[i] = nv;
}

void applyOne(Graph& g, const EqualizablePair& p, const std::vector<double>& s)
{
    const Node& n1 = g.node(p.first);
    std::vector<double> w1 = doublesOf(weightOf(g, n1));
    scaleBy(w1, outChannelMap(g, n1), s, true);
    replaceConstant(g, p.first, 1, w1);
    if (n1.hasInput(2)) { // bias: Conv B [Cout]; Gemm C [N] (or a scalar, expanded to [N])
        std::vector<double> b = doublesOf(g.value(n1.inputs[2]).constant);
        if (b.size() == 1)
            b.assign(s.size(), b[0]);
        for (size_t c = 0; c < s.size(); ++c)
            b[c] /= s[c];
        replaceConstant(g, p.first, 2, b, Shape{static_cast<int64_t>(s.size())});
    }
    scaleWeightInputChannels(g, p.second, s, p.blockSize);
}

} // namespace

void scaleWeightInputChannels(Graph& g, NodeId id, const std::vector<double>& s, int64_t block)
{
    std::vector<double> w = doublesOf(weightOf(g, g.node(id)));
    scaleBy(w, weightInputChannels(g, g.node(id), block), s, false);
    replaceConstant(g, id, 1, w);
}

std::vector<double> weightInputRanges(const Graph& g, const Node& node)
{
    return channelMax(doublesOf(weightOf(g, node)), weightInputChannels(g, node), inFeatures(g, node), rangeFactor(node));
}

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

void pairRanges(const Graph& g, const EqualizablePair& p, std::vector<double>& r1, std::vector<double>& r2)
{
    const Node& n1 = g.node(p.first);
    const Node& n2 = g.node(p.second);
    r1 = channelMax(doublesOf(weightOf(g, n1)), outChannelMap(g, n1), p.channels, rangeFactor(n1));
    r2 = channelMax(doublesOf(weightOf(g, n2)), weightInputChannels(g, n2, p.blockSize), p.channels, rangeFactor(n2));
}

std::vector<ChannelScaling> computeEqualization(const Graph& graph, int iterations)
{
    const std::vector<EqualizablePair> pairs = findEqualizablePairs(graph);
    std::map<NodeId, std::vector<double>> weights; // working copies, shared along a chain
    std::vector<std::vector<int64_t>> outMaps, inMaps;
    std::vector<ChannelScaling> result;
    for (const EqualizablePair& p : pairs) {
        for (NodeId id : {p.first, p.second})
            if (!weights.count(id))
                weights[id] = doublesOf(weightOf(graph, graph.node(id)));
        outMaps.push_back(outChannelMap(graph, graph.node(p.first)));
        inMaps.push_back(weightInputChannels(graph, graph.node(p.second), p.blockSize));
        result.push_back({graph.node(p.first).name, graph.node(p.second).name,
                          std::vector<double>(static_cast<size_t>(p.channels), 1.0)});
    }
    for (int it = 0; it < iterations; ++it) {
        double change = 0.0; // largest |log s| of this sweep
        for (size_t i = 0; i < pairs.size(); ++i) {
            const Node& n1 = graph.node(pairs[i].first);
            const Node& n2 = graph.node(pairs[i].second);
            std::vector<double>& w1 = weights[pairs[i].first];
            std::vector<double>& w2 = weights[pairs[i].second];
            const std::vector<double> s =
                balancingScales(channelMax(w1, outMaps[i], pairs[i].channels, rangeFactor(n1)),
                                channelMax(w2, inMaps[i], pairs[i].channels, rangeFactor(n2)));
            scaleBy(w1, outMaps[i], s, true);
            scaleBy(w2, inMaps[i], s, false);
            for (size_t c = 0; c < s.size(); ++c) {
                result[i].scales[c] *= s[c];
                change = std::max(change, std::fabs(std::log(s[c])));
            }
        }
        if (change < 1e-6)
            break;
    }
    return result;
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
        if (it == pairs.end())
            fail("equalization: layers '", cs.first, "' -> '", cs.second, "' are not an equalizable pair of model '",
                 graph.name, "'");
        if (static_cast<int64_t>(cs.scales.size()) != it->channels)
            fail("equalization: ", cs.scales.size(), " scales for the ", it->channels, " channels of '", cs.first,
                 "' -> '", cs.second, "'");
        for (double s : cs.scales)
            if (!std::isfinite(s) || s <= 0.0)
                fail("equalization: scales of '", cs.first, "' -> '", cs.second, "' must be positive and finite");
        checked.emplace_back(*it, &cs);
    }
    for (const auto& [pair, cs] : checked)
        applyOne(graph, pair, cs->scales);
    graph.rebuildUses();
    passes::finishPass(graph, true);
}

} // namespace tessera::quant

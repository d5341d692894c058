#include "quant/Smoothing.h"

#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Equalization.h"

#include <algorithm>
#include <cmath>

namespace tessera::quant {

namespace {

bool channelsFirst(const Node& node) { return node.opType == "Conv"; }

bool isDepthwise(const Graph& g, const Node& node)
{
    if (node.opType != "Conv")
        return false;
    const int64_t groups = node.attrs.getInt("group", 1);
    return groups > 1 && groups == smoothingChannels(g, node) && g.value(node.inputs[1]).constant.dim(0) == groups;
}

const Node& analogLayer(const Graph& g, const std::string& name, NodeId& id)
{
    const std::optional<NodeId> found = g.findNode(name);
    if (!found || !analog::isLowerableAnalogNode(g, g.node(*found)))
        fail("input smoothing: '", name, "' is not an analog layer of model '", g.name, "'");
    id = *found;
    return g.node(id);
}

} // namespace

int64_t smoothingChannels(const Graph& g, const Node& node)
{
    const Shape& in = g.value(node.inputs[0]).shape;
    if (in.size() < 2)
        return in.empty() ? 0 : in[0];
    return channelsFirst(node) ? in[1] : in.back();
}

void observeChannelRanges(const Graph& g, const Node& node, const Tensor& x, std::vector<double>& ranges)
{
    const int64_t channels = smoothingChannels(g, node);
    ranges.resize(static_cast<size_t>(channels), 0.0);
    const float* d = x.data<float>();
    const int64_t n = x.numel();
    // Conv: [B, C, spatial...]; Gemm/MatMul: [..., K]. Runs of `inner` values share a channel.
    const int64_t inner = channelsFirst(node) ? n / (x.dim(0) * channels) : 1;
    for (int64_t run = 0; run * inner < n; ++run) {
        const float* p = d + run * inner;
        float m = 0.0f;
        for (int64_t i = 0; i < inner; ++i)
            m = std::max(m, std::fabs(p[i]));
        double& r = ranges[static_cast<size_t>(run % channels)];
        r = std::max(r, static_cast<double>(m));
    }
}

std::vector<InputSmoothing> computeSmoothing(const Graph& g, const ChannelRanges& ranges, double alpha,
                                             SmoothingScope scope, double minSpread)
{
    if (!(alpha >= 0.0 && alpha <= 1.0))
        fail("input smoothing: alpha must be in [0, 1], got ", alpha);
    std::vector<InputSmoothing> out;
    for (NodeId id : g.topologicalOrder()) {
        const Node& node = g.node(id);
        auto it = ranges.find(node.name);
        if (it == ranges.end() || !analog::isLowerableAnalogNode(g, node))
            continue;
        const std::vector<double>& a = it->second;
        double lo = 1e300, hi = 0.0;
        for (double v : a)
            if (v > 0.0) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        if (hi <= 0.0 || hi / lo <= minSpread)
            continue; // balanced already: a per-tensor scale serves every channel
        if (scope == SmoothingScope::Off || (scope == SmoothingScope::Depthwise && !isDepthwise(g, node)))
            continue;
        const double al = isDepthwise(g, node) ? 1.0 : alpha;
        const std::vector<double> w = weightInputRanges(g, node);
        InputSmoothing s{node.name, std::vector<double>(a.size(), 1.0)};
        for (size_t c = 0; c < a.size(); ++c)
            if (a[c] > 0.0 && w[c] > 0.0)
                s.factors[c] = std::pow(a[c], al) / std::pow(w[c], 1.0 - al);
        // Only ratios matter to a per-tensor scale; centre them on 1 (geometric mean).
        double logSum = 0.0;
        for (double f : s.factors)
            logSum += std::log(f);
        const double centre = std::exp(logSum / static_cast<double>(s.factors.size()));
        for (double& f : s.factors)
            f /= centre;
        out.push_back(std::move(s));
    }
    return out;
}

void applySmoothing(Graph& g, const std::vector<InputSmoothing>& smoothing)
{
    for (const InputSmoothing& s : smoothing) {
        NodeId id = kNoNode;
        const Node& node = analogLayer(g, s.layer, id);
        const int64_t channels = smoothingChannels(g, node);
        if (static_cast<int64_t>(s.factors.size()) != channels)
            fail("input smoothing of layer '", s.layer, "': ", s.factors.size(), " factors for ", channels,
                 " input channels");
        for (double f : s.factors)
            if (!(f > 0.0) || !std::isfinite(f))
                fail("input smoothing of layer '", s.layer, "': factors must be positive and finite");
        const ValueId x = node.inputs[0];
        const int64_t rank = static_cast<int64_t>(g.value(x).shape.size());
        Shape shape(static_cast<size_t>(rank), 1); // broadcasts over the channel axis
        shape[channelsFirst(node) ? 1 : static_cast<size_t>(rank - 1)] = channels;
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

} // namespace tessera::quant

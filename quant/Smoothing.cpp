#include "quant/Smoothing.h"

#include "core/Error.h"
#include "core/analog/AnalogLowering.h"
#include "core/WeightMatrix.h"
#include "quant/Equalization.h"

#include <algorithm>
#include <cmath>

namespace tessera::quant {

namespace {

// One input channel per group and one output channel per group: each factor folds into
// its channel's own weight scale.
bool isDepthwise(const Graph& g, const Node& node)
{
    const WeightMatrix v = weightMatrixOf(g, node);
    return v.groups > 1 && v.groups == v.inChannels() && v.groups == v.outChannels();
}

} // namespace

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
        InputSmoothing s{node.name, std::vector<double>(a.size(), 1.0), al};
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

} // namespace tessera::quant

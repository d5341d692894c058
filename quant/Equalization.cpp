#include "quant/Equalization.h"

#include "core/WeightMatrix.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tessera::quant {

namespace {

std::vector<double> doublesOf(const std::vector<float>& f) { return std::vector<double>(f.begin(), f.end()); }

std::vector<double> channelMax(const std::vector<double>& w, const std::vector<int64_t>& map, int64_t channels)
{
    std::vector<double> r(static_cast<size_t>(channels), 0.0);
    for (size_t i = 0; i < w.size(); ++i)
        r[map[i]] = std::max(r[map[i]], std::fabs(w[i]));
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

} // namespace

std::vector<double> weightInputRanges(const Graph& g, const Node& node)
{
    const WeightMatrix v = weightMatrixOf(g, node);
    return channelMax(doublesOf(v.weights), inChannelMap(v), v.inChannels());
}

void pairRanges(const Graph& g, const EqualizablePair& p, std::vector<double>& r1, std::vector<double>& r2)
{
    const WeightMatrix v1 = weightMatrixOf(g, g.node(p.first));
    const WeightMatrix v2 = weightMatrixOf(g, g.node(p.second));
    r1 = channelMax(doublesOf(v1.weights), outChannelMap(v1), p.channels);
    r2 = channelMax(doublesOf(v2.weights), inChannelMap(v2, p.blockSize), p.channels);
}

std::vector<ChannelScaling> computeEqualization(const Graph& graph, int iterations)
{
    const std::vector<EqualizablePair> pairs = findEqualizablePairs(graph);
    std::map<NodeId, std::vector<double>> weights; // working copies of the [N, K] views, shared along a chain
    std::vector<std::vector<int64_t>> outMaps, inMaps;
    std::vector<ChannelScaling> result;
    for (const EqualizablePair& p : pairs) {
        const WeightMatrix v1 = weightMatrixOf(graph, graph.node(p.first));
        const WeightMatrix v2 = weightMatrixOf(graph, graph.node(p.second));
        weights.emplace(p.first, doublesOf(v1.weights));
        weights.emplace(p.second, doublesOf(v2.weights));
        outMaps.push_back(outChannelMap(v1));
        inMaps.push_back(inChannelMap(v2, p.blockSize));
        result.push_back({graph.node(p.first).name, graph.node(p.second).name,
                          std::vector<double>(static_cast<size_t>(p.channels), 1.0)});
    }
    for (int it = 0; it < iterations; ++it) {
        double change = 0.0; // largest |log s| of this sweep
        for (size_t i = 0; i < pairs.size(); ++i) {
            std::vector<double>& w1 = weights[pairs[i].first];
            std::vector<double>& w2 = weights[pairs[i].second];
            const std::vector<double> s = balancingScales(channelMax(w1, outMaps[i], pairs[i].channels),
                                                          channelMax(w2, inMaps[i], pairs[i].channels));
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

} // namespace tessera::quant

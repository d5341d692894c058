#include "core/WeightMatrix.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

#include <algorithm>

namespace tessera {

const WeightMatrixDef* weightMatrixDef(const Node& node)
{
    const OpDef* def = opDefOf(node);
    return def ? def->weightMatrixDef() : nullptr;
}

std::string whyNotLowerable(const Graph& graph, const Node& node)
{
    const WeightMatrixDef* def = weightMatrixDef(node);
    if (!def)
        return strCat("op ", node.opType, " has no weight matrix to program into an array");
    if (!node.hasInput(1) || !graph.value(node.inputs[1]).isConstant())
        return "weights are computed at run time, so they cannot live in flash cells";
    return def->whyNotLowerable(graph, node);
}

WeightMatrix weightMatrixOf(const Graph& graph, const Node& node)
{
    const std::string why = whyNotLowerable(graph, node);
    if (!why.empty())
        fail(describeNode(node), ": not lowerable to an analog matmul: ", why);
    return weightMatrixDef(node)->view(graph, node);
}

void writeWeightMatrix(Graph& graph, NodeId node, const WeightMatrix& view)
{
    const WeightMatrixDef* def = weightMatrixDef(graph.node(node));
    if (!def)
        fail(describeNode(graph.node(node)), ": has no weight matrix to write");
    def->writeBack(graph, node, view);
}

bool channelsFirst(const Node& node)
{
    const WeightMatrixDef* def = weightMatrixDef(node);
    return def && def->channelAxis == 1;
}

std::vector<double> shareOutChannelScales(const WeightMatrix& view, std::vector<double> scales)
{
    const int64_t per = view.colsPerOutChannel;
    for (int64_t c = 0; per > 1 && c < view.outChannels(); ++c) {
        const auto first = scales.begin() + c * per;
        std::fill(first, first + per, *std::max_element(first, first + per));
    }
    return scales;
}

std::vector<int64_t> outChannelMap(const WeightMatrix& view)
{
    std::vector<int64_t> map(static_cast<size_t>(view.cols * view.rows));
    for (int64_t n = 0; n < view.cols; ++n)
        std::fill(map.begin() + n * view.rows, map.begin() + (n + 1) * view.rows, view.outChannelOf(n));
    return map;
}

std::vector<int64_t> inChannelMap(const WeightMatrix& view, int64_t block)
{
    // view.inChannelOf for every element, with the divisions hoisted out of the loops (this
    // runs over every weight of a model each time its rewrites are re-applied).
    const int64_t k = view.rows, ng = view.cols / view.groups, perGroup = k / view.rowsPerInChannel;
    std::vector<int64_t> rowChannel(static_cast<size_t>(k));
    for (int64_t r = 0; r < k; ++r)
        rowChannel[r] = r / view.rowsPerInChannel;
    std::vector<int64_t> map(static_cast<size_t>(view.cols * k));
    for (int64_t n = 0; n < view.cols; ++n) {
        const int64_t base = (n / ng) * perGroup;
        int64_t* row = map.data() + n * k;
        for (int64_t r = 0; r < k; ++r)
            row[r] = base + rowChannel[r];
        if (block != 1)
            for (int64_t r = 0; r < k; ++r)
                row[r] /= block;
    }
    return map;
}

} // namespace tessera

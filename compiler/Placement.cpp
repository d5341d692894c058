// Arrays on the tile mesh: pairwise swaps of tiles lowering sum(bytes x hops) over the
// dataflow edges, XY routes of every edge, activation buffers against tile SRAM.
#include "compiler/Stages.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <tuple>

namespace tessera::compiler {

int unitOf(const CompileResult& result, int layer)
{
    const LayerPlan& l = result.layers[layer];
    return l.unit == Unit::Analog || l.hostTile >= 0 ? layer : l.anchor;
}

namespace {

struct Edge {
    int from = -1, to = -1; // units (analog layers); from == to: row-block partial sums
    ValueId value = kNoValue;
    int64_t bytes = 0;
};

std::vector<int> layerIndexByNode(const Graph& graph, const CompileResult& result)
{
    std::vector<int> layerOf(graph.nodeSlotCount(), -1);
    for (size_t i = 0; i < result.layers.size(); ++i)
        layerOf[result.layers[i].nodeId] = static_cast<int>(i);
    return layerOf;
}

std::vector<Edge> dataflowEdges(const Graph& graph, const CompileResult& result)
{
    const std::vector<int> layerOf = layerIndexByNode(graph, result);
    std::vector<Edge> edges;
    auto add = [&](int from, int to, ValueId value, int64_t bytes) {
        for (const Edge& e : edges)
            if (e.from == from && e.to == to && e.value == value)
                return;
        edges.push_back({from, to, value, bytes});
    };
    for (size_t i = 0; i < result.layers.size(); ++i) {
        const LayerPlan& l = result.layers[i];
        for (ValueId in : graph.node(l.nodeId).inputs) {
            if (in == kNoValue || graph.value(in).producer == kNoNode)
                continue;
            const int p = layerOf[graph.value(in).producer];
            const int a = p < 0 ? -1 : unitOf(result, p), b = unitOf(result, static_cast<int>(i));
            if (a >= 0 && b >= 0 && a != b)
                add(a, b, in, result.layers[p].outputBytes);
        }
        if (l.unit == Unit::Analog && l.rowBlocks > 1)
            add(static_cast<int>(i), static_cast<int>(i), graph.node(l.nodeId).outputs[0], l.vectors * l.cols * 4 * (l.rowBlocks - 1));
    }
    return edges;
}

int64_t hops(const TileCoord& a, const TileCoord& b) { return std::abs(a.row - b.row) + std::abs(a.col - b.col); }

double edgeCost(const CompileResult& result, const Edge& e)
{
    const std::vector<int>& a = result.layers[e.from].tiles;
    const std::vector<int>& b = result.layers[e.to].tiles;
    if (a.empty() || b.empty())
        return 0;
    int64_t sum = 0;
    for (int x : a)
        for (int y : b)
            sum += hops(result.tiles[x].coord, result.tiles[y].coord);
    return static_cast<double>(e.bytes) * static_cast<double>(sum) / static_cast<double>(a.size() * b.size());
}

class SwapSearch {
public:
    SwapSearch(CompileResult& result, std::vector<Edge> edges) : m_result(result), m_edges(std::move(edges))
    {
        m_unitsOnTile.resize(result.tiles.size());
        for (size_t u = 0; u < result.layers.size(); ++u)
            if (unitOf(result, static_cast<int>(u)) == static_cast<int>(u))
                for (int t : result.layers[u].tiles)
                    m_unitsOnTile[t].push_back(static_cast<int>(u));
        m_edgesOfUnit.resize(result.layers.size());
        for (size_t e = 0; e < m_edges.size(); ++e) {
            m_edgesOfUnit[m_edges[e].from].push_back(static_cast<int>(e));
            if (m_edges[e].to != m_edges[e].from)
                m_edgesOfUnit[m_edges[e].to].push_back(static_cast<int>(e));
        }
    }

    // One pass over all tile pairs; returns whether any swap was made.
    bool pass()
    {
        bool improved = false;
        for (size_t i = 0; i < m_result.tiles.size(); ++i)
            for (size_t j = i + 1; j < m_result.tiles.size(); ++j) {
                if (m_unitsOnTile[i].empty() && m_unitsOnTile[j].empty())
                    continue;
                const std::vector<int> touched = touchedEdges(i, j);
                const double before = cost(touched);
                std::swap(m_result.tiles[i].coord, m_result.tiles[j].coord);
                if (cost(touched) < before - 1e-9) {
                    improved = true;
                } else {
                    std::swap(m_result.tiles[i].coord, m_result.tiles[j].coord);
                }
            }
        return improved;
    }

    double total() const
    {
        double sum = 0;
        for (const Edge& e : m_edges)
            sum += edgeCost(m_result, e);
        return sum;
    }
    const std::vector<Edge>& edges() const { return m_edges; }

private:
    std::vector<int> touchedEdges(size_t i, size_t j) const
    {
        std::vector<int> out;
        for (size_t t : {i, j})
            for (int u : m_unitsOnTile[t])
                out.insert(out.end(), m_edgesOfUnit[u].begin(), m_edgesOfUnit[u].end());
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    double cost(const std::vector<int>& edges) const
    {
        double sum = 0;
        for (int e : edges)
            sum += edgeCost(m_result, m_edges[e]);
        return sum;
    }

    CompileResult& m_result;
    std::vector<Edge> m_edges;
    std::vector<std::vector<int>> m_unitsOnTile;
    std::vector<std::vector<int>> m_edgesOfUnit;
};

// X first, then Y: every step moves to an adjacent tile.
std::vector<TileCoord> xyRoute(TileCoord a, const TileCoord& b)
{
    std::vector<TileCoord> path{a};
    while (a.col != b.col) {
        a.col += a.col < b.col ? 1 : -1;
        path.push_back(a);
    }
    while (a.row != b.row) {
        a.row += a.row < b.row ? 1 : -1;
        path.push_back(a);
    }
    return path;
}

void routeEdges(CompileResult& result, const std::vector<Edge>& edges)
{
    result.routes.clear();
    for (const Edge& e : edges) {
        const std::vector<int>& a = result.layers[e.from].tiles;
        const std::vector<int>& b = result.layers[e.to].tiles;
        if (e.from == e.to) { // partial sums to the layer's first tile
            for (size_t i = 1; i < a.size(); ++i)
                result.routes.push_back({e.from, e.to, e.value, e.bytes / static_cast<int64_t>(a.size()),
                                         xyRoute(result.tiles[a[i]].coord, result.tiles[a[0]].coord)});
            continue;
        }
        const int64_t share = e.bytes / std::max<int64_t>(1, static_cast<int64_t>(a.size() * b.size()));
        for (int x : a)
            for (int y : b)
                result.routes.push_back({e.from, e.to, e.value, share, xyRoute(result.tiles[x].coord, result.tiles[y].coord)});
    }
}

// One row of a tensor (NC[H]W...: C x W...; rank <= 2: the whole sample), in bytes.
int64_t rowBytes(const Shape& shape, int64_t bytesPerElement)
{
    int64_t n = 1;
    for (size_t d = 1; d < shape.size(); ++d)
        n *= d == 2 ? 1 : shape[d];
    return n * bytesPerElement;
}

// Rows of a value a layer keeps: kernel height + 1 for windowed inputs (the window and
// the row being refilled), else 2 (one row filled while the other is used).
int64_t linesKept(const Graph& graph, const LayerPlan& l)
{
    const Node& node = graph.node(l.nodeId);
    std::vector<int64_t> kernel = node.attrs.getInts("kernel_shape");
    if (kernel.empty() && node.hasInput(1) && graph.value(node.inputs[1]).shape.size() >= 3 && l.unit == Unit::Analog)
        kernel = {graph.value(node.inputs[1]).shape[2]};
    return kernel.empty() ? 2 : kernel[0] + 1;
}

} // namespace

// Every value a tile's layers read or write has one buffer there, of the most rows any
// of them keeps (a digital layer runs on its anchor's tiles); then the ADC scratch of a
// tile with arrays, then the accumulators of the row-split column ranges it finishes.
std::vector<TileMemory> layoutSram(const Graph& graph, const CompileResult& result)
{
    std::vector<std::map<ValueId, int64_t>> lines(result.tiles.size());
    for (const LayerPlan& l : result.layers) {
        const Node& node = graph.node(l.nodeId);
        const int64_t window = linesKept(graph, l);
        for (int t : l.tiles) {
            for (ValueId in : node.inputs)
                if (in != kNoValue && !graph.value(in).isConstant())
                    lines[t][in] = std::max(lines[t][in], window);
            for (ValueId out : node.outputs)
                lines[t][out] = std::max<int64_t>(lines[t][out], 2);
        }
    }
    std::vector<TileMemory> memory(result.tiles.size());
    for (size_t t = 0; t < result.tiles.size(); ++t) {
        TileMemory& m = memory[t];
        for (const auto& [value, rows] : lines[t]) {
            const int64_t bytes = std::max<int64_t>(1, rows * rowBytes(graph.value(value).shape, 1));
            m.values[value] = {m.bytes, bytes};
            m.bytes += bytes;
        }
        if (!result.tiles[t].arrays.empty()) {
            m.scratch = m.bytes;
            m.bytes += result.target.analog.array.cols * 8;
        }
    }
    for (const BlockPlan& b : result.blocks)
        if (b.rowBlock == 0 && b.colBegin == 0 && result.layers[b.layer].rowBlocks > 1) {
            const LayerPlan& l = result.layers[b.layer];
            TileMemory& m = memory[result.arrays[b.array].tile];
            m.accumulators[{b.layer, b.replica, b.group0}] = m.bytes;
            m.bytes += l.cols / l.groups * 8;
        }
    return memory;
}

void chargeSram(const Graph& graph, CompileResult& result)
{
    const std::vector<TileMemory> memory = layoutSram(graph, result);
    for (size_t t = 0; t < result.tiles.size(); ++t)
        result.tiles[t].sramBytes = memory[t].bytes;
}

namespace {

} // namespace

void placeOnMesh(const Graph& graph, CompileResult& result, const CompileOptions& options)
{
    SwapSearch search(result, dataflowEdges(graph, result));
    for (int p = 0; p < options.swapPasses && search.pass(); ++p) {
    }
    result.bytesHops = search.total();
    routeEdges(result, search.edges());
    std::map<std::tuple<int64_t, int64_t, int64_t, int64_t>, int64_t> linkBytes; // directed links
    int64_t busiest = 0;
    for (const Route& route : result.routes)
        for (size_t i = 1; i < route.path.size(); ++i) {
            int64_t& bytes = linkBytes[{route.path[i - 1].row, route.path[i - 1].col, route.path[i].row, route.path[i].col}];
            bytes += route.bytes;
            busiest = std::max(busiest, bytes);
        }
    const NocSpec& noc = result.target.noc;
    result.busiestLinkNs = static_cast<double>(busiest) / static_cast<double>(std::max<int64_t>(1, noc.linkBytesPerCycle)) *
                           1000.0 / noc.clockMhz;
    chargeSram(graph, result);
}

} // namespace tessera::compiler

// Estimated time per frame: arrays run their blocks in phases (blocks sharing rows or
// columns time-multiplex), tiles run the digital work; replication of bottleneck layers.
#include "compiler/Stages.h"
#include "core/target/AnalogCost.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tessera::compiler {

double phaseTimeNs(const Target& target, int inputBits, int64_t cols)
{
    const AnalogSection& a = target.analog;
    const int64_t reads = (cols + a.adc.count - 1) / std::max<int64_t>(1, a.adc.count);
    return a.mvm.setupNs + inputBits * a.mvm.nsPerInputBit + static_cast<double>(reads) * a.adc.conversionNs;
}

namespace {

std::vector<TileCoord> snakeTiles(const Target& t)
{
    std::vector<TileCoord> out;
    for (int64_t r = 0; r < t.tiles.rows; ++r)
        for (int64_t i = 0; i < t.tiles.cols; ++i) {
            const TileCoord c{r, r % 2 == 0 ? i : t.tiles.cols - 1 - i};
            const bool off = std::any_of(t.tiles.disabled.begin(), t.tiles.disabled.end(),
                                         [&](const TileCoord& d) { return d.row == c.row && d.col == c.col; });
            if (!off)
                out.push_back(c);
        }
    return out;
}

int firstLayer(const CompileResult& result, const ArrayPlan& array)
{
    int first = static_cast<int>(result.layers.size());
    for (int b : array.blocks)
        first = std::min(first, result.blocks[b].layer);
    return first;
}

// Arrays without a tile go to the next tile in snake order with room (new arrays in the
// order of their first layer); more arrays than the chip has wrap around (does not fit).
void assignTiles(CompileResult& result)
{
    if (result.tiles.empty())
        for (const TileCoord& c : snakeTiles(result.target))
            result.tiles.push_back({c, {}, 0, 0});
    std::vector<int> pending;
    for (size_t i = 0; i < result.arrays.size(); ++i)
        if (result.arrays[i].tile < 0)
            pending.push_back(static_cast<int>(i));
    std::stable_sort(pending.begin(), pending.end(), [&](int a, int b) {
        return firstLayer(result, result.arrays[a]) < firstLayer(result, result.arrays[b]);
    });
    std::vector<int64_t> load(result.tiles.size(), 0);
    for (const ArrayPlan& a : result.arrays)
        if (a.tile >= 0)
            ++load[a.tile];
    for (int id : pending) {
        size_t best = 0;
        for (size_t t = 0; t < load.size(); ++t)
            if (load[t] < result.target.analog.arraysPerTile) {
                best = t;
                break;
            } else if (load[t] < load[best]) {
                best = t;
            }
        result.arrays[id].tile = static_cast<int>(best);
        ++load[best];
    }
    for (TilePlan& tile : result.tiles)
        tile.arrays.clear();
    for (size_t i = 0; i < result.arrays.size(); ++i)
        result.tiles[result.arrays[i].tile].arrays.push_back(static_cast<int>(i));
}

int64_t blockWork(const CompileResult& result, const BlockPlan& b)
{
    const LayerPlan& l = result.layers[b.layer];
    return (l.vectors + l.replicas - 1) / std::max(1, l.replicas);
}

// Phases by core's rule (core/target/AnalogCost.h): blocks sharing rows or columns
// time-multiplex, heaviest first.
void scheduleArray(CompileResult& result, ArrayPlan& array)
{
    std::vector<ArrayBlock> rects;
    for (int id : array.blocks) {
        const BlockPlan& b = result.blocks[id];
        rects.push_back({b.row0, b.rows, b.col0, b.cols, blockWork(result, b)});
    }
    std::vector<std::vector<int>> phases = arrayPhases(rects);
    for (size_t p = 0; p < phases.size(); ++p)
        for (int& id : phases[p]) {
            id = array.blocks[id];
            result.blocks[id].phase = static_cast<int>(p);
        }
    array.phases = static_cast<int>(phases.size());
    array.nsPerFrame = 0;
    for (const std::vector<int>& phase : phases) {
        int64_t cols = 0, work = 0;
        int bits = 1;
        for (int id : phase) {
            cols += result.blocks[id].cols;
            work = std::max(work, blockWork(result, result.blocks[id]));
            bits = std::max(bits, result.layers[result.blocks[id].layer].inputBits);
        }
        const double read = phaseTimeNs(result.target, bits, cols);
        for (int id : phase)
            result.blocks[id].nsPerFrame = static_cast<double>(blockWork(result, result.blocks[id])) * read;
        array.nsPerFrame += static_cast<double>(work) * read;
    }
}

double digitalNs(const Target& t, const LayerPlan& l, double ops)
{
    if (l.unit == Unit::Processor)
        return ops * 1000.0 / t.processor.clockMhz;
    return ops / static_cast<double>(t.simd.lanes) * 1000.0 / t.simd.clockMhz;
}

void collectLayerPlaces(CompileResult& result)
{
    for (LayerPlan& l : result.layers) {
        l.arrays.clear();
        l.tiles.clear();
    }
    for (size_t i = 0; i < result.arrays.size(); ++i)
        for (int b : result.arrays[i].blocks) {
            LayerPlan& l = result.layers[result.blocks[b].layer];
            if (l.arrays.empty() || l.arrays.back() != static_cast<int>(i))
                l.arrays.push_back(static_cast<int>(i));
        }
    for (LayerPlan& l : result.layers) {
        std::set<int> tiles;
        for (int a : l.arrays)
            tiles.insert(result.arrays[a].tile);
        l.tiles.assign(tiles.begin(), tiles.end());
    }
    for (LayerPlan& l : result.layers)
        if (l.unit != Unit::Analog)
            l.tiles = l.hostTile >= 0 ? std::vector<int>{l.hostTile}
                      : l.anchor >= 0 ? result.layers[l.anchor].tiles
                                      : std::vector<int>{0};
}

} // namespace

double scheduleTiming(CompileResult& result)
{
    assignTiles(result);
    collectLayerPlaces(result);
    for (ArrayPlan& a : result.arrays)
        scheduleArray(result, a);
    for (TilePlan& t : result.tiles)
        t.simdNsPerFrame = 0;
    for (const LayerPlan& l : result.layers)
        for (int t : l.tiles)
            result.tiles[t].simdNsPerFrame += digitalNs(result.target, l, l.simdOps / static_cast<double>(l.tiles.size()));
    double worst = 1.0;
    for (LayerPlan& l : result.layers) {
        l.nsPerFrame = 0;
        for (int a : l.arrays)
            l.nsPerFrame = std::max(l.nsPerFrame, result.arrays[a].nsPerFrame);
        for (int t : l.tiles)
            l.nsPerFrame = std::max(l.nsPerFrame, result.tiles[t].simdNsPerFrame);
        worst = std::max(worst, l.nsPerFrame);
    }
    return 1e9 / worst;
}

namespace {

// The layer to replicate: on the slowest array the block taking the most time; on the
// slowest tile the layer with the most digital work there (its analog unit).
int bottleneckLayer(const CompileResult& result)
{
    int array = -1, tile = -1;
    double worst = 0;
    for (size_t i = 0; i < result.arrays.size(); ++i)
        if (result.arrays[i].nsPerFrame > worst) {
            worst = result.arrays[i].nsPerFrame;
            array = static_cast<int>(i);
        }
    for (size_t i = 0; i < result.tiles.size(); ++i)
        if (result.tiles[i].simdNsPerFrame > worst) {
            worst = result.tiles[i].simdNsPerFrame;
            tile = static_cast<int>(i);
            array = -1;
        }
    int best = -1;
    double bestNs = -1;
    if (array >= 0) {
        for (int b : result.arrays[array].blocks)
            if (result.blocks[b].nsPerFrame > bestNs) {
                bestNs = result.blocks[b].nsPerFrame;
                best = result.blocks[b].layer;
            }
        return best;
    }
    if (tile < 0)
        return -1;
    for (size_t i = 0; i < result.layers.size(); ++i) {
        const LayerPlan& l = result.layers[i];
        if (std::find(l.tiles.begin(), l.tiles.end(), tile) == l.tiles.end())
            continue;
        const double share = l.simdOps / static_cast<double>(l.tiles.size());
        if (share > bestNs) {
            bestNs = share;
            best = unitOf(result, static_cast<int>(i));
        }
    }
    return best;
}

// What replication changes, to undo a replica that does not help.
struct Snapshot {
    std::vector<LayerPlan> layers;
    std::vector<BlockPlan> blocks;
    std::vector<ArrayPlan> arrays;
    std::vector<TilePlan> tiles;
    explicit Snapshot(const CompileResult& r) : layers(r.layers), blocks(r.blocks), arrays(r.arrays), tiles(r.tiles) {}
    void restore(CompileResult& r) const
    {
        r.layers = layers;
        r.blocks = blocks;
        r.arrays = arrays;
        r.tiles = tiles;
    }
};

// The analog layer with the most output bytes among those with blocks on `tile`'s arrays
// (its digital followers move with it); -1 when the tile holds a single layer.
int layerToEvict(const CompileResult& result, int tile)
{
    std::vector<int> layers;
    for (int a : result.tiles[tile].arrays)
        for (int b : result.arrays[a].blocks)
            layers.push_back(result.blocks[b].layer);
    std::sort(layers.begin(), layers.end());
    layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
    if (layers.size() < 2)
        return -1;
    int best = layers[0];
    for (int l : layers)
        if (result.layers[l].outputBytes > result.layers[best].outputBytes)
            best = l;
    return best;
}

// Removes `layer`'s blocks from `array`, appending them to `taken`.
void takeLayerBlocks(CompileResult& result, ArrayPlan& array, int layer, std::vector<int>& taken)
{
    std::vector<int> kept;
    for (int b : array.blocks)
        if (result.blocks[b].layer == layer) {
            taken.push_back(b);
            array.usedCells -= result.blocks[b].rows * result.blocks[b].cols;
        } else {
            kept.push_back(b);
        }
    array.blocks = kept;
}

std::vector<int> takeBlocks(CompileResult& result, int tile, int layer)
{
    std::vector<int> taken;
    for (int a : result.tiles[tile].arrays)
        takeLayerBlocks(result, result.arrays[a], layer, taken);
    return taken;
}

// Moves the digital layer with the most output bytes off `tile`; each digital layer moves
// at most once.
bool moveDigitalLayer(CompileResult& result, int tile)
{
    int best = -1;
    for (size_t i = 0; i < result.layers.size(); ++i) {
        const LayerPlan& l = result.layers[i];
        if (l.unit == Unit::Analog || l.hostTile >= 0 || std::find(l.tiles.begin(), l.tiles.end(), tile) == l.tiles.end())
            continue;
        if (best < 0 || l.outputBytes > result.layers[best].outputBytes)
            best = static_cast<int>(i);
    }
    // The least busy tile with at least half its SRAM free, else the one with the most free.
    int dest = -1;
    const int64_t half = result.target.tiles.sramBytes / 2;
    for (size_t t = 0; t < result.tiles.size(); ++t) {
        const TilePlan& c = result.tiles[t];
        if (static_cast<int>(t) == tile)
            continue;
        const bool roomy = c.sramBytes <= half;
        const bool better = dest < 0 || (roomy && result.tiles[dest].sramBytes > half) ||
                            (roomy ? c.simdNsPerFrame < result.tiles[dest].simdNsPerFrame
                                   : result.tiles[dest].sramBytes > half && c.sramBytes < result.tiles[dest].sramBytes);
        if (better)
            dest = static_cast<int>(t);
    }
    if (best < 0 || dest < 0)
        return false;
    result.layers[best].hostTile = dest;
    return true;
}

// Moves replica 0 of `layer` off arrays it shares with other layers into arrays of its own
// (block-diagonal): it then no longer waits for their phases. False when there is nothing
// to move or no room.
bool relocateLayer(CompileResult& result, int layer, int64_t limit)
{
    std::vector<int> moved;
    for (ArrayPlan& array : result.arrays) {
        const bool shared = std::any_of(array.blocks.begin(), array.blocks.end(),
                                        [&](int b) { return result.blocks[b].layer != layer; });
        if (shared)
            takeLayerBlocks(result, array, layer, moved);
    }
    return !moved.empty() && packDiagonal(result, moved, limit);
}

} // namespace

int sramOverflow(const CompileResult& result)
{
    int worst = -1;
    for (size_t t = 0; t < result.tiles.size(); ++t)
        if (result.tiles[t].sramBytes > result.target.tiles.sramBytes &&
            (worst < 0 || result.tiles[t].sramBytes > result.tiles[worst].sramBytes))
            worst = static_cast<int>(t);
    return worst;
}

void relieveSram(const Graph& graph, CompileResult& result, ProgressSink& progress)
{
    const int64_t limit = result.target.totalArrays();
    for (;;) {
        progress.checkpoint(0.5, "moving layers off tiles short of SRAM");
        scheduleTiming(result);
        chargeSram(graph, result);
        const int tile = sramOverflow(result);
        if (tile < 0 || static_cast<int64_t>(result.arrays.size()) >= limit)
            return;
        const int layer = layerToEvict(result, tile);
        if (layer < 0) {
            if (!moveDigitalLayer(result, tile))
                return;
            continue;
        }
        const std::vector<int> blocks = takeBlocks(result, tile, layer);
        if (!packDiagonal(result, blocks, limit)) { // put them back
            for (int b : blocks) {
                ArrayPlan& array = result.arrays[result.blocks[b].array];
                array.blocks.push_back(b);
                array.usedCells += result.blocks[b].rows * result.blocks[b].cols;
            }
            return;
        }
    }
}

void replicateBottlenecks(const Graph& graph, CompileResult& result, const CompileOptions& options, ProgressSink& progress)
{
    const int64_t limit = result.target.totalArrays();
    double fps = scheduleTiming(result);
    if (!options.replicate || static_cast<int64_t>(result.arrays.size()) >= limit)
        return;
    std::vector<bool> tried(result.layers.size(), false); // relocation tried
    for (;;) {
        progress.checkpoint(0.6 + 0.3 * static_cast<double>(result.arrays.size()) / static_cast<double>(limit),
                            "replicating bottleneck layers");
        const int layer = bottleneckLayer(result);
        if (layer < 0 || result.layers[layer].unit != Unit::Analog || result.layers[layer].replicas >= options.maxReplicas)
            break;
        Snapshot before(result);
        const bool relocate = !tried[layer];
        tried[layer] = true;
        if (!relocate || !relocateLayer(result, layer, limit)) {
            if (relocate)
                before.restore(result);
            LayerPlan& plan = result.layers[layer];
            ++plan.replicas;
            const std::vector<int> ids = splitLayer(result, layer, plan.replicas - 1);
            if (!packDiagonal(result, ids, limit)) {
                before.restore(result);
                break;
            }
        }
        relieveSram(graph, result, progress); // the replica's tile holds its digital followers too
        const double next = scheduleTiming(result);
        chargeSram(graph, result);
        if (next < fps || sramOverflow(result) >= 0) {
            before.restore(result);
            if (relocate)
                continue; // the layer gets a replica instead
            break;
        }
        fps = next;
    }
    scheduleTiming(result);
    chargeSram(graph, result);
}

} // namespace tessera::compiler

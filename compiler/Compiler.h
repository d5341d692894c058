#pragma once
// The graph compiler: maps a graph (optionally quantized by a spec) onto a hardware target.
// Stages (docs/compiler.md), each a function of the previous stage's data only:
//   partition   every node -> analog arrays, or the tile's SIMD engine / processor (registry
//               placement column via isLowerableAnalogNode); depthwise layers by cost
//   lowering    each analog layer's [N, K] view (groups), programmed from the spec (or from
//               the weights alone, 8 bits); bias, activation, requantization = digital epilogue
//   splitting   row blocks of the array's rows (the quantizer's rowsPerBlock: one ADC read
//               each, summed digitally) and column blocks of the array's columns
//   packing     2-D bin packing of the blocks into arrays (MaxRects, largest first)
//   schedule    per-array phases (blocks sharing rows or columns time-multiplex), estimated
//               time per frame, replication of bottleneck layers into spare arrays
//   placement   arrays onto the tile mesh (snake order, then swaps lowering bytes x hops),
//               XY routes of every edge, activation buffers checked against tile SRAM
#include "core/Graph.h"
#include "core/Progress.h"
#include "core/analog/AnalogModel.h"
#include "core/quantspec/QuantSpec.h"
#include "core/target/Target.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::compiler {

struct CompileOptions {
    bool replicate = true;     // copy bottleneck layers into spare arrays
    int maxReplicas = 64;      // per layer
    int defaultWeightBits = 8; // without a spec: weights alone, this many bits
    int swapPasses = 4;        // placement: passes of pairwise tile swaps
};

// Where a node runs.
enum class Unit { Analog, Simd, Processor };
const char* unitName(Unit unit);

struct LayerPlan {
    std::string node;
    std::string opType;
    NodeId nodeId = kNoNode;
    Unit unit = Unit::Simd;
    std::string reason;
    // Analog layers (unit == Analog):
    int64_t rows = 0;   // K per group
    int64_t cols = 0;   // N, all groups
    int64_t groups = 1;
    int64_t groupsPerBlock = 1; // consecutive groups laid block-diagonally in one block
    int64_t rowBlocks = 1;      // per group
    int64_t colBlocks = 1;      // per group
    int64_t weightCells = 0;    // cells holding weights (one replica)
    int64_t vectors = 0;        // input vectors per frame
    int inputBits = 8;
    int weightBits = 8;
    int replicas = 1;
    int programmed = -1; // index into CompileResult::programmed
    // Every layer:
    double simdOps = 0.0;  // digital work per frame (epilogue, accumulate, or the op itself)
    int anchor = -1;       // digital layers: the analog layer whose tiles run them
    int hostTile = -1;     // digital layers moved off a tile short of SRAM: the tile running them
    double nsPerFrame = 0; // estimated: the slowest array or tile it uses
    std::vector<int> arrays; // all replicas
    std::vector<int> tiles;
    int64_t outputBytes = 0; // per frame
};

struct BlockPlan {
    int layer = -1;
    int replica = 0;
    int64_t group0 = 0, groupCount = 1;
    int64_t rowBlock = 0, colBlock = 0;
    int64_t rowBegin = 0, colBegin = 0; // first weight row (k) and column (n within the group)
    int64_t rows = 0, cols = 0; // footprint in cells
    int64_t weightCells = 0;
    int array = -1;
    int64_t row0 = 0, col0 = 0;
    int phase = 0; // blocks of one array in the same phase compute together
    double nsPerFrame = 0; // its share of the array's time: work x its phase's read time
};

struct ArrayPlan {
    int tile = -1; // index into CompileResult::tiles
    std::vector<int> blocks;
    int64_t usedCells = 0; // footprint cells of its blocks
    int phases = 0;
    double nsPerFrame = 0;
};

struct TilePlan {
    TileCoord coord;
    std::vector<int> arrays;
    int64_t sramBytes = 0; // activation buffers of what it runs
    double simdNsPerFrame = 0;
};

struct Route {
    int fromLayer = -1, toLayer = -1; // from == to: partial sums of row blocks
    ValueId value = kNoValue;         // what travels
    int64_t bytes = 0; // per frame, this tile pair's share
    std::vector<TileCoord> path; // producer tile ... consumer tile (XY, adjacent steps)
};

struct CompileResult {
    std::string model;
    Target target;
    std::vector<LayerPlan> layers; // topological order
    std::vector<BlockPlan> blocks;
    std::vector<ArrayPlan> arrays;
    std::vector<TilePlan> tiles; // enabled tiles of the mesh
    std::vector<Route> routes;
    std::vector<analog::ProgrammedLayer> programmed;
    int64_t weightCells = 0;
    int64_t arraysUnreplicated = 0;
    int64_t arraysLowerBound = 0;
    int64_t arraysSramRelieved = 0; // after moving layers off tiles short of SRAM
    int64_t tilesUsed = 0;
    bool fits = false;
    std::string fitMessage; // why it does not fit and what would make it fit
    double fps = 0, fpsUnreplicated = 0;
    double bytesHops = 0;
    double busiestLinkNs = 0; // per frame, the NoC link carrying the most bytes
    bool nocLimited = false;  // fps is the busiest link's, not the slowest array's or tile's
    double compileSeconds = 0;
};

// Throws tessera::Error naming the node/layer; Cancelled via `progress`.
CompileResult compileGraph(const Graph& graph, const Target& target, const QuantSpec* spec,
                           const CompileOptions& options = {}, ProgressSink* progress = nullptr);

nlohmann::json reportJson(const CompileResult& result);
std::string reportText(const CompileResult& result);

} // namespace tessera::compiler

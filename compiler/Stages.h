#pragma once
// The compiler's stages (internal): each reads and extends a CompileResult.
#include "compiler/Compiler.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace tessera::compiler {

// Partition + lowering + programming: fills result.layers (topological order) and
// result.programmed; depthwise layers decided by cost (Partition.cpp).
void partitionGraph(const Graph& graph, const QuantSpec* spec, const CompileOptions& options, CompileResult& result);

// Cells a weight of `weightBits` takes on the target: ceil(weightBits / bitsPerCell).
int64_t cellsPerWeight(const Target& target, int weightBits);
// Splits one replica of analog layer `layer` into blocks (appended to result.blocks);
// returns their indices (Packing.cpp).
std::vector<int> splitLayer(CompileResult& result, int layer, int replica);
// Packs blocks into new or partly used arrays (MaxRects, best short side fit, largest first).
void packBlocks(CompileResult& result, const std::vector<int>& blocks);
// Packs blocks block-diagonally (disjoint rows and columns: they compute together) into
// arrays opened for them; returns false (and packs nothing) when more than `arrayLimit`
// arrays would be used in all.
bool packDiagonal(CompileResult& result, const std::vector<int>& blocks, int64_t arrayLimit);

// Time of one analog read of `cols` columns at `inputBits` (Target.h's MVM model).
double phaseTimeNs(const Target& target, int inputBits, int64_t cols);
// Arrays -> tiles in snake order (arrays sorted by their first layer), phases, times per
// frame of arrays, tiles and layers; returns frames per second (Schedule.cpp).
double scheduleTiming(CompileResult& result);
// Replicates bottleneck layers while spare arrays remain and fps improves.
// The tile most over its SRAM, or -1.
int sramOverflow(const CompileResult& result);
// Moves layers off tiles whose activation buffers exceed SRAM into spare arrays, the layer
// with the largest activations first, while spare arrays remain.
void relieveSram(const Graph& graph, CompileResult& result, ProgressSink& progress);
void replicateBottlenecks(const Graph& graph, CompileResult& result, const CompileOptions& options, ProgressSink& progress);

// Pairwise tile swaps lowering sum(bytes x hops), routes, SRAM use (Placement.cpp).
void placeOnMesh(const Graph& graph, CompileResult& result, const CompileOptions& options);
// A tile's SRAM: activation buffers by value (offset, bytes), the ADC scratch (-1: no
// arrays), the accumulators (all of a group's columns, int64) of the row-split layers'
// (layer, replica, group) whose first block it holds: partial sums are added there.
struct TileMemory {
    std::map<ValueId, std::pair<int64_t, int64_t>> values;
    int64_t scratch = -1;
    std::map<std::tuple<int, int, int64_t>, int64_t> accumulators;
    int64_t bytes = 0;
};
std::vector<TileMemory> layoutSram(const Graph& graph, const CompileResult& result);
// Activation buffers of every tile (TilePlan::sramBytes).
void chargeSram(const Graph& graph, CompileResult& result);
// Layers whose tiles carry layer `i`'s traffic: itself when analog, else its anchor.
int unitOf(const CompileResult& result, int layer);

// Fits + the message saying what would make it fit (Report.cpp).
void decideFit(CompileResult& result);

} // namespace tessera::compiler

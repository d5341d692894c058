#pragma once
// Code generation (internal to the compiler): the tile programs of a package, emitted in
// one global walk over the layers in graph order, so that every RECV comes after its SEND
// in that order and the programs cannot deadlock (docs/package-format.md, "Programs").
#include "compiler/Compiler.h"
#include "core/package/Package.h"

#include <cstdint>
#include <vector>

namespace tessera::compiler {

// Index of a result tile on the target's mesh (row-major), the tile id the package uses.
int64_t physicalTile(const CompileResult& r, int tile);

// What the package tables decided, by result layer / block.
struct CodePlan {
    std::vector<int64_t> packageLayer; // result layer -> package layer (-1: digital)
    std::vector<int64_t> digitalOp;    // result layer -> package digital op (-1: analog)
    std::vector<int> digitalTile;      // per package digital op: the result tile running it
    std::vector<int> simdTile;         // per package layer: the result tile of a SIMD layer
    struct Pieces {
        int tile = -1;                   // result tile
        int64_t array = 0;               // array index within the tile
        std::vector<int64_t> placed;     // PlacedBlock indices on that array (one per group)
    };
    std::vector<Pieces> pieces; // by result block
};

// Fills pkg.programs (tiles ascending, each ending with HALT).
void generatePrograms(const Graph& graph, const CompileResult& result, const CodePlan& plan, package::Package& pkg);

} // namespace tessera::compiler

// CompileResult -> package::Package. Tile programs, per tile: for every array and phase,
// drive the inputs of the phase's blocks, one MVM each, ADC read of each block into the
// scratch; single-row-block layers go straight through the epilogue, row-split ranges are
// accumulated on the tile holding their first row block (other tiles send their partial
// sums there); then the tile's digital ops, the activations sent to consumer tiles and
// received from producers, a barrier and HALT.
#include "compiler/PackageBuilder.h"

#include "compiler/Stages.h"
#include "core/Error.h"

#include <algorithm>
#include <cstdio>
#include <map>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tessera::compiler {

namespace {

using namespace tessera::package;
using analog::ProgrammedLayer;

int64_t physicalTile(const CompileResult& r, int tile)
{
    return r.tiles[tile].coord.row * r.target.tiles.cols + r.tiles[tile].coord.col;
}

ElementType elementType(const TensorQuant* tq, DType dtype)
{
    if (dtype == DType::Int64)
        return ElementType::Int64;
    if (!tq)
        return ElementType::Int8;
    if (!tq->quantized)
        return ElementType::Float32;
    if (tq->bits <= 8)
        return tq->isSigned ? ElementType::Int8 : ElementType::UInt8;
    return tq->bits <= 16 ? ElementType::Int16 : ElementType::Int32;
}

struct Builder {
    const Graph& graph;
    const CompileResult& r;
    const QuantSpec* spec;
    Package pkg;
    std::vector<TileMemory> memory;
    std::map<ValueId, int64_t> tensorOf;
    std::vector<int64_t> packageLayer;           // result layer -> package layer (-1)
    std::map<int, std::vector<int64_t>> pieces;  // block -> its PlacedBlock indices on its array
    std::vector<std::vector<Instruction>> code;  // per result tile

    int64_t tensor(ValueId v)
    {
        auto it = tensorOf.find(v);
        if (it != tensorOf.end())
            return it->second;
        const Value& value = graph.value(v);
        PackageTensor t;
        t.id = static_cast<int64_t>(pkg.tensors.size());
        t.name = value.name;
        t.shape = value.shape;
        const TensorQuant* tq = spec ? spec->findTensor(value.name) : nullptr;
        t.type = elementType(tq, value.dtype);
        if (tq)
            t.quant = {tq->quantized, tq->scale, tq->bits, tq->isSigned};
        for (size_t tile = 0; tile < memory.size(); ++tile) {
            auto m = memory[tile].values.find(v);
            if (m != memory[tile].values.end())
                t.placements.push_back({physicalTile(r, static_cast<int>(tile)), m->second.first, m->second.second});
        }
        pkg.tensors.push_back(t);
        return tensorOf[v] = t.id;
    }

    void addLayers()
    {
        packageLayer.assign(r.layers.size(), -1);
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const LayerPlan& l = r.layers[i];
            if (l.unit != Unit::Analog)
                continue;
            if (cellsPerWeight(r.target, l.weightBits) != 1)
                fail("layer '", l.node, "': ", l.weightBits, "-bit weights take several ", r.target.analog.array.bitsPerCell,
                     "-bit cells; the package stores one level per cell");
            const Node& node = graph.node(l.nodeId);
            PackageLayer p;
            p.programmed = r.programmed[l.programmed];
            p.colsPerBlock = r.target.analog.array.cols;
            p.replicas = l.replicas;
            p.inputTensor = tensor(node.inputs[0]);
            p.outputTensor = tensor(node.outputs[0]);
            packageLayer[i] = static_cast<int64_t>(pkg.layers.size());
            pkg.layers.push_back(std::move(p));
        }
    }

    // One PlacedBlock per group of the block, its levels written into the image.
    void placeBlock(int id, ArrayImage& image)
    {
        const BlockPlan& b = r.blocks[id];
        const LayerPlan& l = r.layers[b.layer];
        const ProgrammedLayer& prog = r.programmed[l.programmed];
        const int64_t groupCols = l.cols / l.groups;
        const int64_t rows = b.groupCount > 1 ? l.rows : b.rows, cols = b.groupCount > 1 ? groupCols : b.cols;
        for (int64_t g = 0; g < b.groupCount; ++g) {
            PlacedBlock p;
            p.layer = packageLayer[b.layer];
            p.group = b.group0 + g;
            p.replica = b.replica;
            p.rowBegin = b.rowBegin;
            p.rowEnd = b.rowBegin + rows;
            p.colBegin = p.group * groupCols + b.colBegin;
            p.colEnd = p.colBegin + cols;
            p.row0 = b.row0 + g * rows;
            p.col0 = b.col0 + g * cols;
            for (int64_t n = p.colBegin; n < p.colEnd; ++n)
                for (int64_t k = p.rowBegin; k < p.rowEnd; ++k)
                    image.levels[(p.row0 + k - p.rowBegin) * image.cols + p.col0 + n - p.colBegin] =
                        prog.levels[n * l.rows + k];
            pieces[id].push_back(static_cast<int64_t>(image.blocks.size()));
            image.blocks.push_back(p);
        }
    }

    void addArrays()
    {
        for (size_t t = 0; t < r.tiles.size(); ++t)
            for (size_t j = 0; j < r.tiles[t].arrays.size(); ++j) {
                const ArrayPlan& a = r.arrays[r.tiles[t].arrays[j]];
                ArrayImage image;
                image.tile = physicalTile(r, static_cast<int>(t));
                image.array = static_cast<int64_t>(j);
                image.rows = r.target.analog.array.rows;
                image.cols = r.target.analog.array.cols;
                image.levels.assign(static_cast<size_t>(image.rows * image.cols), 0);
                for (int b : a.blocks)
                    placeBlock(b, image);
                pkg.arrays.push_back(std::move(image));
            }
        std::sort(pkg.arrays.begin(), pkg.arrays.end(),
                  [](const ArrayImage& x, const ArrayImage& y) { return std::make_pair(x.tile, x.array) < std::make_pair(y.tile, y.array); });
    }

    int64_t valueOffset(int tile, ValueId v, int64_t at, int64_t bytes) const
    {
        const auto& [offset, size] = memory[tile].values.at(v);
        return offset + std::max<int64_t>(0, std::min(at, size - bytes));
    }

    int homeTile(const BlockPlan& b) const
    {
        for (const BlockPlan& o : r.blocks)
            if (o.layer == b.layer && o.replica == b.replica && o.group0 == b.group0 && o.colBegin == 0 && o.rowBlock == 0)
                return r.arrays[o.array].tile;
        return r.arrays[b.array].tile;
    }

    // Drive, multiply and read one phase of an array; then the epilogue or the partial sums.
    void emitPhase(int tile, int64_t arrayIndex, const std::vector<int>& blocks)
    {
        std::vector<Instruction>& out = code[tile];
        for (int id : blocks)
            for (int64_t piece : pieces[id]) {
                const BlockPlan& b = r.blocks[id];
                const ProgrammedLayer& prog = r.programmed[r.layers[b.layer].programmed];
                const int64_t rows = b.groupCount > 1 ? r.layers[b.layer].rows : b.rows;
                const int64_t k0 = (b.group0 + piece - pieces[id].front()) * r.layers[b.layer].rows + b.rowBegin;
                const int64_t at = valueOffset(tile, graph.node(r.layers[b.layer].nodeId).inputs[0], k0, rows);
                const int64_t row0 = b.row0 + (piece - pieces[id].front()) * rows;
                out.push_back(driveInputs(arrayIndex, at, row0, row0 + rows, prog.params.numerics.inputBits,
                                          prog.params.numerics.inputSigned));
            }
        for (int id : blocks)
            for (int64_t piece : pieces[id])
                out.push_back(analogMvm(arrayIndex, piece));
        for (int id : blocks)
            emitReadout(tile, arrayIndex, id);
    }

    void emitReadout(int tile, int64_t arrayIndex, int id)
    {
        const BlockPlan& b = r.blocks[id];
        const LayerPlan& l = r.layers[b.layer];
        const ProgrammedLayer& prog = r.programmed[l.programmed];
        const int64_t scratch = memory[tile].scratch;
        const ValueId output = graph.node(l.nodeId).outputs[0];
        const int64_t codeBytes = (prog.params.output.bits + 7) / 8;
        for (int64_t piece : pieces[id]) {
            const ArrayImage& image = imageOf(tile, arrayIndex);
            const PlacedBlock& p = image.blocks[piece];
            const int64_t n = p.colEnd - p.colBegin;
            out(tile).push_back(adcRead(arrayIndex, p.col0, p.col0 + n, prog.params.numerics.adcBits,
                                        prog.adcShifts[b.rowBlock], scratch));
            if (l.rowBlocks == 1) {
                out(tile).push_back(simdOp(SimdKind::Epilogue, valueOffset(tile, output, p.colBegin * codeBytes, n * codeBytes),
                                           scratch, p.colBegin, n, packageLayer[b.layer]));
                continue;
            }
            const int home = homeTile(b);
            if (home != tile) {
                out(tile).push_back(sendTo(physicalTile(r, home), scratch, n * 8));
                out(home).push_back(recvFrom(physicalTile(r, tile), memory[home].scratch, n * 8));
            }
            const int64_t acc = memory[home].accumulators.at({b.layer, b.replica, b.group0});
            out(home).push_back(accumulate(acc + b.colBegin * 8, memory[home].scratch, n));
        }
    }

    std::vector<Instruction>& out(int tile) { return code[tile]; }

    const ArrayImage& imageOf(int tile, int64_t arrayIndex) const
    {
        for (const ArrayImage& a : pkg.arrays)
            if (a.tile == physicalTile(r, tile) && a.array == arrayIndex)
                return a;
        fail("internal: no array image");
    }

    // Row-split groups finished on `tile`: epilogue from the accumulator, which is then zeroed.
    void emitEpilogues(int tile)
    {
        for (const auto& [key, acc] : memory[tile].accumulators) {
            const auto& [layer, replica, group] = key;
            const LayerPlan& l = r.layers[layer];
            const ProgrammedLayer& prog = r.programmed[l.programmed];
            const int64_t n = l.cols / l.groups;
            const int64_t n0 = group * n, codeBytes = (prog.params.output.bits + 7) / 8;
            const ValueId output = graph.node(l.nodeId).outputs[0];
            out(tile).push_back(simdOp(SimdKind::Epilogue, valueOffset(tile, output, n0 * codeBytes, n * codeBytes), acc, n0, n,
                                       packageLayer[layer]));
            out(tile).push_back(simdOp(SimdKind::Zero, acc, 0, 0, n * 8, 0));
        }
    }

    void addDigitalOps()
    {
        for (const LayerPlan& l : r.layers) {
            if (l.unit == Unit::Analog)
                continue;
            const Node& node = graph.node(l.nodeId);
            DigitalOp op;
            op.opType = l.opType;
            for (ValueId v : node.inputs)
                if (v != kNoValue && !graph.value(v).isConstant())
                    op.inputs.push_back(tensor(v));
            for (ValueId v : node.outputs)
                op.outputs.push_back(tensor(v));
            const int tile = l.tiles.empty() ? 0 : l.tiles[0];
            op.tile = physicalTile(r, tile);
            out(tile).push_back(simdOp(SimdKind::DigitalOp, 0, 0, 0, 0, static_cast<int64_t>(pkg.digitalOps.size())));
            pkg.digitalOps.push_back(std::move(op));
        }
    }

    int tileAt(const TileCoord& c) const
    {
        for (size_t t = 0; t < r.tiles.size(); ++t)
            if (r.tiles[t].coord.row == c.row && r.tiles[t].coord.col == c.col)
                return static_cast<int>(t);
        return -1;
    }

    // One row of the value per route, from the producer tile's buffer to the consumer's.
    void addTransfers()
    {
        for (const Route& route : r.routes) {
            const int from = tileAt(route.path.front()), to = tileAt(route.path.back());
            if (route.fromLayer == route.toLayer || from == to || !memory[from].values.count(route.value) ||
                !memory[to].values.count(route.value))
                continue;
            const int64_t bytes = std::min(memory[from].values.at(route.value).second, memory[to].values.at(route.value).second);
            out(from).push_back(sendTo(physicalTile(r, to), memory[from].values.at(route.value).first, bytes));
            out(to).push_back(recvFrom(physicalTile(r, from), memory[to].values.at(route.value).first, bytes));
        }
    }
};

} // namespace

std::string specContentHash(const QuantSpec& spec)
{
    const std::string text = toJson(spec).dump();
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
    return std::string("xxh3-64:") + hex;
}

Package buildPackage(const Graph& graph, const CompileResult& result, const QuantSpec* spec, const PackageIdentity& identity)
{
    if (!result.fits)
        fail(identity.modelName, ": ", result.fitMessage);
    Builder b{graph, result, spec, {}, layoutSram(graph, result), {}, {}, {}, {}};
    b.pkg.header.tesseraVersion = tesseraVersion();
    b.pkg.header.target = summarizeTarget(result.target);
    b.pkg.header.modelName = identity.modelName;
    b.pkg.header.modelHash = identity.modelHash;
    b.pkg.header.specHash = identity.specHash;
    b.code.resize(result.tiles.size());
    for (ValueId v : graph.inputs())
        b.pkg.inputs.push_back(b.tensor(v));
    b.addLayers();
    b.addArrays();
    for (size_t t = 0; t < result.tiles.size(); ++t)
        for (size_t j = 0; j < result.tiles[t].arrays.size(); ++j) {
            const ArrayPlan& a = result.arrays[result.tiles[t].arrays[j]];
            for (int phase = 0; phase < a.phases; ++phase) {
                std::vector<int> blocks;
                for (int id : a.blocks)
                    if (result.blocks[id].phase == phase)
                        blocks.push_back(id);
                b.emitPhase(static_cast<int>(t), static_cast<int64_t>(j), blocks);
            }
        }
    for (size_t t = 0; t < result.tiles.size(); ++t)
        b.emitEpilogues(static_cast<int>(t));
    b.addDigitalOps();
    b.addTransfers();
    for (ValueId v : graph.outputs())
        b.pkg.outputs.push_back(b.tensor(v));
    std::vector<std::pair<int64_t, int>> order;
    for (size_t t = 0; t < result.tiles.size(); ++t)
        if (!b.code[t].empty())
            order.push_back({physicalTile(result, static_cast<int>(t)), static_cast<int>(t)});
    std::sort(order.begin(), order.end());
    for (const auto& [phys, t] : order) {
        TileProgram p{phys, std::move(b.code[t])};
        p.code.push_back(syncBarrier(0));
        p.code.push_back(halt());
        b.pkg.programs.push_back(std::move(p));
    }
    return b.pkg;
}

} // namespace tessera::compiler

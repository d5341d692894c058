// Tile programs of a package (docs/package-format.md, "Programs"). For every layer in graph
// order, on the tiles that run it:
//   analog layer, per replica r (vectors [V r / R, V (r+1) / R) of the frame):
//     every tile holding blocks of the replica, the replica's home tile first:
//       receive the input tensor if another tile made it; GATHER; CLEAR;
//       per array: DRIVE, then MVM and ADC per placed block;
//       tiles other than the home: SEND the partial sums, the home RECVs them with add
//     home: EPILOGUE (not for col2im layers); homes other than the layer's: SEND the
//     output codes (col2im layers: the accumulators) to the layer's home tile
//   then the layer's home tile: SCATTER into the output tensor
//   digital op: receive its inputs, DIGITAL
// and at the end the model's outputs to the host. Tensors cross tiles once per consumer tile.
#include "compiler/CodeGen.h"

#include "core/Error.h"

#include <algorithm>
#include <map>
#include <set>

namespace tessera::compiler {

namespace {

using namespace tessera::package;

struct Emitter {
    const Graph& graph;
    const CompileResult& r;
    const CodePlan& plan;
    Package& pkg;
    std::vector<std::vector<Instruction>> code;   // per result tile
    std::vector<std::set<int64_t>> held;          // tensors each result tile holds
    std::map<int64_t, int> producer;              // tensor -> result tile (-1: host)

    int64_t phys(int tile) const { return physicalTile(r, tile); }

    // Makes tensor `id` available on `tile`: from the host, or sent by its producer.
    void ensure(int tile, int64_t id)
    {
        if (held[tile].count(id))
            return;
        auto it = producer.find(id);
        if (it == producer.end())
            fail("internal: tensor '", pkg.tensors[id].name, "' is used before any tile makes it");
        if (it->second < 0) {
            code[tile].push_back(recvFrom(kHostTile, BufferKind::Tensor, id));
        } else {
            code[it->second].push_back(sendTo(phys(tile), BufferKind::Tensor, id));
            code[tile].push_back(recvFrom(phys(it->second), BufferKind::Tensor, id));
        }
        held[tile].insert(id);
    }

    void made(int tile, int64_t id)
    {
        held[tile].insert(id);
        producer[id] = tile;
    }

    // The blocks of replica `rep` of result layer `layer`, in block order.
    std::vector<int> blocksOf(int layer, int rep) const
    {
        std::vector<int> ids;
        for (size_t b = 0; b < r.blocks.size(); ++b)
            if (r.blocks[b].layer == layer && r.blocks[b].replica == rep)
                ids.push_back(static_cast<int>(b));
        return ids;
    }

    // Tiles holding the blocks, the first block's tile first (the replica's home).
    std::vector<int> tilesOf(const std::vector<int>& blocks) const
    {
        std::vector<int> tiles;
        for (int b : blocks)
            if (std::find(tiles.begin(), tiles.end(), plan.pieces[b].tile) == tiles.end())
                tiles.push_back(plan.pieces[b].tile);
        std::sort(tiles.begin() + 1, tiles.end());
        return tiles;
    }

    // GATHER, CLEAR, and per array DRIVE + MVM/ADC of every placed block, on one tile.
    void computeOn(int tile, int64_t pl, const std::vector<int>& blocks, int64_t v0, int64_t count)
    {
        std::vector<Instruction>& out = code[tile];
        ensure(tile, pkg.layers[pl].inputTensor);
        out.push_back(gather(pl, v0, count));
        out.push_back(clearAcc(pl, v0, count));
        std::map<int64_t, std::vector<int64_t>> byArray; // array -> placed blocks
        for (int b : blocks)
            if (plan.pieces[b].tile == tile)
                for (int64_t p : plan.pieces[b].placed)
                    byArray[plan.pieces[b].array].push_back(p);
        for (const auto& [array, placed] : byArray) {
            out.push_back(drive(array, pl, v0, count));
            for (int64_t p : placed) {
                out.push_back(mvm(array, p));
                out.push_back(adc(array, p));
            }
        }
    }

    // A layer on the SIMD engine: the array model's sums computed by the tile (MATVEC).
    void simdLayer(int64_t pl)
    {
        const PackageLayer& l = pkg.layers[pl];
        const int tile = plan.simdTile[pl];
        ensure(tile, l.inputTensor);
        std::vector<Instruction>& out = code[tile];
        for (const Instruction& ins : {gather(pl, 0, l.vectorsPerFrame), clearAcc(pl, 0, l.vectorsPerFrame),
                                       matvec(pl, 0, l.vectorsPerFrame)})
            out.push_back(ins);
        if (!l.sumBeforeEpilogue)
            out.push_back(epilogueOf(pl, 0, l.vectorsPerFrame));
        out.push_back(scatter(pl));
        made(tile, l.outputTensor);
    }

    void analogLayer(int layer)
    {
        const int64_t pl = plan.packageLayer[layer];
        const PackageLayer& l = pkg.layers[pl];
        if (l.simd)
            return simdLayer(pl);
        const int64_t vectors = l.vectorsPerFrame, replicas = l.replicas;
        int layerHome = -1;
        for (int rep = 0; rep < replicas; ++rep) {
            const int64_t v0 = vectors * rep / replicas, count = vectors * (rep + 1) / replicas - v0;
            const std::vector<int> blocks = blocksOf(layer, rep);
            if (blocks.empty())
                fail("internal: layer '", l.programmed.params.name, "' replica ", rep, " has no blocks");
            const std::vector<int> tiles = tilesOf(blocks);
            const int home = tiles.front();
            if (layerHome < 0)
                layerHome = home;
            if (count == 0)
                continue; // more replicas than vectors: this one idles
            for (int tile : tiles) {
                computeOn(tile, pl, blocks, v0, count);
                if (tile != home) {
                    code[tile].push_back(sendTo(phys(home), BufferKind::Accumulator, pl, v0, count));
                    code[home].push_back(recvFrom(phys(tile), BufferKind::Accumulator, pl, v0, count, true));
                }
            }
            const BufferKind result = l.sumBeforeEpilogue ? BufferKind::Accumulator : BufferKind::OutputCodes;
            if (!l.sumBeforeEpilogue)
                code[home].push_back(epilogueOf(pl, v0, count));
            if (home != layerHome) {
                code[home].push_back(sendTo(phys(layerHome), result, pl, v0, count));
                code[layerHome].push_back(recvFrom(phys(home), result, pl, v0, count));
            }
        }
        code[layerHome].push_back(scatter(pl));
        made(layerHome, l.outputTensor);
    }

    void digitalLayer(int layer)
    {
        const int64_t id = plan.digitalOp[layer];
        const DigitalOp& op = pkg.digitalOps[id];
        const int tile = plan.digitalTile[id];
        for (int64_t in : op.inputs)
            if (in >= 0)
                ensure(tile, in);
        code[tile].push_back(digital(id));
        for (int64_t out : op.outputs)
            made(tile, out);
    }
};

} // namespace

void generatePrograms(const Graph& graph, const CompileResult& result, const CodePlan& plan, Package& pkg)
{
    Emitter e{graph, result, plan, pkg, {}, {}, {}};
    e.code.resize(result.tiles.size());
    e.held.resize(result.tiles.size());
    for (int64_t id : pkg.inputs)
        e.producer[id] = -1;
    for (size_t i = 0; i < result.layers.size(); ++i) {
        if (plan.packageLayer[i] >= 0)
            e.analogLayer(static_cast<int>(i));
        else
            e.digitalLayer(static_cast<int>(i));
    }
    for (int64_t id : pkg.outputs) {
        auto it = e.producer.find(id);
        if (it == e.producer.end() || it->second < 0)
            fail("model output '", pkg.tensors[id].name, "' is not computed on the chip (a model input or unused)");
        e.code[it->second].push_back(sendTo(kHostTile, BufferKind::Tensor, id));
    }
    std::vector<std::pair<int64_t, int>> order;
    for (size_t t = 0; t < result.tiles.size(); ++t)
        if (!e.code[t].empty())
            order.push_back({e.phys(static_cast<int>(t)), static_cast<int>(t)});
    std::sort(order.begin(), order.end());
    for (const auto& [phys, t] : order) {
        TileProgram p{phys, std::move(e.code[t])};
        p.code.push_back(halt());
        pkg.programs.push_back(std::move(p));
    }
}

} // namespace tessera::compiler

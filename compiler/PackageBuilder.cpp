// CompileResult -> package::Package (format 2, docs/package-format.md). The tables: per
// analog layer its programmed levels once and how its node lowers; per array the blocks
// placed on it (levels referenced, never copied); per digital op the node with its
// attributes and constant inputs; tensors with their quantization and SRAM buffers. The
// tile programs come from CodeGen.cpp, one global walk over the layers in graph order.
#include "compiler/PackageBuilder.h"

#include "compiler/CodeGen.h"
#include "compiler/Stages.h"
#include "core/Error.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/SpecProgramming.h"

#include <algorithm>
#include <cstdio>
#include <map>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tessera::compiler {

namespace {

using namespace tessera::package;
using analog::ProgrammedLayer;

ElementType storedType(const TensorQuant* tq, DType dtype)
{
    if (dtype != DType::Float32)
        return elementTypeOf(dtype);
    if (!tq || !tq->quantized)
        return ElementType::Float32;
    if (tq->bits <= 8)
        return tq->isSigned ? ElementType::Int8 : ElementType::UInt8;
    return tq->bits <= 16 ? ElementType::Int16 : ElementType::Int32;
}

struct TableBuilder {
    const Graph& graph;
    const CompileResult& r;
    const QuantSpec* spec;
    Package& pkg;
    std::vector<TileMemory> memory;
    std::map<ValueId, int64_t> tensorOf;

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
        t.type = storedType(tq, value.dtype);
        t.compute = elementTypeOf(value.dtype);
        if (tq && tq->quantized && value.dtype == DType::Float32)
            t.quant = {true, tq->scale, tq->bits, tq->isSigned, tq->zeroPoint};
        for (size_t tile = 0; tile < memory.size(); ++tile) {
            auto m = memory[tile].values.find(v);
            if (m != memory[tile].values.end())
                t.placements.push_back({physicalTile(r, static_cast<int>(tile)), m->second.first, m->second.second});
        }
        pkg.tensors.push_back(t);
        return tensorOf[v] = t.id;
    }

    PackageLayer layer(const LayerPlan& l)
    {
        if (cellsPerWeight(r.target, l.weightBits) != 1)
            fail("layer '", l.node, "': ", l.weightBits, "-bit weights take several ", r.target.analog.array.bitsPerCell,
                 "-bit cells; the package stores one level per cell");
        const Node& node = graph.node(l.nodeId);
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(graph, node);
        PackageLayer p;
        p.programmed = r.programmed[l.programmed];
        p.colsPerBlock = r.target.analog.array.cols;
        p.replicas = l.replicas;
        p.inputTensor = tensor(node.inputs[0]);
        p.outputTensor = tensor(node.outputs[0]);
        p.opType = node.opType;
        p.attributes = node.attrs;
        p.weightShape = graph.value(node.inputs[1]).shape;
        p.colsPerOutChannel = view.colsPerOutChannel;
        p.rowsPerInChannel = view.rowsPerInChannel;
        p.sumBeforeEpilogue = view.scatter != OutputScatter::Permute;
        p.vectorsPerFrame = analog::vectorsPerRun(graph, node, view);
        if (p.sumBeforeEpilogue) {
            const LayerQuant* lq = spec ? spec->findLayer(node.name) : nullptr;
            p.channelBias = analog::channelBiasCodes(p.programmed.params, view, lq ? analog::layerBias(*lq, view) : view.bias);
        }
        return p;
    }

    DigitalOp digitalOp(const LayerPlan& l, int tile)
    {
        const Node& node = graph.node(l.nodeId);
        DigitalOp op;
        op.name = node.name;
        op.opType = node.opType;
        op.attributes = node.attrs;
        for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
            const ValueId v = node.inputs[slot];
            if (v != kNoValue && graph.value(v).isConstant())
                op.constants.push_back({static_cast<int64_t>(slot), graph.value(v).constant});
            op.inputs.push_back(v == kNoValue || graph.value(v).isConstant() ? -1 : tensor(v));
        }
        for (ValueId v : node.outputs)
            op.outputs.push_back(tensor(v));
        op.tile = physicalTile(r, tile);
        return op;
    }

    // One PlacedBlock per group of the block; returns their indices on the array.
    std::vector<int64_t> placeBlock(int id, const std::vector<int64_t>& packageLayer, ArrayImage& image) const
    {
        const BlockPlan& b = r.blocks[id];
        const LayerPlan& l = r.layers[b.layer];
        const int64_t groupCols = l.cols / l.groups;
        const int64_t rows = b.groupCount > 1 ? l.rows : b.rows, cols = b.groupCount > 1 ? groupCols : b.cols;
        std::vector<int64_t> pieces;
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
            pieces.push_back(static_cast<int64_t>(image.blocks.size()));
            image.blocks.push_back(p);
        }
        return pieces;
    }
};

} // namespace

int64_t physicalTile(const CompileResult& r, int tile)
{
    return r.tiles[tile].coord.row * r.target.tiles.cols + r.tiles[tile].coord.col;
}

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
    Package pkg;
    TableBuilder t{graph, result, spec, pkg, layoutSram(graph, result), {}};
    pkg.header.tesseraVersion = tesseraVersion();
    pkg.header.target = summarizeTarget(result.target);
    pkg.header.modelName = identity.modelName;
    pkg.header.modelHash = identity.modelHash;
    pkg.header.specHash = identity.specHash;
    if (spec)
        pkg.nonIdealities = spec->config.nonIdealities;
    for (ValueId v : graph.inputs())
        pkg.inputs.push_back(t.tensor(v));

    CodePlan plan;
    plan.packageLayer.assign(result.layers.size(), -1);
    plan.digitalOp.assign(result.layers.size(), -1);
    for (size_t i = 0; i < result.layers.size(); ++i) {
        const LayerPlan& l = result.layers[i];
        if (l.unit == Unit::Analog || l.programmed >= 0) { // programmed: analog, or a depthwise layer on SIMD
            plan.packageLayer[i] = static_cast<int64_t>(pkg.layers.size());
            pkg.layers.push_back(t.layer(l));
            pkg.layers.back().simd = l.unit != Unit::Analog;
            plan.simdTile.push_back(l.tiles.empty() ? 0 : l.tiles[0]);
        } else {
            const int tile = l.tiles.empty() ? 0 : l.tiles[0];
            plan.digitalOp[i] = static_cast<int64_t>(pkg.digitalOps.size());
            plan.digitalTile.push_back(tile);
            pkg.digitalOps.push_back(t.digitalOp(l, tile));
        }
    }
    plan.pieces.resize(result.blocks.size());
    for (size_t tile = 0; tile < result.tiles.size(); ++tile)
        for (size_t j = 0; j < result.tiles[tile].arrays.size(); ++j) {
            ArrayImage image;
            image.tile = physicalTile(result, static_cast<int>(tile));
            image.array = static_cast<int64_t>(j);
            image.rows = result.target.analog.array.rows;
            image.cols = result.target.analog.array.cols;
            for (int b : result.arrays[result.tiles[tile].arrays[j]].blocks)
                plan.pieces[b] = {static_cast<int>(tile), static_cast<int64_t>(j), t.placeBlock(b, plan.packageLayer, image)};
            pkg.arrays.push_back(std::move(image));
        }
    std::sort(pkg.arrays.begin(), pkg.arrays.end(), [](const ArrayImage& x, const ArrayImage& y) {
        return std::make_pair(x.tile, x.array) < std::make_pair(y.tile, y.array);
    });
    for (ValueId v : graph.outputs())
        pkg.outputs.push_back(t.tensor(v));
    generatePrograms(graph, result, plan, pkg);
    return pkg;
}

} // namespace tessera::compiler

// The rules a package must satisfy besides its byte layout (docs/package-format.md,
// "Validation"): every index in range, every block inside its array and equal to its
// layer's levels, every instruction operand meaningful. The writer and the reader both
// apply them, so a package that was written can be read.
#include "core/Error.h"
#include "core/package/PackageIO.h"
#include "core/package/ProgramCheck.h"

#include <algorithm>
#include <cmath>

namespace tessera::package {

namespace {

constexpr int64_t kMaxTiles = int64_t(1) << 16;
constexpr int64_t kMaxArraysPerTile = int64_t(1) << 10;
constexpr int64_t kMaxArraySide = int64_t(1) << 16;
constexpr int64_t kMaxSram = int64_t(1) << 40;
constexpr int64_t kMaxLayerSide = int64_t(1) << 24;
constexpr int64_t kMaxReplicas = int64_t(1) << 10;
constexpr int64_t kMaxElements = int64_t(1) << 40;


void checkHeader(const PackageHeader& h, const std::string& label)
{
    const TargetSummary& t = h.target;
    if (h.tesseraVersion.empty())
        fail(label, ": the header has no Tessera version");
    if (t.name.empty())
        fail(label, ": the header has no target name");
    if (!inRange(t.tiles, 1, kMaxTiles) || !inRange(t.arraysPerTile, 1, kMaxArraysPerTile) ||
        !inRange(t.arrayRows, 1, kMaxArraySide) || !inRange(t.arrayCols, 1, kMaxArraySide) ||
        !inRange(t.sramBytes, 1, kMaxSram))
        fail(label, ": target '", t.name, "' has impossible numbers: tiles=", t.tiles, " arrays_per_tile=",
             t.arraysPerTile, " array=", t.arrayRows, "x", t.arrayCols, " sram_bytes=", t.sramBytes);
}

void checkLayerTables(const PackageLayer& l, const std::string& where)
{
    const analog::ProgrammedLayer& prog = l.programmed;
    const analog::AnalogLayerParams& p = prog.params;
    const int64_t maxLevel = (int64_t(1) << (p.numerics.weightBits - 1)) - 1;
    if (static_cast<int64_t>(prog.levels.size()) != p.rows * p.cols)
        fail(where, prog.levels.size(), " weight levels for ", p.cols, "x", p.rows, " weights");
    for (int8_t v : prog.levels)
        if (v > maxLevel || v < -maxLevel)
            fail(where, "weight level ", int(v), " outside +-", maxLevel, " (", p.numerics.weightBits, "-bit weights)");
    if (static_cast<int64_t>(prog.biasCodes.size()) != p.cols || static_cast<int64_t>(prog.requant.size()) != p.cols)
        fail(where, prog.biasCodes.size(), " bias codes and ", prog.requant.size(), " requantizers for ", p.cols,
             " columns");
    for (int64_t b : prog.biasCodes)
        if (!inRange(b, INT32_MIN, INT32_MAX))
            fail(where, "bias code ", b, " outside the int32 range");
    for (const analog::Requantizer& q : prog.requant)
        if (!inRange(q.multiplier, 0, (int64_t(1) << 31) - 1) || !inRange(q.shift, 0, 126))
            fail(where, "requantizer (multiplier ", q.multiplier, ", shift ", q.shift,
                 ") outside multiplier [0, 2^31), shift [0, 126]");
    if (static_cast<int64_t>(prog.adcShifts.size()) != prog.blocks())
        fail(where, prog.adcShifts.size(), " ADC shifts for ", prog.blocks(), " row blocks");
    for (int s : prog.adcShifts)
        if (!inRange(s, 0, 62))
            fail(where, "ADC shift ", s, " outside [0, 62]");
    if (prog.adcMax != (int64_t(1) << (p.numerics.adcBits - 1)) - 1)
        fail(where, "ADC max code ", prog.adcMax, " does not match ", p.numerics.adcBits, " ADC bits");
}

void checkLayer(const Package& pkg, size_t index, const std::string& label)
{
    const PackageLayer& l = pkg.layers[index];
    const analog::AnalogLayerParams& p = l.programmed.params;
    const std::string where = strCat(label, ": layer ", index, " ('", p.name, "'): ");
    const TargetSummary& t = pkg.header.target;
    if (p.name.empty())
        fail(label, ": layer ", index, " has no name");
    if (!inRange(p.rows, 1, kMaxLayerSide) || !inRange(p.cols, 1, kMaxLayerSide) || !inRange(p.groups, 1, p.cols) ||
        p.cols % p.groups != 0)
        fail(where, "bad geometry rows=", p.rows, " cols=", p.cols, " groups=", p.groups);
    if (!inRange(p.numerics.rowsPerBlock, 1, t.arrayRows))
        fail(where, "rows per block ", p.numerics.rowsPerBlock, " outside [1, ", t.arrayRows, "] (the array rows)");
    try {
        analog::validate(p);
    } catch (const Error& e) {
        fail(label, ": layer ", index, ": ", e.what());
    }
    if (std::isnan(p.output.clampLo) || std::isnan(p.output.clampHi) || p.output.clampLo > p.output.clampHi)
        fail(where, "bad activation clamp [", p.output.clampLo, ", ", p.output.clampHi, "]");
    checkLayerTables(l, where);
    if (!inRange(l.colsPerBlock, 1, t.arrayCols))
        fail(where, "cols per block ", l.colsPerBlock, " outside [1, ", t.arrayCols, "] (the array columns)");
    if (!inRange(l.replicas, 1, kMaxReplicas) || (l.simd && l.replicas != 1))
        fail(where, "replicas ", l.replicas, " outside [1, ", kMaxReplicas, "] (a SIMD layer has one)");
    const int64_t tensors = static_cast<int64_t>(pkg.tensors.size());
    if (!inRange(l.inputTensor, 0, tensors - 1) || !inRange(l.outputTensor, 0, tensors - 1))
        fail(where, "tensor ids ", l.inputTensor, " -> ", l.outputTensor, " outside [0, ", tensors - 1, "]");
    if (l.opType.empty() || l.weightShape.empty() || !inRange(l.vectorsPerFrame, 1, kMaxElements) ||
        !inRange(l.colsPerOutChannel, 1, p.cols) || p.cols % l.colsPerOutChannel != 0 ||
        !inRange(l.rowsPerInChannel, 1, p.rows) || p.rows % l.rowsPerInChannel != 0)
        fail(where, "bad lowering (op '", l.opType, "', ", l.weightShape.size(), "-d weights, ", l.vectorsPerFrame,
             " vectors per frame, ", l.colsPerOutChannel, " columns per output channel, ", l.rowsPerInChannel,
             " rows per input channel)");
    const int64_t channels = p.cols / l.colsPerOutChannel;
    if (static_cast<int64_t>(l.channelBias.size()) != (l.sumBeforeEpilogue ? channels : 0))
        fail(where, l.channelBias.size(), " channel bias codes, the layer needs ", l.sumBeforeEpilogue ? channels : 0);
    for (int64_t b : l.channelBias)
        if (!inRange(b, INT32_MIN, INT32_MAX))
            fail(where, "channel bias code ", b, " outside the int32 range");
}

struct Rect {
    int64_t r0, r1, c0, c1; // [r0, r1) x [c0, c1)
    size_t index;
};

// The first two rectangles that overlap, or {-1, -1}: sorted by first row, each compared
// with the later ones that start above its last row.
std::pair<int64_t, int64_t> firstOverlap(std::vector<Rect> rects)
{
    std::sort(rects.begin(), rects.end(), [](const Rect& x, const Rect& y) { return x.r0 < y.r0 || (x.r0 == y.r0 && x.c0 < y.c0); });
    for (size_t i = 0; i < rects.size(); ++i)
        for (size_t j = i + 1; j < rects.size() && rects[j].r0 < rects[i].r1; ++j)
            if (rects[j].c0 < rects[i].c1 && rects[i].c0 < rects[j].c1)
                return {static_cast<int64_t>(rects[i].index), static_cast<int64_t>(rects[j].index)};
    return {-1, -1};
}

void checkBlock(const Package& pkg, const ArrayImage& a, size_t j, const std::string& where)
{
    const PlacedBlock& b = a.blocks[j];
    const std::string at = strCat(where, "block ", j, ": ");
    if (!inRange(b.layer, 0, static_cast<int64_t>(pkg.layers.size()) - 1))
        fail(at, "layer ", b.layer, " outside [0, ", pkg.layers.size(), ")");
    const PackageLayer& l = pkg.layers[b.layer];
    const analog::AnalogLayerParams& p = l.programmed.params;
    const int64_t rpb = p.numerics.rowsPerBlock, cpg = p.cols / p.groups;
    if (!inRange(b.group, 0, p.groups - 1) || !inRange(b.replica, 0, l.replicas - 1))
        fail(at, "group ", b.group, " / replica ", b.replica, " outside layer '", p.name, "' (", p.groups,
             " groups, ", l.replicas, " replicas)");
    if (!inRange(b.rowBegin, 0, p.rows - 1) || !inRange(b.rowEnd, b.rowBegin + 1, p.rows) ||
        b.rowBegin / rpb != (b.rowEnd - 1) / rpb || b.rowBegin % rpb != 0 ||
        b.rowEnd != std::min(p.rows, b.rowBegin + rpb))
        fail(at, "rows [", b.rowBegin, ", ", b.rowEnd, ") are not one whole row block of layer '", p.name, "' (",
             p.rows, " rows, ", rpb, " per block)");
    if (!inRange(b.colBegin, b.group * cpg, (b.group + 1) * cpg - 1) ||
        !inRange(b.colEnd, b.colBegin + 1, std::min((b.group + 1) * cpg, b.colBegin + l.colsPerBlock)))
        fail(at, "columns [", b.colBegin, ", ", b.colEnd, ") are not inside group ", b.group, " of layer '", p.name,
             "' (", cpg, " columns per group, ", l.colsPerBlock, " per block)");
    const int64_t h = b.rowEnd - b.rowBegin, w = b.colEnd - b.colBegin;
    if (!inRange(b.row0, 0, a.rows - h) || !inRange(b.col0, 0, a.cols - w))
        fail(at, h, "x", w, " cells at (", b.row0, ", ", b.col0, ") do not fit the ", a.rows, "x", a.cols, " array");
}

// Every weight of every (layer, replica) placed exactly once: its blocks never overlap in
// the layer's (group, row, column) space and their cells add up to the layer's weights.
void checkCoverage(const Package& pkg, const std::string& label)
{
    std::vector<std::vector<Rect>> blocks;
    std::vector<size_t> first;
    for (const PackageLayer& l : pkg.layers) {
        first.push_back(blocks.size());
        blocks.resize(blocks.size() + static_cast<size_t>(l.replicas));
    }
    for (const ArrayImage& a : pkg.arrays)
        for (const PlacedBlock& b : a.blocks) {
            if (pkg.layers[b.layer].simd)
                fail(label, ": layer ", b.layer, " ('", pkg.layers[b.layer].programmed.params.name,
                     "') runs on the SIMD engine but has blocks on tile ", a.tile, " array ", a.array);
            const int64_t k0 = b.group * pkg.layers[b.layer].programmed.params.rows; // groups side by side
            std::vector<Rect>& list = blocks[first[b.layer] + b.replica];
            list.push_back({k0 + b.rowBegin, k0 + b.rowEnd, b.colBegin, b.colEnd, list.size()});
        }
    for (size_t li = 0; li < pkg.layers.size(); ++li)
        for (int64_t r = 0; r < pkg.layers[li].replicas; ++r) {
            if (pkg.layers[li].simd)
                continue;
            const std::vector<Rect>& list = blocks[first[li] + r];
            const analog::AnalogLayerParams& p = pkg.layers[li].programmed.params;
            const std::string where = strCat(label, ": layer ", li, " ('", p.name, "') replica ", r, ": ");
            if (firstOverlap(list).first >= 0)
                fail(where, "a weight is placed twice (two blocks overlap)");
            int64_t cells = 0;
            for (const Rect& x : list)
                cells += (x.r1 - x.r0) * (x.c1 - x.c0);
            if (cells != p.rows * p.cols)
                fail(where, p.rows * p.cols - cells, " of ", p.rows * p.cols, " weights are not placed on any array");
        }
}

void checkArrays(const Package& pkg, const std::string& label)
{
    const TargetSummary& t = pkg.header.target;
    for (size_t i = 0; i < pkg.arrays.size(); ++i) {
        const ArrayImage& a = pkg.arrays[i];
        const std::string where = strCat(label, ": array ", i, " (tile ", a.tile, ", array ", a.array, "): ");
        if (!inRange(a.tile, 0, t.tiles - 1) || !inRange(a.array, 0, t.arraysPerTile - 1))
            fail(where, "outside the target (", t.tiles, " tiles, ", t.arraysPerTile, " arrays per tile)");
        if (i > 0 && std::make_pair(a.tile, a.array) <= std::make_pair(pkg.arrays[i - 1].tile, pkg.arrays[i - 1].array))
            fail(where, "arrays must be listed once each, by tile then array");
        if (a.rows != t.arrayRows || a.cols != t.arrayCols)
            fail(where, a.rows, "x", a.cols, ", the target's arrays are ", t.arrayRows, "x", t.arrayCols);
        std::vector<Rect> cells;
        for (size_t j = 0; j < a.blocks.size(); ++j) {
            checkBlock(pkg, a, j, where);
            const PlacedBlock& b = a.blocks[j];
            cells.push_back({b.row0, b.row0 + b.rowEnd - b.rowBegin, b.col0, b.col0 + b.colEnd - b.colBegin, j});
        }
        const auto [x, y] = firstOverlap(cells);
        if (x >= 0)
            fail(where, "blocks ", std::min(x, y), " and ", std::max(x, y), " use the same cells");
    }
    checkCoverage(pkg, label);
}

void checkDigitalOps(const Package& pkg, const std::string& label)
{
    const int64_t tensors = static_cast<int64_t>(pkg.tensors.size());
    for (size_t i = 0; i < pkg.digitalOps.size(); ++i) {
        const DigitalOp& op = pkg.digitalOps[i];
        const std::string where = strCat(label, ": digital op ", i, " (", op.opType, "): ");
        if (op.opType.empty())
            fail(label, ": digital op ", i, " has no op type");
        if (!inRange(op.tile, 0, pkg.header.target.tiles - 1))
            fail(where, "tile ", op.tile, " outside [0, ", pkg.header.target.tiles, ")");
        for (int64_t id : op.inputs)
            if (!inRange(id, -1, tensors - 1))
                fail(where, "input tensor id ", id, " outside [-1, ", tensors, ")");
        for (int64_t id : op.outputs)
            if (!inRange(id, 0, tensors - 1))
                fail(where, "output tensor id ", id, " outside [0, ", tensors, ")");
        for (const ConstantInput& c : op.constants)
            if (!inRange(c.slot, 0, static_cast<int64_t>(op.inputs.size()) - 1) || op.inputs[c.slot] != -1)
                fail(where, "constant input slot ", c.slot, " is not an empty input slot (", op.inputs.size(),
                     " inputs)");
    }
}

void checkTensors(const Package& pkg, const std::string& label)
{
    const TargetSummary& t = pkg.header.target;
    const int64_t count = static_cast<int64_t>(pkg.tensors.size());
    for (int64_t i = 0; i < count; ++i) {
        const PackageTensor& x = pkg.tensors[i];
        const std::string where = strCat(label, ": tensor ", i, " ('", x.name, "'): ");
        if (x.id != i || x.name.empty())
            fail(where, "id ", x.id, " and name must be its index and non-empty");
        int64_t elements = 1;
        for (int64_t d : x.shape) {
            if (!inRange(d, 0, kMaxElements) || (d > 0 && elements > kMaxElements / d))
                fail(where, "bad dimension ", d, " (at most 2^40 elements)");
            elements *= d;
        }
        if (computeDType(x.compute) != DType::Float32 && x.quant.quantized)
            fail(where, "a quantized tensor computes in float32, not ", elementTypeName(x.compute));
        const TensorQuantization& q = x.quant;
        if (!std::isfinite(q.scale) || (q.quantized && (!(q.scale > 0.0) || !inRange(q.bits, 2, 32))))
            fail(where, "bad quantization (scale ", q.scale, ", ", q.bits, " bits)");
        if (q.zeroPoint != 0 && (q.isSigned || !q.quantized || q.bits > 16 || !inRange(q.zeroPoint, 0, (int64_t(1) << q.bits) - 1)))
            fail(where, "bad zero point ", q.zeroPoint, " (offset codes are unsigned, within ", q.bits, " bits)");
        for (const TensorPlacement& p : x.placements)
            if (!inRange(p.tile, 0, t.tiles - 1) || !inRange(p.bytes, 1, t.sramBytes) ||
                !inRange(p.offset, 0, t.sramBytes - p.bytes))
                fail(where, "placement (tile ", p.tile, ", offset ", p.offset, ", ", p.bytes,
                     " bytes) outside the target (", t.tiles, " tiles of ", t.sramBytes, " SRAM bytes)");
    }
    for (const std::vector<int64_t>* ids : {&pkg.inputs, &pkg.outputs})
        for (int64_t id : *ids)
            if (!inRange(id, 0, count - 1))
                fail(label, ": model ", ids == &pkg.inputs ? "input" : "output", " tensor id ", id, " outside [0, ",
                     count, ")");
}

} // namespace

void validatePackage(const Package& pkg, const std::string& label)
{
    checkHeader(pkg.header, label);
    checkTensors(pkg, label);
    for (size_t i = 0; i < pkg.layers.size(); ++i)
        checkLayer(pkg, i, label);
    checkArrays(pkg, label);
    checkPrograms(pkg, label);
    checkDigitalOps(pkg, label);
}

} // namespace tessera::package

#include "core/package/ProgramCheck.h"

#include "core/Error.h"

#include <algorithm>
#include <utility>

namespace tessera::package {

namespace {

constexpr int64_t kMaxBarrier = int64_t(1) << 20;
constexpr int64_t kAccumulatorBytes = 8; // analog accumulators are int64 in SRAM

bool inRange(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }
int64_t codeBytes(int64_t bits) { return (bits + 7) / 8; }

// One instruction being checked, with the context its operands refer to.
struct InsCheck {
    const Package& pkg;
    const std::string& label;
    int64_t tile;
    size_t index;
    const Instruction& ins;

    int64_t a(int i) const { return ins.a[i]; }
    template <class... Parts>
    [[noreturn]] void bad(const Parts&... parts) const
    {
        fail(label, ": tile ", tile, " instruction ", index, " (", opcodeInfo(ins.op).name, "): ", parts...);
    }
    // [offset, offset + bytes) inside the tile's SRAM.
    void sram(const char* what, int64_t offset, int64_t bytes) const
    {
        const int64_t size = pkg.header.target.sramBytes;
        if (!inRange(bytes, 0, size) || !inRange(offset, 0, size - bytes))
            bad(what, " bytes [", offset, ", ", offset, " + ", bytes, ") outside the tile's ", size, " SRAM bytes");
    }
    void count(int64_t n, int64_t elementBytes) const
    {
        if (!inRange(n, 1, pkg.header.target.sramBytes / elementBytes))
            bad("count ", n, " outside [1, ", pkg.header.target.sramBytes / elementBytes, "]");
    }
    // The array image of (tile, array); the package lists them sorted.
    const ArrayImage& array(int64_t arrayIndex) const
    {
        const auto key = std::make_pair(tile, arrayIndex);
        auto it = std::lower_bound(pkg.arrays.begin(), pkg.arrays.end(), key, [](const ArrayImage& x, const auto& k) {
            return std::make_pair(x.tile, x.array) < k;
        });
        if (it == pkg.arrays.end() || it->tile != tile || it->array != arrayIndex)
            bad("array ", arrayIndex, " of tile ", tile, " has no weight image in the package");
        return *it;
    }
    void zero(int from) const
    {
        for (int i = from; i < kMaxOperands; ++i)
            if (ins.a[i] != 0)
                bad("operand ", i, " must be 0, got ", ins.a[i]);
    }
};

void checkHalt(const InsCheck&) {}

void checkDriveInputs(const InsCheck& c)
{
    const ArrayImage& array = c.array(c.a(0));
    if (!inRange(c.a(2), 0, array.rows - 1) || !inRange(c.a(3), c.a(2) + 1, array.rows))
        c.bad("rows [", c.a(2), ", ", c.a(3), ") outside the array's ", array.rows, " rows");
    if (!inRange(c.a(4), 1, 16) || !inRange(c.a(5), 0, 1))
        c.bad("input bits ", c.a(4), " outside [1, 16] or signed flag ", c.a(5), " not 0/1");
    c.sram("input", c.a(1), (c.a(3) - c.a(2)) * codeBytes(c.a(4)));
}

void checkAnalogMvm(const InsCheck& c)
{
    const ArrayImage& array = c.array(c.a(0));
    if (!inRange(c.a(1), 0, static_cast<int64_t>(array.blocks.size()) - 1))
        c.bad("block ", c.a(1), " outside the ", array.blocks.size(), " blocks placed on the array");
}

void checkAdcRead(const InsCheck& c)
{
    const ArrayImage& array = c.array(c.a(0));
    if (!inRange(c.a(1), 0, array.cols - 1) || !inRange(c.a(2), c.a(1) + 1, array.cols))
        c.bad("columns [", c.a(1), ", ", c.a(2), ") outside the array's ", array.cols, " columns");
    if (!inRange(c.a(3), 1, 32) || !inRange(c.a(4), 0, 62))
        c.bad("ADC bits ", c.a(3), " outside [1, 32] or shift ", c.a(4), " outside [0, 62]");
    c.sram("destination", c.a(5), (c.a(2) - c.a(1)) * kAccumulatorBytes);
}

void checkAccumulate(const InsCheck& c)
{
    c.count(c.a(2), kAccumulatorBytes);
    c.sram("destination", c.a(0), c.a(2) * kAccumulatorBytes);
    c.sram("source", c.a(1), c.a(2) * kAccumulatorBytes);
}

void checkEpilogue(const InsCheck& c)
{
    const int64_t layer = c.a(5), n0 = c.a(3), n = c.a(4);
    if (!inRange(layer, 0, static_cast<int64_t>(c.pkg.layers.size()) - 1))
        c.bad("layer ", layer, " outside [0, ", c.pkg.layers.size(), ")");
    const analog::AnalogLayerParams& p = c.pkg.layers[layer].programmed.params;
    c.count(n, kAccumulatorBytes);
    if (!inRange(n0, 0, p.cols - n))
        c.bad("columns [", n0, ", ", n0, " + ", n, ") outside layer '", p.name, "' (", p.cols, " columns)");
    c.sram("accumulator", c.a(2), n * kAccumulatorBytes);
    c.sram("output", c.a(1), n * codeBytes(p.output.bits));
}

void checkSimdOp(const InsCheck& c)
{
    if (!inRange(c.a(0), 0, kSimdKindCount - 1))
        c.bad("unknown SIMD kind ", c.a(0), " (this reader knows 0-", kSimdKindCount - 1, ")");
    switch (static_cast<SimdKind>(c.a(0))) {
    case SimdKind::Epilogue:
        return checkEpilogue(c);
    case SimdKind::DigitalOp: {
        const int64_t op = c.a(5);
        if (!inRange(op, 0, static_cast<int64_t>(c.pkg.digitalOps.size()) - 1) || c.pkg.digitalOps[op].tile != c.tile)
            c.bad("digital op ", op, " is not one of this tile's ops (", c.pkg.digitalOps.size(), " ops)");
        if (c.a(1) != 0 || c.a(2) != 0 || c.a(3) != 0 || c.a(4) != 0)
            c.bad("dst, src_a, src_b and count must be 0 for digital_op");
        return;
    }
    case SimdKind::Copy:
        c.count(c.a(4), 1);
        c.sram("source", c.a(2), c.a(4));
        c.sram("destination", c.a(1), c.a(4));
        if (c.a(3) != 0 || c.a(5) != 0)
            c.bad("src_b and param must be 0 for copy");
        return;
    case SimdKind::Zero:
        c.count(c.a(4), 1);
        c.sram("destination", c.a(1), c.a(4));
        if (c.a(2) != 0 || c.a(3) != 0 || c.a(5) != 0)
            c.bad("src_a, src_b and param must be 0 for zero");
        return;
    }
}

void checkTransfer(const InsCheck& c)
{
    if (!inRange(c.a(0), 0, c.pkg.header.target.tiles - 1) || c.a(0) == c.tile)
        c.bad("peer tile ", c.a(0), " is this tile or outside [0, ", c.pkg.header.target.tiles, ")");
    c.count(c.a(2), 1);
    c.sram("buffer", c.a(1), c.a(2));
}

void checkSync(const InsCheck& c)
{
    if (!inRange(c.a(0), 0, kMaxBarrier))
        c.bad("barrier ", c.a(0), " outside [0, ", kMaxBarrier, "]");
}

// In opcode order.
void (*const kCheckers[kOpcodeCount])(const InsCheck&) = {
    checkHalt, checkDriveInputs, checkAnalogMvm, checkAdcRead, checkAccumulate,
    checkSimdOp, checkTransfer, checkTransfer, checkSync,
};

} // namespace

void checkPrograms(const Package& pkg, const std::string& label)
{
    const int64_t tiles = pkg.header.target.tiles;
    for (size_t i = 0; i < pkg.programs.size(); ++i) {
        const TileProgram& p = pkg.programs[i];
        if (!inRange(p.tile, 0, tiles - 1) || (i > 0 && p.tile <= pkg.programs[i - 1].tile))
            fail(label, ": program ", i, ": tile ", p.tile, " outside [0, ", tiles,
                 ") or not after the previous program's tile");
        if (p.code.empty() || p.code.back().op != Opcode::Halt)
            fail(label, ": tile ", p.tile, ": the program does not end with HALT");
        for (size_t j = 0; j < p.code.size(); ++j) {
            const Instruction& ins = p.code[j];
            const uint32_t op = static_cast<uint32_t>(ins.op);
            if (op >= static_cast<uint32_t>(kOpcodeCount))
                fail(label, ": tile ", p.tile, " instruction ", j, ": unknown opcode ", op);
            InsCheck check{pkg, label, p.tile, j, ins};
            check.zero(opcodeInfo(ins.op).operandCount);
            kCheckers[op](check);
        }
    }
}

} // namespace tessera::package

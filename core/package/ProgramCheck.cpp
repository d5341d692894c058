// Validation of the tile programs: every operand meaningful for its opcode, the array
// state each MVM / ADC needs, and the message pattern (every RECV matched by a SEND of the
// same data, every SEND received, no deadlock), by running the programs' transfers.
#include "core/package/ProgramCheck.h"

#include "core/Error.h"

#include <algorithm>
#include <deque>
#include <map>
#include <utility>

namespace tessera::package {

namespace {

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
    const PackageLayer& layer(int64_t id) const
    {
        if (!inRange(id, 0, static_cast<int64_t>(pkg.layers.size()) - 1))
            bad("layer ", id, " outside [0, ", pkg.layers.size(), ")");
        return pkg.layers[id];
    }
    // Vectors [v0, v0 + count) of the layer's frame, count >= 1.
    void vectors(int64_t layerId, int64_t v0, int64_t count) const
    {
        const PackageLayer& l = layer(layerId);
        if (!inRange(v0, 0, l.vectorsPerFrame - 1) || !inRange(count, 1, l.vectorsPerFrame - v0))
            bad("vectors [", v0, ", ", v0, " + ", count, ") outside layer '", l.programmed.params.name, "' (",
                l.vectorsPerFrame, " per frame)");
    }
    void zero(int from) const
    {
        for (int i = from; i < kMaxOperands; ++i)
            if (ins.a[i] != 0)
                bad("operand ", i, " must be 0, got ", ins.a[i]);
    }
};

// What each array of a tile has latched / multiplied so far (program order).
struct ArrayState {
    int64_t layer = -1;
    std::vector<int64_t> multiplied; // blocks since the last DRIVE
};

void checkPeer(const InsCheck& c, bool sending)
{
    const int64_t peer = c.a(0), tiles = c.pkg.header.target.tiles;
    if (!inRange(peer, kHostTile, tiles - 1) || peer == c.tile)
        c.bad("peer tile ", peer, " is this tile or outside [-1, ", tiles, ")");
    if (!inRange(c.a(1), 0, kBufferKindCount - 1))
        c.bad("unknown buffer kind ", c.a(1), " (this reader knows 0-", kBufferKindCount - 1, ")");
    const auto kind = static_cast<BufferKind>(c.a(1));
    if (kind == BufferKind::Tensor) {
        if (!inRange(c.a(2), 0, static_cast<int64_t>(c.pkg.tensors.size()) - 1) || c.a(3) != 0 || c.a(4) != 0)
            c.bad("tensor ", c.a(2), " outside [0, ", c.pkg.tensors.size(), ") or v0/count not 0");
        const std::vector<int64_t>& io = sending ? c.pkg.outputs : c.pkg.inputs;
        if (peer == kHostTile && std::find(io.begin(), io.end(), c.a(2)) == io.end())
            c.bad("the host only ", sending ? "receives the model's outputs" : "sends the model's inputs", ", tensor ",
                  c.a(2), " is not one");
    } else {
        if (peer == kHostTile)
            c.bad("the host exchanges tensors only");
        c.vectors(c.a(2), c.a(3), c.a(4));
        if (kind == BufferKind::OutputCodes && c.layer(c.a(2)).sumBeforeEpilogue)
            c.bad("layer '", c.layer(c.a(2)).programmed.params.name, "' has no output codes (it sums before its epilogue)");
    }
    if (!inRange(c.a(5), 0, 1) || (c.a(5) == 1 && (sending || kind != BufferKind::Accumulator)))
        c.bad("add flag ", c.a(5), ": only a RECV of accumulators may add");
}

void checkInstruction(const InsCheck& c, std::map<int64_t, ArrayState>& arrays)
{
    switch (c.ins.op) {
    case Opcode::Halt:
        return;
    case Opcode::Gather:
    case Opcode::Clear:
        return c.vectors(c.a(0), c.a(1), c.a(2));
    case Opcode::Matvec:
        c.vectors(c.a(0), c.a(1), c.a(2));
        if (!c.layer(c.a(0)).simd)
            c.bad("layer '", c.layer(c.a(0)).programmed.params.name, "' runs on arrays, not on the SIMD engine");
        return;
    case Opcode::Epilogue:
        c.vectors(c.a(0), c.a(1), c.a(2));
        if (c.layer(c.a(0)).sumBeforeEpilogue)
            c.bad("layer '", c.layer(c.a(0)).programmed.params.name, "' sums before its epilogue: SCATTER runs it");
        return;
    case Opcode::Drive: {
        const ArrayImage& array = c.array(c.a(0));
        c.vectors(c.a(1), c.a(2), c.a(3));
        if (std::none_of(array.blocks.begin(), array.blocks.end(), [&](const PlacedBlock& b) { return b.layer == c.a(1); }))
            c.bad("array ", c.a(0), " holds no block of layer ", c.a(1));
        arrays[c.a(0)] = {c.a(1), {}};
        return;
    }
    case Opcode::Mvm:
    case Opcode::Adc: {
        const ArrayImage& array = c.array(c.a(0));
        if (!inRange(c.a(1), 0, static_cast<int64_t>(array.blocks.size()) - 1))
            c.bad("block ", c.a(1), " outside the ", array.blocks.size(), " blocks placed on the array");
        ArrayState& s = arrays[c.a(0)];
        if (s.layer != array.blocks[c.a(1)].layer)
            c.bad("block ", c.a(1), " belongs to layer ", array.blocks[c.a(1)].layer, ", the array drives layer ", s.layer);
        const bool done = std::find(s.multiplied.begin(), s.multiplied.end(), c.a(1)) != s.multiplied.end();
        if (c.ins.op == Opcode::Mvm)
            s.multiplied.push_back(c.a(1));
        else if (!done)
            c.bad("block ", c.a(1), " was not multiplied since the array's last DRIVE");
        return;
    }
    case Opcode::Scatter:
        c.layer(c.a(0));
        return;
    case Opcode::Digital:
        if (!inRange(c.a(0), 0, static_cast<int64_t>(c.pkg.digitalOps.size()) - 1) ||
            c.pkg.digitalOps[c.a(0)].tile != c.tile)
            c.bad("digital op ", c.a(0), " is not one of this tile's ops (", c.pkg.digitalOps.size(), " ops)");
        return;
    case Opcode::Send:
    case Opcode::Recv:
        return checkPeer(c, c.ins.op == Opcode::Send);
    }
}

// A message as SEND names it; RECV must name the same.
using Message = std::array<int64_t, 4>; // kind, id, v0, count

// Runs the transfers: SEND never blocks, RECV waits for the next message from its peer.
// Every RECV gets the message it names, every message is received, nothing waits forever.
void checkMessages(const Package& pkg, const std::string& label)
{
    const size_t tiles = pkg.programs.size();
    std::vector<size_t> pc(tiles, 0);
    std::map<std::pair<int64_t, int64_t>, std::deque<Message>> channels;
    size_t halted = 0;
    while (halted < tiles) {
        bool progressed = false;
        for (size_t t = 0; t < tiles; ++t) {
            const TileProgram& p = pkg.programs[t];
            while (pc[t] < p.code.size()) {
                const Instruction& ins = p.code[pc[t]];
                if (ins.op == Opcode::Halt) {
                    pc[t] = p.code.size();
                    ++halted;
                    progressed = true;
                    break;
                }
                const Message m{ins.a[1], ins.a[2], ins.a[3], ins.a[4]};
                if (ins.op == Opcode::Send && ins.a[0] != kHostTile)
                    channels[{p.tile, ins.a[0]}].push_back(m);
                if (ins.op == Opcode::Recv && ins.a[0] != kHostTile) {
                    std::deque<Message>& q = channels[{ins.a[0], p.tile}];
                    if (q.empty())
                        break;
                    if (q.front() != m)
                        fail(label, ": tile ", p.tile, " instruction ", pc[t], " (RECV) expects ",
                             bufferKindName(static_cast<BufferKind>(m[0])), " ", m[1], " [", m[2], ", +", m[3],
                             ") from tile ", ins.a[0], ", which sends ", bufferKindName(static_cast<BufferKind>(q.front()[0])),
                             " ", q.front()[1], " [", q.front()[2], ", +", q.front()[3], ") first");
                    q.pop_front();
                }
                ++pc[t];
                progressed = true;
            }
        }
        if (!progressed) {
            std::string waiting;
            for (size_t t = 0; t < tiles; ++t)
                if (pc[t] < pkg.programs[t].code.size())
                    waiting += strCat(waiting.empty() ? "" : ", ", "tile ", pkg.programs[t].tile, " instruction ", pc[t],
                                      " (RECV from tile ", pkg.programs[t].code[pc[t]].a[0], ")");
            fail(label, ": the programs deadlock: ", waiting, " wait for messages nobody sends");
        }
    }
    for (const auto& [key, q] : channels)
        if (!q.empty())
            fail(label, ": tile ", key.first, " sends ", q.size(), " message(s) tile ", key.second, " never receives");
}

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
        std::map<int64_t, ArrayState> arrays;
        for (size_t j = 0; j < p.code.size(); ++j) {
            const Instruction& ins = p.code[j];
            const uint32_t op = static_cast<uint32_t>(ins.op);
            if (op >= static_cast<uint32_t>(kOpcodeCount))
                fail(label, ": tile ", p.tile, " instruction ", j, ": unknown opcode ", op);
            InsCheck check{pkg, label, p.tile, j, ins};
            check.zero(opcodeInfo(ins.op).operandCount);
            checkInstruction(check, arrays);
        }
    }
    checkMessages(pkg, label);
}

} // namespace tessera::package

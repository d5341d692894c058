// The package interpreter (docs/package-format.md gives each opcode's semantics; this file
// implements them one function per opcode).
#include "simulator/Interpreter.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/analog/Numerics.h"
#include "simulator/SimKernels.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

namespace tessera::sim {

namespace {

using namespace tessera::package;
using analog::AnalogLayer;

// A buffer that is written before it is read: no zero fill.
template <class T>
struct Scratch {
    std::unique_ptr<T[]> data;
    size_t size = 0;
    T* reserve(size_t n)
    {
        if (n > size) {
            data.reset(new T[n]);
            size = n;
        }
        return data.get();
    }
};

struct Sums {
    Scratch<int64_t> exact;   // [F][count][cols]
    std::vector<double> real; // the same as reals (noise on)
};

struct ArrayState {
    int64_t layer = -1, v0 = 0, count = 0;
    std::map<int64_t, Sums> sums; // by placed block (validatePackage: an ADC follows its MVM)
};

// Rows [lo, hi) of a layer's [V, N] buffer for every frame of the batch: a tile holds only
// the vectors it works on (a replica's share), the layer's home tile all of them.
template <class T>
struct RowBuffer {
    int64_t lo = 0, hi = 0, width = 0, frames = 0;
    std::vector<T> data; // [frames][hi - lo][width]

    bool empty() const { return data.empty(); }
    T* row(int64_t f, int64_t v) { return data.data() + (f * (hi - lo) + v - lo) * width; }
    bool covers(int64_t v0, int64_t count) const { return !empty() && v0 >= lo && v0 + count <= hi; }
    // Grows the window to hold rows [v0, v0 + count), new rows 0: first to exactly those
    // rows (a replica's share), on any later growth to the whole frame [0, vectors), so a
    // home tile receiving every replica's rows grows once, not once per replica.
    void cover(int64_t v0, int64_t count, int64_t w, int64_t f, int64_t vectors)
    {
        if (covers(v0, count))
            return;
        const int64_t nlo = empty() ? v0 : 0, nhi = empty() ? v0 + count : vectors;
        std::vector<T> next(static_cast<size_t>(f * (nhi - nlo) * w), T{0});
        for (int64_t fr = 0; fr < frames && !empty(); ++fr)
            std::copy(row(fr, lo), row(fr, lo) + (hi - lo) * w, next.begin() + (fr * (nhi - nlo) + lo - nlo) * w);
        data = std::move(next);
        lo = nlo;
        hi = nhi;
        width = w;
        frames = f;
    }
};

struct LayerBuffers {
    const int32_t* x = nullptr; // input codes [F * V, groups * K]
    RowBuffer<int64_t> acc;                  // accumulators, N wide
    RowBuffer<int32_t> y;                    // output codes, N wide
};

struct Tile {
    const TileProgram* program = nullptr;
    size_t pc = 0;
    bool halted = false;
    std::map<int64_t, std::vector<Tensor>> tensors; // id -> one per frame
    std::map<int64_t, LayerBuffers> layers;
    std::map<int64_t, ArrayState> arrays;
};

struct Message {
    Instruction send; // kind, id, v0, count in a[1..4]
    std::vector<Tensor> tensors;
    std::vector<int64_t> acc;
    std::vector<int32_t> codes;
};

class BatchRun {
public:
    BatchRun(const MachineProgram& program, const BatchInput& input)
        : m_prog(program), m_pkg(program.pkg), m_in(input), m_frames(input.frameCount)
    {
        for (const TileProgram& p : m_pkg.programs) {
            m_tiles.emplace_back();
            m_tiles.back().program = &p;
        }
    }

    std::vector<std::vector<Tensor>> execute()
    {
        size_t halted = 0;
        while (halted < m_tiles.size()) {
            bool progressed = false;
            for (Tile& t : m_tiles)
                while (!t.halted) {
                    const Instruction& ins = t.program->code[t.pc];
                    if (ins.op == Opcode::Halt) {
                        t.halted = true;
                        ++halted;
                        progressed = true;
                        break;
                    }
                    if (!stepChecked(t, ins))
                        break;
                    ++t.pc;
                    progressed = true;
                }
            if (!progressed)
                stuck();
        }
        std::vector<std::vector<Tensor>> outputs;
        for (int64_t id : m_pkg.outputs) {
            auto it = m_outputs.find(id);
            if (it == m_outputs.end())
                fail(m_pkg.header.modelName, ": output '", m_pkg.tensors[id].name, "' never reached the host");
            outputs.push_back(it->second);
        }
        return outputs;
    }

private:
    [[noreturn]] void stuck() const
    {
        std::string waiting;
        for (const Tile& t : m_tiles)
            if (!t.halted)
                waiting += strCat(waiting.empty() ? "" : ", ", "tile ", t.program->tile, " instruction ", t.pc, " (",
                                  opcodeInfo(t.program->code[t.pc].op).name, " from tile ", t.program->code[t.pc].a[0], ")");
        fail(m_pkg.header.modelName, ": the tile programs are stuck: ", waiting, " wait for messages nobody sends");
    }

    bool stepChecked(Tile& t, const Instruction& ins)
    {
        try {
            return step(t, ins);
        } catch (const Cancelled&) {
            throw;
        } catch (const Error& e) {
            fail(m_pkg.header.modelName, ": tile ", t.program->tile, " instruction ", t.pc, " (", opcodeInfo(ins.op).name,
                 "): ", e.what());
        }
    }

    bool step(Tile& t, const Instruction& ins)
    {
        const auto& a = ins.a;
        switch (ins.op) {
        case Opcode::Gather: gather(t, a[0]); break;
        case Opcode::Clear: clear(t, a[0], a[1], a[2]); break;
        case Opcode::Drive: drive(t, a[0], a[1], a[2], a[3]); break;
        case Opcode::Mvm: multiply(t, a[0], a[1]); break;
        case Opcode::Adc: digitize(t, a[0], a[1]); break;
        case Opcode::Epilogue: epilogue(t, a[0], a[1], a[2]); break;
        case Opcode::Scatter: scatterOut(t, a[0]); break;
        case Opcode::Digital: runDigital(t, a[0]); break;
        case Opcode::Send: send(t, ins); break;
        case Opcode::Recv: return receive(t, ins);
        case Opcode::Matvec: simdMatvec(t, a[0], a[1], a[2]); break;
        case Opcode::Halt: break;
        }
        return true;
    }

    const std::vector<Tensor>& tensorOn(const Tile& t, int64_t id) const
    {
        auto it = t.tensors.find(id);
        if (it == t.tensors.end())
            fail("tensor '", m_pkg.tensors[id].name, "' is not on tile ", t.program->tile, " (never received or made there)");
        return it->second;
    }

    LayerBuffers& buffers(Tile& t, int64_t layer, bool needInput = false)
    {
        LayerBuffers& b = t.layers[layer];
        const LayerProgram& l = m_prog.layers[layer];
        if (needInput && !b.x)
            fail("layer '", l.view.nodeName, "': its input vectors were not gathered on this tile");
        return b;
    }

    // GATHER: the layer's input codes for the whole frame, made once per batch (every tile's
    // copy of the input tensor holds the same values) and shared; the rows are the tile's.
    void gather(Tile& t, int64_t layer)
    {
        const LayerProgram& l = m_prog.layers[layer];
        auto it = m_gathered.find(layer);
        if (it == m_gathered.end()) {
            const std::vector<Tensor>& frames = tensorOn(t, l.layer->inputTensor);
            const double scale = l.layer->programmed.params.inputScale;
            const int64_t z = l.layer->programmed.params.numerics.inputZeroPoint; // padding reads z
            const int64_t perFrame = l.vectors * l.kTotal;
            Scratch<int32_t>& all = m_gathered[layer];
            all.reserve(static_cast<size_t>(m_frames * perFrame)); // every element written below
            for (int64_t f = 0; f < m_frames; ++f) {
                const Tensor& x = frames[f];
                if (!l.gather.empty()) {
                    int32_t* cd = m_codes.reserve(static_cast<size_t>(x.numel()));
                    quantizeRow(x.data<float>(), x.numel(), scale, l.inRange, z, cd);
                    analog::gatherInputMatrix(l.gather, cd, all.data.get() + f * perFrame, static_cast<int32_t>(z));
                    continue;
                }
                Tensor codes(DType::Int32, x.shape());
                quantizeRow(x.data<float>(), x.numel(), scale, l.inRange, z, codes.mutableData<int32_t>());
                int64_t m = 0;
                const std::vector<int32_t> matrix = analog::analogInputMatrix(l.graph, l.graph.node(l.node), l.view, codes,
                                                                              m, static_cast<int32_t>(z));
                if (m != l.vectors)
                    fail("layer '", l.view.nodeName, "': ", m, " input vectors, the package says ", l.vectors);
                std::copy(matrix.begin(), matrix.end(), all.data.get() + f * perFrame);
            }
            it = m_gathered.find(layer);
        }
        buffers(t, layer).x = it->second.data.get();
    }

    void clear(Tile& t, int64_t layer, int64_t v0, int64_t count)
    {
        const LayerProgram& l = m_prog.layers[layer];
        LayerBuffers& b = buffers(t, layer);
        const bool fresh = b.acc.empty();
        b.acc.cover(v0, count, l.cols, m_frames, l.vectors);
        if (fresh)
            return; // a new buffer is all 0
        for (int64_t f = 0; f < m_frames; ++f)
            std::fill_n(b.acc.row(f, v0), count * l.cols, int64_t{0});
    }

    void drive(Tile& t, int64_t array, int64_t layer, int64_t v0, int64_t count)
    {
        buffers(t, layer, true);
        ArrayState& s = t.arrays[array];
        s.layer = layer;
        s.v0 = v0;
        s.count = count; // the column-sum buffers stay allocated for the next DRIVE
    }

    const AnalogLayer* noisy(int64_t layer) const { return m_in.noisy ? (*m_in.noisy)[layer].get() : nullptr; }

    void multiply(Tile& t, int64_t array, int64_t block)
    {
        const BlockProgram& bp = m_prog.arrays.at({t.program->tile, array})[block];
        const ArrayState& s = t.arrays[array];
        const LayerProgram& l = m_prog.layers[s.layer];
        const int32_t* x = buffers(t, s.layer, true).x;
        const analog::LayerNumerics& num = l.layer->programmed.params.numerics;
        Sums& out = t.arrays[array].sums[block];
        const int64_t perFrame = s.count * bp.cols;
        if (const AnalogLayer* n = noisy(s.layer); n && n->hasProgrammingError()) {
            out.real.resize(static_cast<size_t>(m_frames * perFrame));
            for (int64_t f = 0; f < m_frames; ++f)
                n->programmedBlockSums(x + (f * l.vectors + s.v0) * l.kTotal, s.count, l.kTotal, bp.rowBlock,
                                       bp.block->colBegin, bp.block->colEnd, out.real.data() + f * perFrame);
            return;
        }
        int64_t* sums = out.exact.reserve(static_cast<size_t>(m_frames * perFrame));
        if (s.count == l.vectors) { // every vector of every frame: one kernel call
            const kernels::InputCodes in{x + bp.xOffset, m_frames * l.vectors, l.kTotal, num.inputBits, num.inputSigned};
            kernels::blockProduct(*bp.packed, in, 0, sums, bp.cols);
            return;
        }
        // A share of each frame's vectors (a replica): one kernel call over every frame's run.
        const kernels::InputCodes in{x + s.v0 * l.kTotal + bp.xOffset, m_frames * s.count, l.kTotal, num.inputBits,
                                     num.inputSigned, s.count, l.vectors * l.kTotal};
        kernels::blockProduct(*bp.packed, in, 0, sums, bp.cols);
    }

    void digitize(Tile& t, int64_t array, int64_t block)
    {
        const BlockProgram& bp = m_prog.arrays.at({t.program->tile, array})[block];
        ArrayState& s = t.arrays[array];
        const LayerProgram& l = m_prog.layers[s.layer];
        RowBuffer<int64_t>& acc = buffers(t, s.layer).acc;
        if (!acc.covers(s.v0, s.count))
            fail("layer '", l.view.nodeName, "': no accumulators for vectors [", s.v0, ", +", s.count, ") (no CLEAR)");
        Sums& sums = s.sums.at(block);
        const int64_t perFrame = s.count * bp.cols, c0 = bp.block->colBegin, n = l.cols;
        if (const AnalogLayer* layer = noisy(s.layer)) {
            if (!layer->hasProgrammingError())
                sums.real.assign(sums.exact.data.get(), sums.exact.data.get() + m_frames * perFrame);
            for (int64_t f = 0; f < m_frames; ++f) {
                const int64_t firstVector = static_cast<int64_t>(m_in.firstFrame + f) * l.vectors + s.v0;
                layer->addDigitizedNoisy(sums.real.data() + f * perFrame, s.count, bp.cols, c0, bp.cols, bp.rowBlock,
                                         firstVector, acc.row(f, s.v0) + c0, n);
            }
            return;
        }
        for (int64_t f = 0; f < m_frames; ++f)
            adcAccumulate(sums.exact.data.get() + f * perFrame, s.count, bp.cols, bp.shift, l.layer->programmed.adcMax,
                          acc.row(f, s.v0) + c0, n);
    }

    // MATVEC: every row block's exact sums, digitized by the ADC rule, added into ACC.
    void simdMatvec(Tile& t, int64_t layer, int64_t v0, int64_t count)
    {
        const LayerProgram& l = m_prog.layers[layer];
        const analog::ProgrammedLayer& prog = l.layer->programmed;
        LayerBuffers& b = buffers(t, layer, true);
        if (!b.acc.covers(v0, count))
            fail("layer '", l.view.nodeName, "': no accumulators for these vectors (no CLEAR)");
        std::vector<int64_t> sums(static_cast<size_t>(count * l.cols));
        for (int64_t f = 0; f < m_frames; ++f) {
            const kernels::InputCodes in{b.x + (f * l.vectors + v0) * l.kTotal, count, l.kTotal,
                                         prog.params.numerics.inputBits, prog.params.numerics.inputSigned};
            int64_t* acc = b.acc.row(f, v0);
            for (int64_t blk = 0; blk < prog.blocks(); ++blk) {
                kernels::blockProduct(*l.simdLevels, in, blk, sums.data(), l.cols);
                adcAccumulate(sums.data(), count, l.cols, prog.adcShifts[blk], prog.adcMax, acc, l.cols);
            }
        }
    }

    void epilogue(Tile& t, int64_t layer, int64_t v0, int64_t count)
    {
        const LayerProgram& l = m_prog.layers[layer];
        const analog::ProgrammedLayer& prog = l.layer->programmed;
        LayerBuffers& b = buffers(t, layer);
        if (!b.acc.covers(v0, count))
            fail("layer '", l.view.nodeName, "': no accumulators for vectors [", v0, ", +", count, ")");
        b.y.cover(v0, count, l.cols, m_frames, l.vectors);
        for (int64_t f = 0; f < m_frames; ++f)
            epilogueRows(b.acc.row(f, v0), count, l.cols, prog.biasCodes.data(), prog.requant.data(), l.outRange,
                         b.y.row(f, v0));
    }

    void scatterOut(Tile& t, int64_t layer)
    {
        const LayerProgram& l = m_prog.layers[layer];
        const PackageLayer& pl = *l.layer;
        const PackageTensor& yt = m_pkg.tensors[pl.outputTensor];
        LayerBuffers& b = buffers(t, layer);
        const double sy = pl.programmed.params.output.scale;
        std::vector<Tensor> outs;
        for (int64_t f = 0; f < m_frames; ++f) {
            Tensor out(DType::Float32, yt.shape);
            float* od = out.mutableData<float>();
            RowBuffer<int64_t>& acc = b.acc;
            RowBuffer<int32_t>& codes = b.y;
            if (!(pl.sumBeforeEpilogue ? acc.covers(0, l.vectors) : codes.covers(0, l.vectors)))
                fail("layer '", l.view.nodeName, "': this tile does not hold the ", pl.sumBeforeEpilogue ? "accumulators" : "output codes",
                     " of every vector of the frame");
            if (!pl.sumBeforeEpilogue) {
                const int32_t* y = codes.row(f, 0);
                for (size_t i = 0; i < l.map.size(); ++i)
                    od[l.map[i]] = static_cast<float>(y[i] * sy);
            } else {
                std::vector<int64_t> sums(static_cast<size_t>(out.numel()), 0);
                scatterAdd(l.map, acc.row(f, 0), sums.data());
                const int64_t channels = l.cols / pl.colsPerOutChannel;
                const int64_t spatial = out.numel() / (yt.shape[0] * channels);
                for (size_t e = 0; e < sums.size(); ++e) {
                    const int64_t c = (static_cast<int64_t>(e) / spatial) % channels; // NC... layout
                    const int32_t code = analog::epilogue(sums[e] + pl.channelBias[c],
                                                          pl.programmed.requant[c * pl.colsPerOutChannel], l.outRange);
                    od[e] = static_cast<float>(code * sy);
                }
            }
            outs.push_back(std::move(out));
        }
        t.tensors[pl.outputTensor] = std::move(outs);
    }

    void runDigital(Tile& t, int64_t index)
    {
        const DigitalProgram& dp = m_prog.digital[index];
        const Node& node = dp.graph.node(dp.node);
        std::vector<std::vector<Tensor>> results(dp.op->outputs.size());
        for (int64_t f = 0; f < m_frames; ++f) {
            std::vector<const Tensor*> ins;
            for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
                const int64_t id = dp.op->inputs[slot];
                const ValueId v = node.inputs[slot];
                ins.push_back(id >= 0 ? &tensorOn(t, id)[f] : v == kNoValue ? nullptr : &dp.graph.value(v).constant);
            }
            std::vector<Tensor> outs;
            outs.reserve(dp.op->outputs.size());
            std::vector<Tensor*> outPtrs;
            for (int64_t id : dp.op->outputs) {
                outs.emplace_back(computeDType(m_pkg.tensors[id].compute), m_pkg.tensors[id].shape);
                outPtrs.push_back(&outs.back());
            }
            KernelContext ctx(node, ins, outPtrs, m_scratch);
            node.op->kernelFn()(ctx);
            for (size_t i = 0; i < outs.size(); ++i) {
                const TensorQuantization& q = m_pkg.tensors[dp.op->outputs[i]].quant;
                if (q.quantized && outs[i].dtype() == DType::Float32)
                    fakeQuantizeRow(outs[i].mutableData<float>(), outs[i].numel(), q.scale,
                                    analog::codeRange(q.bits, q.isSigned), q.zeroPoint);
                results[i].push_back(std::move(outs[i]));
            }
        }
        for (size_t i = 0; i < results.size(); ++i)
            t.tensors[dp.op->outputs[i]] = std::move(results[i]);
    }

    // Rows [v0, v0 + count) of every frame of a [F * V, N] buffer.
    template <class T>
    std::vector<T> rows(RowBuffer<T>& buffer, const LayerProgram& l, int64_t v0, int64_t count) const
    {
        if (!buffer.covers(v0, count))
            fail("layer '", l.view.nodeName, "': nothing to send for vectors [", v0, ", +", count, ")");
        std::vector<T> out;
        out.reserve(static_cast<size_t>(m_frames * count * l.cols));
        for (int64_t f = 0; f < m_frames; ++f)
            out.insert(out.end(), buffer.row(f, v0), buffer.row(f, v0) + count * l.cols);
        return out;
    }

    void send(Tile& t, const Instruction& ins)
    {
        Message m;
        m.send = ins;
        const auto kind = static_cast<BufferKind>(ins.a[1]);
        const int64_t id = ins.a[2];
        if (kind == BufferKind::Tensor) {
            m.tensors = tensorOn(t, id);
            if (ins.a[0] == kHostTile) {
                m_outputs[id] = std::move(m.tensors);
                return;
            }
        } else {
            const LayerProgram& l = m_prog.layers[id];
            LayerBuffers& b = buffers(t, id);
            if (kind == BufferKind::Accumulator)
                m.acc = rows(b.acc, l, ins.a[3], ins.a[4]);
            else
                m.codes = rows(b.y, l, ins.a[3], ins.a[4]);
        }
        m_channels[{t.program->tile, ins.a[0]}].push_back(std::move(m));
    }

    template <class T>
    void putRows(RowBuffer<T>& buffer, const std::vector<T>& data, const LayerProgram& l, int64_t v0, int64_t count,
                 bool add) const
    {
        const int64_t width = count * l.cols;
        if (add && !buffer.covers(v0, count))
            fail("layer '", l.view.nodeName, "': partial sums arrive for vectors [", v0, ", +", count, ") this tile has not cleared");
        buffer.cover(v0, count, l.cols, m_frames, l.vectors);
        for (int64_t f = 0; f < m_frames; ++f) {
            T* dst = buffer.row(f, v0);
            const T* src = data.data() + f * width;
            for (int64_t i = 0; i < width; ++i)
                dst[i] = add ? dst[i] + src[i] : src[i];
        }
    }

    bool receive(Tile& t, const Instruction& ins)
    {
        const auto kind = static_cast<BufferKind>(ins.a[1]);
        const int64_t id = ins.a[2];
        if (ins.a[0] == kHostTile) {
            const auto at = std::find(m_pkg.inputs.begin(), m_pkg.inputs.end(), id) - m_pkg.inputs.begin();
            t.tensors[id] = m_in.frames[at];
            return true;
        }
        std::deque<Message>& q = m_channels[{ins.a[0], t.program->tile}];
        if (q.empty())
            return false;
        Message m = std::move(q.front());
        q.pop_front();
        if (!std::equal(m.send.a.begin() + 1, m.send.a.begin() + 5, ins.a.begin() + 1))
            fail("the next message from tile ", ins.a[0], " is not what this RECV names");
        if (kind == BufferKind::Tensor) {
            t.tensors[id] = std::move(m.tensors);
            return true;
        }
        const LayerProgram& l = m_prog.layers[id];
        LayerBuffers& b = buffers(t, id);
        if (kind == BufferKind::Accumulator) {
            putRows(b.acc, m.acc, l, ins.a[3], ins.a[4], ins.a[5] != 0);
        } else {
            putRows(b.y, m.codes, l, ins.a[3], ins.a[4], false);
        }
        return true;
    }

    const MachineProgram& m_prog;
    const Package& m_pkg;
    const BatchInput& m_in;
    int64_t m_frames;
    std::vector<Tile> m_tiles;
    std::map<std::pair<int64_t, int64_t>, std::deque<Message>> m_channels;
    std::map<int64_t, Scratch<int32_t>> m_gathered; // X of every frame, by layer
    std::map<int64_t, std::vector<Tensor>> m_outputs;
    std::vector<float> m_scratch;
    Scratch<int32_t> m_codes; // GATHER: one frame's input codes
};

} // namespace

std::vector<std::vector<Tensor>> runBatch(const MachineProgram& program, const BatchInput& input)
{
    BatchRun run(program, input);
    return run.execute();
}

} // namespace tessera::sim

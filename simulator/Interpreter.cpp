// The package interpreter (docs/package-format.md gives each opcode's semantics; this file
// implements them one function per opcode).
#include "simulator/Interpreter.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/analog/Numerics.h"
#include "simulator/RowBuffer.h"
#include "core/kernels/ElementKernels.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

namespace tessera::sim {

namespace {

using namespace tessera::package;
using analog::AnalogLayer;

struct Drive {
    int64_t layer = -1, v0 = 0, count = 0;
};

struct Sums {
    Scratch<int64_t> exact;   // [F][count][cols]
    std::vector<double> real; // the same as reals (noise on)
    // Noise off: the MVM only records its drive, and its ADC computes the exact sums a few
    // frames at a time into a cache-sized buffer and digitizes them at once (the same
    // values: X and the levels do not change within a batch).
    bool deferred = false;
    Drive drive;
};

struct ArrayState : Drive {
    std::map<int64_t, Sums> sums; // by placed block (validatePackage: an ADC follows its MVM)
};

struct LayerBuffers {
    const int32_t* x = nullptr;     // input codes [F * V, groups * K], or
    const uint8_t* bytes = nullptr; // the same as kernel bytes, rows LayerProgram::byteStride apart
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
        if (needInput && !b.x && !b.bytes)
            fail("layer '", l.view.nodeName, "': its input vectors were not gathered on this tile");
        return b;
    }

    // GATHER: the layer's input codes for the whole frame, made once per batch (every tile's
    // copy of the input tensor holds the same values) and shared; the rows are the tile's.
    // As the kernels' bytes where the layer allows it and no programming error needs codes.
    void gather(Tile& t, int64_t layer)
    {
        const LayerProgram& l = m_prog.layers[layer];
        const AnalogLayer* n = noisy(layer);
        if (l.byteStride > 0 && !(n && n->hasProgrammingError()))
            buffers(t, layer).bytes = gatheredBytes(t, l, layer);
        else
            buffers(t, layer).x = gatheredCodes(t, l, layer);
    }

    const uint8_t* gatheredBytes(const Tile& t, const LayerProgram& l, int64_t layer)
    {
        auto it = m_gatheredBytes.find(layer);
        if (it != m_gatheredBytes.end())
            return it->second.data.get();
        const std::vector<Tensor>& frames = tensorOn(t, l.layer->inputTensor);
        const analog::ProgrammedLayer& prog = l.layer->programmed;
        const int32_t offset = kernels::inputByteOffset(prog.params.numerics.inputBits, prog.params.numerics.inputSigned);
        const int64_t z = prog.params.numerics.inputZeroPoint; // padding reads z
        const int64_t perFrame = l.vectors * l.byteStride, tail = m_frames * perFrame;
        uint8_t* all = m_gatheredBytes[layer].reserve(static_cast<size_t>(tail + kernels::kInputBytesTail));
        std::fill_n(all + tail, kernels::kInputBytesTail, uint8_t{0});
        for (int64_t f = 0; f < m_frames; ++f) {
            const Tensor& x = frames[f];
            uint8_t* codes = m_bytes.reserve(static_cast<size_t>(x.numel()));
            kernels::quantizeBytes(x.data<float>(), x.numel(), prog.params.inputScale, l.inRange, z, offset, codes);
            analog::gatherInputRows(l.gather, l.kTotal, static_cast<const uint8_t*>(codes), static_cast<uint8_t>(z + offset),
                                    all + f * perFrame, l.byteStride, static_cast<uint8_t>(offset));
        }
        return all;
    }

    const int32_t* gatheredCodes(const Tile& t, const LayerProgram& l, int64_t layer)
    {
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
                    kernels::quantizeRow(x.data<float>(), x.numel(), scale, l.inRange, z, cd);
                    analog::gatherInputMatrix(l.gather, cd, all.data.get() + f * perFrame, static_cast<int32_t>(z));
                    continue;
                }
                Tensor codes(DType::Int32, x.shape());
                kernels::quantizeRow(x.data<float>(), x.numel(), scale, l.inRange, z, codes.mutableData<int32_t>());
                int64_t m = 0;
                const std::vector<int32_t> matrix = analog::analogInputMatrix(l.graph, l.graph.node(l.node), l.view, codes,
                                                                              m, static_cast<int32_t>(z));
                if (m != l.vectors)
                    fail("layer '", l.view.nodeName, "': ", m, " input vectors, the package says ", l.vectors);
                std::copy(matrix.begin(), matrix.end(), all.data.get() + f * perFrame);
            }
            it = m_gathered.find(layer);
        }
        return it->second.data.get();
    }

    void clear(Tile& t, int64_t layer, int64_t v0, int64_t count)
    {
        const LayerProgram& l = m_prog.layers[layer];
        LayerBuffers& b = buffers(t, layer);
        b.acc.cover(v0, count, l.cols, m_frames, l.vectors);
        b.acc.zero(v0, count);
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
        Sums& out = t.arrays[array].sums[block];
        const int64_t perFrame = s.count * bp.cols;
        out.drive = s;
        out.deferred = noisy(s.layer) == nullptr;
        if (out.deferred)
            return;
        if (const AnalogLayer* n = noisy(s.layer); n->hasProgrammingError()) {
            out.real.resize(static_cast<size_t>(m_frames * perFrame));
            for (int64_t f = 0; f < m_frames; ++f)
                n->programmedBlockSums(x + (f * l.vectors + s.v0) * l.kTotal, s.count, l.kTotal, bp.rowBlock,
                                       bp.block->colBegin, bp.block->colEnd, out.real.data() + f * perFrame);
            return;
        }
        blockSums(t, bp, s, 0, m_frames, out.exact.reserve(static_cast<size_t>(m_frames * perFrame)));
    }

    // The exact sums of block bp over the driven vectors of frames [f0, f1): [f1 - f0][count][cols],
    // one kernel call over every frame's run of vectors, read in place.
    void blockSums(Tile& t, const BlockProgram& bp, const Drive& d, int64_t f0, int64_t f1, int64_t* sums)
    {
        const LayerProgram& l = m_prog.layers[d.layer];
        const LayerBuffers& b = buffers(t, d.layer, true);
        const analog::LayerNumerics& num = l.layer->programmed.params.numerics;
        const int64_t count = (f1 - f0) * d.count;
        if (b.bytes) {
            const int64_t stride = l.byteStride;
            const kernels::InputBytes in{b.bytes + (f0 * l.vectors + d.v0) * stride + bp.xOffset, count, stride,
                                         num.inputBits, num.inputSigned, d.count, l.vectors * stride};
            kernels::blockProduct(*bp.packed, in, 0, sums, bp.cols);
            return;
        }
        const kernels::InputCodes in{b.x + (f0 * l.vectors + d.v0) * l.kTotal + bp.xOffset, count, l.kTotal,
                                     num.inputBits, num.inputSigned, d.count, l.vectors * l.kTotal};
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
        const int64_t adcMax = l.layer->programmed.adcMax;
        if (sums.deferred) { // frames in chunks of about 256 KB of sums (at least 16 frames)
            // A block of every column into rows that are all 0: the ADC stores.
            const bool store = bp.cols == n && acc.allPending(s.v0, s.count);
            const int64_t chunk = std::max<int64_t>(16, (int64_t{32} << 10) / std::max<int64_t>(perFrame, 1));
            int64_t* buf = m_chunk.reserve(static_cast<size_t>(std::min(chunk, m_frames) * perFrame));
            for (int64_t f0 = 0; f0 < m_frames; f0 += chunk) {
                const int64_t f1 = std::min(m_frames, f0 + chunk);
                blockSums(t, bp, sums.drive, f0, f1, buf);
                if (!store)
                    acc.settleFrames(s.v0, s.count, f0, f1); // the zeros of CLEAR, while in cache
                for (int64_t f = f0; f < f1; ++f)
                    kernels::adcAccumulate(buf + (f - f0) * perFrame, s.count, bp.cols, bp.shift, adcMax, acc.row(f, s.v0) + c0,
                                  n, store);
            }
            acc.wrote(s.v0, s.count);
            sums.deferred = false;
            return;
        }
        acc.settle(s.v0, s.count);
        if (const AnalogLayer* layer = noisy(s.layer)) { // not deferred
            if (!layer->hasProgrammingError())
                sums.real.assign(sums.exact.data.get(), sums.exact.data.get() + m_frames * perFrame);
            for (int64_t f = 0; f < m_frames; ++f) {
                const int64_t firstVector = static_cast<int64_t>(m_in.firstFrame + f) * l.vectors + s.v0;
                layer->addDigitizedNoisy(sums.real.data() + f * perFrame, s.count, bp.cols, c0, bp.cols, bp.rowBlock,
                                         firstVector, acc.row(f, s.v0) + c0, n);
            }
        }
    }

    // MATVEC: every row block's exact sums, digitized by the ADC rule, added into ACC.
    void simdMatvec(Tile& t, int64_t layer, int64_t v0, int64_t count)
    {
        const LayerProgram& l = m_prog.layers[layer];
        const analog::ProgrammedLayer& prog = l.layer->programmed;
        LayerBuffers& b = buffers(t, layer, true);
        if (!b.acc.covers(v0, count))
            fail("layer '", l.view.nodeName, "': no accumulators for these vectors (no CLEAR)");
        b.acc.settle(v0, count);
        std::vector<int64_t> sums(static_cast<size_t>(count * l.cols));
        for (int64_t f = 0; f < m_frames; ++f) {
            const kernels::InputCodes in{b.x + (f * l.vectors + v0) * l.kTotal, count, l.kTotal,
                                         prog.params.numerics.inputBits, prog.params.numerics.inputSigned};
            int64_t* acc = b.acc.row(f, v0);
            for (int64_t blk = 0; blk < prog.blocks(); ++blk) {
                kernels::blockProduct(*l.simdLevels, in, blk, sums.data(), l.cols);
                kernels::adcAccumulate(sums.data(), count, l.cols, prog.adcShifts[blk], prog.adcMax, acc, l.cols);
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
        b.acc.settle(v0, count);
        b.y.cover(v0, count, l.cols, m_frames, l.vectors);
        b.y.wrote(v0, count);
        const int64_t accFrame = (b.acc.hi - b.acc.lo) * l.cols, yFrame = (b.y.hi - b.y.lo) * l.cols;
        kernels::epilogueRows(b.acc.row(0, v0), count, l.cols, prog.biasCodes.data(), prog.requant.data(), l.outRange,
                     b.y.row(0, v0), m_frames, accFrame, yFrame);
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
            // Every element is written below when the map is a permutation (or sums are scattered).
            Tensor out = pl.sumBeforeEpilogue || l.mapCoversOutput ? Tensor::uninitialized(DType::Float32, yt.shape)
                                                                    : Tensor(DType::Float32, yt.shape);
            float* od = out.mutableData<float>();
            RowBuffer<int64_t>& acc = b.acc;
            RowBuffer<int32_t>& codes = b.y;
            if (!(pl.sumBeforeEpilogue ? acc.covers(0, l.vectors) : codes.covers(0, l.vectors)))
                fail("layer '", l.view.nodeName, "': this tile does not hold the ", pl.sumBeforeEpilogue ? "accumulators" : "output codes",
                     " of every vector of the frame");
            if (f == 0)
                pl.sumBeforeEpilogue ? acc.settle(0, l.vectors) : codes.settle(0, l.vectors);
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
                // op kernels write every output element (core's executor hands them reused buffers)
                outs.push_back(Tensor::uninitialized(computeDType(m_pkg.tensors[id].compute), m_pkg.tensors[id].shape));
                outPtrs.push_back(&outs.back());
            }
            KernelContext ctx(node, ins, outPtrs, m_scratch);
            node.op->kernelFn()(ctx);
            for (size_t i = 0; i < outs.size(); ++i) {
                const TensorQuantization& q = m_pkg.tensors[dp.op->outputs[i]].quant;
                if (q.quantized && outs[i].dtype() == DType::Float32)
                    kernels::fakeQuantizeRow(outs[i].mutableData<float>(), outs[i].numel(), q.scale,
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
        buffer.settle(v0, count);
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
        if (add)
            buffer.settle(v0, count);
        else
            buffer.wrote(v0, count);
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
    std::map<int64_t, Scratch<uint8_t>> m_gatheredBytes; // the same as kernel bytes
    std::map<int64_t, std::vector<Tensor>> m_outputs;
    std::vector<float> m_scratch;
    Scratch<int32_t> m_codes; // GATHER: one frame's input codes
    Scratch<uint8_t> m_bytes; // the same as kernel bytes
    Scratch<int64_t> m_chunk; // ADC: a few frames' exact sums
};

} // namespace

std::vector<std::vector<Tensor>> runBatch(const MachineProgram& program, const BatchInput& input)
{
    BatchRun run(program, input);
    return run.execute();
}

} // namespace tessera::sim

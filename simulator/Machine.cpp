// The virtual chip: validates and prepares a package once (Program.cpp), then runs batches
// of frames through the tile programs (Interpreter.cpp) on worker threads. Frames are split
// into batches of consecutive frames; each batch runs on its own machine state, and noise is
// keyed by the global frame index, so results never depend on the thread count or split.
#include "simulator/Machine.h"

#include "core/Error.h"
#include "core/Parallel.h"
#include "core/analog/Numerics.h"
#include "simulator/Interpreter.h"
#include "simulator/Program.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace tessera::sim {

using namespace tessera::package;

using NoisyLayers = std::vector<std::unique_ptr<analog::AnalogLayer>>;

struct Machine::State {
    std::unique_ptr<MachineProgram> program;
    mutable std::mutex noiseMutex;
    mutable std::map<uint64_t, std::shared_ptr<const NoisyLayers>> noisy; // by seed
};

Machine::Machine(package::Package package) : m_state(std::make_unique<State>())
{
    m_state->program = prepareProgram(std::move(package));
}
Machine::~Machine() = default;
Machine::Machine(Machine&&) noexcept = default;
Machine& Machine::operator=(Machine&&) noexcept = default;

const package::Package& Machine::package() const { return m_state->program->pkg; }

namespace {

// Frames of one input, as the graph computes them: float code * scale for quantized
// tensors (float inputs rounded to the grid, code inputs scaled), else the values.
std::vector<Tensor> splitFrames(const PackageTensor& desc, const Tensor& input, int64_t frames)
{
    const DType compute = computeDType(desc.compute);
    const bool codes = desc.quant.quantized && input.dtype() != DType::Float32;
    if (codes && input.dtype() != computeDType(desc.type))
        fail("input '", desc.name, "' takes float32 or ", elementTypeName(desc.type), " codes, got ", dtypeName(input.dtype()));
    if (!codes && input.dtype() != compute)
        fail("input '", desc.name, "' takes ", dtypeName(compute), ", got ", dtypeName(input.dtype()));
    const int64_t per = numElements(desc.shape);
    const size_t elementBytes = dtypeSize(input.dtype());
    std::vector<Tensor> out;
    for (int64_t f = 0; f < frames; ++f) {
        Tensor t(compute, desc.shape);
        const char* src = static_cast<const char*>(input.rawData()) + f * per * elementBytes;
        if (!codes)
            std::memcpy(t.mutableRawData(), src, static_cast<size_t>(per) * elementBytes);
        else
            for (int64_t i = 0; i < per; ++i) { // codes -> code * scale, clamped to the code range
                int64_t c = 0;
                switch (input.dtype()) {
                case DType::Int8: c = reinterpret_cast<const int8_t*>(src)[i]; break;
                case DType::UInt8: c = reinterpret_cast<const uint8_t*>(src)[i]; break;
                case DType::Int16: c = reinterpret_cast<const int16_t*>(src)[i]; break;
                default: c = reinterpret_cast<const int32_t*>(src)[i]; break;
                }
                const analog::CodeRange r = analog::codeRange(desc.quant.bits, desc.quant.isSigned);
                const int64_t centered = analog::saturate(c, r.lo, r.hi) - desc.quant.zeroPoint;
                t.mutableData<float>()[i] = static_cast<float>(static_cast<double>(centered) * desc.quant.scale);
            }
        if (desc.quant.quantized && !codes)
            analog::fakeQuantize(t.mutableData<float>(), per, desc.quant.scale,
                                 analog::codeRange(desc.quant.bits, desc.quant.isSigned), desc.quant.zeroPoint);
        out.push_back(std::move(t));
    }
    return out;
}

int64_t frameCountOf(const Package& pkg, const std::vector<Tensor>& inputs)
{
    if (inputs.size() != pkg.inputs.size())
        fail(pkg.header.modelName, ": the package takes ", pkg.inputs.size(), " inputs, got ", inputs.size());
    int64_t frames = -1;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const PackageTensor& d = pkg.tensors[pkg.inputs[i]];
        const Shape& s = inputs[i].shape();
        const bool sameInner = s.size() == d.shape.size() && !s.empty() && std::equal(s.begin() + 1, s.end(), d.shape.begin() + 1);
        if (!sameInner || d.shape[0] <= 0 || s[0] % d.shape[0] != 0 || s[0] == 0)
            fail("input '", d.name, "' expects ", shapeToString(d.shape), " (or a multiple of its first dimension), got ",
                 shapeToString(s));
        const int64_t f = s[0] / d.shape[0];
        if (frames >= 0 && f != frames)
            fail("inputs hold different frame counts (", frames, " and ", f, ")");
        frames = f;
    }
    return std::max<int64_t>(frames, 1);
}

// Frames per batch: enough vectors for the kernels, bounded so one batch's accumulators
// stay around 16 MB (cache-friendlier than larger batches).
int64_t batchFrames(const MachineProgram& p, int64_t frames, int threads)
{
    int64_t perFrame = 1;
    for (const LayerProgram& l : p.layers)
        perFrame = std::max(perFrame, l.vectors * std::max(l.cols, l.kTotal) * 8);
    const int64_t byMemory = std::max<int64_t>(1, (int64_t(16) << 20) / perFrame);
    const int64_t byThreads = (frames + threads - 1) / threads;
    return std::max<int64_t>(1, std::min({int64_t(64), byMemory, byThreads}));
}

} // namespace

std::vector<Tensor> Machine::run(const std::vector<Tensor>& inputs, const RunOptions& options) const
{
    const MachineProgram& prog = *m_state->program;
    const Package& pkg = prog.pkg;
    const int64_t frames = frameCountOf(pkg, inputs);
    std::vector<std::vector<Tensor>> frameInputs;
    for (size_t i = 0; i < inputs.size(); ++i)
        frameInputs.push_back(splitFrames(pkg.tensors[pkg.inputs[i]], inputs[i], frames));
    std::shared_ptr<const NoisyLayers> noisy;
    if (options.noise) {
        analog::NonIdealities ni = pkg.nonIdealities;
        if (options.overrideSeed)
            ni.seed = options.seed;
        if (ni.any()) {
            std::lock_guard<std::mutex> lock(m_state->noiseMutex);
            auto& slot = m_state->noisy[ni.seed];
            if (!slot) {
                auto layers = std::make_shared<NoisyLayers>();
                for (const PackageLayer& l : pkg.layers) {
                    const analog::NonIdealities own = analog::nonIdealitiesOn(mvmUnit(l), ni);
                    layers->push_back(own.any() ? std::make_unique<analog::AnalogLayer>(l.programmed, own) : nullptr);
                }
                slot = layers;
            }
            noisy = slot;
        }
    }
    const int threads = std::max(1, options.threads > 0 ? options.threads : threadCount());
    const int64_t batch = batchFrames(prog, frames, threads);
    const int64_t batches = (frames + batch - 1) / batch;
    std::vector<std::vector<std::vector<Tensor>>> results(static_cast<size_t>(batches));
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto worker = [&] {
        for (int64_t b = next++; b < batches; b = next++) {
            try {
                BatchInput in;
                const int64_t f0 = b * batch, count = std::min(batch, frames - f0);
                for (const std::vector<Tensor>& all : frameInputs)
                    in.frames.emplace_back(all.begin() + f0, all.begin() + f0 + count);
                in.frameCount = count;
                in.firstFrame = options.firstFrame + static_cast<uint64_t>(f0);
                in.noisy = noisy.get();
                results[b] = runBatch(prog, in);
            } catch (...) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!error)
                    error = std::current_exception();
                next = batches;
            }
        }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < std::min<int64_t>(threads, batches); ++i)
        pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
    std::vector<Tensor> outputs;
    for (size_t o = 0; o < pkg.outputs.size(); ++o) {
        const PackageTensor& d = pkg.tensors[pkg.outputs[o]];
        Shape shape = d.shape;
        if (!shape.empty())
            shape[0] *= frames;
        Tensor out(computeDType(d.compute), shape);
        char* dst = static_cast<char*>(out.mutableRawData());
        for (const auto& batchOut : results)
            for (const Tensor& t : batchOut[o]) {
                std::memcpy(dst, t.rawData(), t.byteSize());
                dst += t.byteSize();
            }
        outputs.push_back(std::move(out));
    }
    return outputs;
}

} // namespace tessera::sim

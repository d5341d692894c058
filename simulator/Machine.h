#pragma once
// The virtual analog matrix processor: executes a deployment package (.tpkg) as the chip
// would, tile program by tile program (analog MVMs through core's programmed layers and
// integer kernels, ADC reads, SIMD and digital ops, NoC messages). Its oracle is the
// quantized reference executor: with noise off, outputs are bit-identical to it; with
// noise on, the same seed gives the same outputs (noise keyed per block and vector, not
// by call order). Reads core types and the package only; never the compiler.
// Implementation: Program.cpp (prepared once), Interpreter.cpp (the opcodes, per-tile
// state, message channels, scheduler; RowBuffer.h its row buffers); the per-element loops
// are core/kernels/ElementKernels.h.
#include "core/Tensor.h"
#include "core/package/Package.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::sim {

struct RunOptions {
    // Apply the package's non-idealities (programming error, read noise, ADC offset).
    bool noise = false;
    // Seed of the non-idealities (replaces the package's seed when set).
    bool overrideSeed = false;
    uint64_t seed = 0;
    // Global index of the first frame of this call: read noise is keyed by frame index, so
    // a frame draws the same noise in any batch split and on any thread.
    uint64_t firstFrame = 0;
    // Worker threads for the frames of one call (0: core/Parallel.h default).
    int threads = 0;
};

class Machine {
public:
    // Validates the package (validatePackage) and prepares its arrays. Throws tessera::Error.
    explicit Machine(package::Package package);
    ~Machine();
    Machine(Machine&&) noexcept;
    Machine& operator=(Machine&&) noexcept;

    const package::Package& package() const;

    // One tensor per package input, in Package::inputs order: float32 (quantized here by
    // the input's I/O descriptor) or already-quantized codes in the tensor's element type.
    // The leading dimension may be a multiple of the descriptor's: that many frames.
    // Returns one float32 tensor per package output (dequantized), frames stacked (an
    // output that is not float in the graph, e.g. ArgMax indices, keeps its own type).
    // Thread-safe: run() is const and may be called from several threads at once.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const RunOptions& options = {}) const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace tessera::sim

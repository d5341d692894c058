#pragma once
// Runs a prepared package on a batch of frames (internal to the simulator): one state per
// tile (program counter, its copies of tensors, per layer the X / ACC / Y buffers, per array
// the latched vectors and column sums), message queues between tiles, and a scheduler that
// round-robins the tiles until all HALT. The frames of a batch run in lockstep: every
// instruction applies to each frame of the batch, so the integer kernels see many vectors
// at once. Results do not depend on the batch: noise is keyed by the global frame index.
#include "core/Tensor.h"
#include "core/analog/AnalogModel.h"
#include "simulator/Program.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::sim {

struct BatchInput {
    // Per package input (Package::inputs order), one tensor per frame: values as the graph
    // computes them (float code * scale for quantized tensors).
    std::vector<std::vector<Tensor>> frames;
    int64_t frameCount = 0;
    uint64_t firstFrame = 0; // global index of frame 0 (read-noise keys)
    // When noise is on, one entry per package layer: its noisy model, or null where the layer
    // carries no noise (on the SIMD engine: analog::nonIdealitiesOn). Null when noise is off.
    const std::vector<std::unique_ptr<analog::AnalogLayer>>* noisy = nullptr;
};

// Per package output, one tensor per frame. Throws tessera::Error naming the tile and
// instruction on a runtime fault, or the waiting tiles when the programs are stuck.
std::vector<std::vector<Tensor>> runBatch(const MachineProgram& program, const BatchInput& input);

} // namespace tessera::sim

#pragma once
// Noise on over several seeds, shared by `tessera simulate --noise ... --seeds N` and the
// studio's simulation dock (app/controllers/SimulationController.h): which noise model a
// choice names, one run of the package per seed over the same frames, and the per-seed
// scores' mean, spread, min and max.
#include "core/Progress.h"
#include "core/Tensor.h"
#include "core/analog/AnalogModel.h"
#include "core/package/Package.h"
#include "simulator/Machine.h"

#include <functional>
#include <string>
#include <vector>

namespace tessera::sim {

// The noise model of a choice (`--noise`): "off" (none), "default" (the package's
// non-idealities; a package with none gets analog::defaultNonIdealities, seeded by the
// package's seed), else the path of a noise-model file (tessera::readNonIdealities).
analog::NonIdealities noiseModel(const std::string& choice, const package::Package& pkg);
// "read noise 0.06, programming error 0.02, ADC offset 0.5 LSB" (the non-zero ones).
std::string describeNoise(const analog::NonIdealities& noise);

// Scores of the seeds firstSeed, firstSeed + 1, ...: mean, spread (sample standard
// deviation; 0 for one seed), min and max.
struct SeedSpread {
    uint64_t firstSeed = 0;
    std::vector<double> values;
    double mean = 0, spread = 0, min = 0, max = 0;
};
SeedSpread spreadOf(uint64_t firstSeed, std::vector<double> values);

struct SeedSweepOptions {
    uint64_t firstSeed = 0;
    int seeds = 5;
    int64_t chunkFrames = 0; // frames per Machine::run call (0: all at once)
    int threads = 0;         // RunOptions::threads
};

// Runs `machine` with noise on (its package's non-idealities, the seed replaced) over every
// frame of `frames` (one input, frames stacked on axis 0 as Machine::run takes them) once
// per seed, and scores each seed's first output (all frames) with `score`. Read noise is
// keyed by frame index, so chunking changes nothing. Progress (frames over all seeds) and
// cancellation are checked before every chunk.
SeedSpread sweepSeeds(const Machine& machine, const Tensor& frames, const SeedSweepOptions& options,
                      const std::function<double(const Tensor& output)>& score, ProgressSink* progress = nullptr);

} // namespace tessera::sim

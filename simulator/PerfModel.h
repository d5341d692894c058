#pragma once
// Event-driven performance model of one deployment package on its target: how long a
// frame takes (pipeline fill), how many frames per second the chip sustains, what a frame
// costs in energy, and which resource limits it. Reads only the package and the target
// (the one recorded in the package header, or one given); never the compiler.
//
// Resources, each doing one thing at a time (docs/performance-model.md):
//   - every analog array: the package's placed blocks grouped into phases by the
//     compiler's rule (blocks sharing a row or a column time-multiplex; blocks on disjoint
//     rows and columns compute together); a read of a phase costs
//     analogReadNs(input bits, phase columns, ADC bits) (core/target/AnalogCost.h);
//   - every tile's digital unit (SIMD engine and processor): epilogues, row-block sums,
//     digital ops (ops from the op registry's cost column);
//   - every directed NoC link (XY routes on the 2D mesh; a transfer holds its whole path);
//   - the PCIe host link, one resource per direction.
// Dataflow: each layer's frame is cut into bands (a band of output rows); a band starts on
// a resource when the bands of its inputs it needs have arrived; a resource takes waiting
// steps older frames first.
#include "core/package/Package.h"
#include "core/target/Target.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessera::sim {

// What-if bit widths of an analog layer (0: as programmed in the package): time and energy
// only, the package's numerics are not changed.
struct LayerBits {
    int inputBits = 0;
    int adcBits = 0;
};

// Numbers the target file does not give (assumptions, documented with their reasoning in
// docs/performance-model.md).
struct PerfOptions {
    int frames = 16;         // frames run through the pipeline
    // The host submits frame f at f x this (ns); < 0: at the busiest resource's work per
    // frame (the fastest rate the chip could sustain); 0: all frames at time 0.
    double submitIntervalNs = -1;
    int bands = 8;           // dataflow granularity: bands per layer and frame
    double hostBytePj = 80.0; // PCIe 2.x link energy per byte (~10 pJ/bit, assumption)
    int traceFrames = 8;      // frames whose slices the report keeps (the trace)
    int maxFrames = 512;      // more frames are run until the pipeline is in steady state
    // A tile finishes all its steps of frame f before it starts any of frame f + 1 (tile
    // programs run once per frame, strictly in order); false: tiles interleave frames, as
    // the compiler's estimate assumes.
    bool tileFrameOrder = false;
    // Per layer name ("*": every analog layer) what-if DAC / ADC bits.
    std::map<std::string, LayerBits> bits;
};

struct LayerPerf {
    std::string name;
    std::string unit;          // "analog", "simd", "processor"
    int64_t tile = -1;         // digital: its tile; analog: the tile of its first block
    int64_t arrays = 0;        // analog: arrays holding its blocks (all replicas)
    int64_t replicas = 1;
    int64_t vectors = 0;       // input vectors (analog) / output positions (digital) per frame
    int inputBits = 0, adcBits = 0;
    double busyNsPerFrame = 0;     // its own work on its busiest resource
    double resourceNsPerFrame = 0; // the busiest resource it uses, all its work (the compiler's nsPerFrame)
    double arrayNsPerFrame = 0;    // analog: the busiest array it uses, all its phases
    double energyPjPerFrame = 0;
    double startNs = 0, endNs = 0; // first frame: first band started, last band finished
};

struct TilePerf {
    int64_t tile = 0;
    int64_t row = 0, col = 0;
    int64_t arrays = 0;
    double arrayBusy = 0;   // busiest array of the tile: busy fraction in steady state
    double digitalBusy = 0; // its digital unit: busy fraction in steady state
    double busy = 0;        // any unit of the tile busy
    double energyPjPerFrame = 0;
};

struct EnergyBreakdown { // pJ per frame
    double analog = 0, adc = 0, digital = 0, sram = 0, noc = 0, host = 0, staticEnergy = 0;
    double total() const { return analog + adc + digital + sram + noc + host + staticEnergy; }
};

// One busy interval of a resource (the trace).
struct PerfSlice {
    int track = 0; // PerfReport::tracks
    double startNs = 0, endNs = 0;
    int64_t frame = 0;
    int label = 0; // PerfReport::labels: the layer or the transfer
};

struct PerfTrack {
    std::string name; // "tile 3 (0,3) digital", "tile 3 array 0: conv1", "link (0,3)->(0,4)"
    int64_t tile = -1; // the tile it belongs to, -1: host / link
};

struct PerfReport {
    std::string model, target;
    int frames = 0, bands = 0;
    bool tileFrameOrder = false;
    double latencyNs = 0;        // frame 0 on an idle chip: host input -> host output
    double frameIntervalNs = 0;  // steady state: completion interval of the later frames
    std::vector<double> frameDoneNs; // completion time of each frame
    double submitIntervalNs = 0;     // frame f was submitted at f x this
    double loadedLatencyNs = 0;      // mean submit -> done of the second half of the frames
    double fps = 0;
    double boundNsPerFrame = 0;  // the busiest resource's work per frame (1 / upper bound on fps)
    EnergyBreakdown energy;
    double energyPjPerFrame = 0;
    double averagePowerW = 0;
    double macsPerFrame = 0;
    std::string busiestLink;          // the NoC link with the most work ("" without transfers)
    double busiestLinkNsPerFrame = 0; // its serialization time per frame
    double hostInNsPerFrame = 0, hostOutNsPerFrame = 0;
    std::string bottleneck;       // "array 12 (tile 12): layer 'conv1' ..."
    std::string bottleneckKind;   // "array", "digital", "link", "host"
    std::vector<LayerPerf> layers; // package layers, then digital ops
    std::vector<TilePerf> tiles;   // tiles with work
    std::vector<PerfTrack> tracks;
    std::vector<PerfSlice> slices;  // of the first PerfOptions::traceFrames frames
    std::vector<std::string> labels;
    std::vector<std::string> notes; // why figures differ from the ideal bound
};

// Throws tessera::Error naming the model when the package has no target JSON and `target`
// is not given.
PerfReport modelPerformance(const package::Package& package, const PerfOptions& options = {});
PerfReport modelPerformance(const package::Package& package, const Target& target, const PerfOptions& options = {});

// latency_us, fps, energy_uj_per_frame, average_power_w, bottleneck, energy, layers, tiles.
nlohmann::json toJson(const PerfReport& report);
// A few lines for the CLI.
std::string summaryText(const PerfReport& report);

} // namespace tessera::sim

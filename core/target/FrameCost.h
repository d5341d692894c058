#pragma once
// Whole-frame cost of a quantized model on a target, as an interface: what one frame costs
// once the spec is compiled for the chip and run through a performance model (energy per
// frame with static, NoC and host energy; latency; steady-state frames/s of the replicated
// pipeline; what limits it). The mixed-precision search (quant/Sensitivity.h) ranks its
// points by it; it only sees this interface. The composition roots (the CLI, the studio)
// implement it by compiling the spec and running the event-driven performance model
// (app/framecost/PerfFrameCost.h), which quant/ must never include.
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"

#include <string>
#include <vector>

namespace tessera {

struct FrameFigures {
    double energyUjPerFrame = 0.0;
    double latencyUs = 0.0; // one frame on an idle chip, host input to host output
    double fps = 0.0;       // steady state
    std::string bottleneck; // the resource limiting fps, as the performance model names it
    // Analog layers (spec layer names) whose busiest resource is within a few percent of
    // the bottleneck's work per frame: the layers whose bits can raise fps.
    std::vector<std::string> bottleneckLayers;
};

class FrameCostModel {
public:
    virtual ~FrameCostModel() = default;
    // One frame of `graph` (the batch the spec was calibrated for) quantized by `spec`.
    // Throws tessera::Error naming the model when it cannot be compiled (does not fit).
    virtual FrameFigures frameCost(const Graph& graph, const QuantSpec& spec) const = 0;
    // What prices the frames, for reports ("m1076, event-driven performance model").
    virtual std::string describe() const = 0;
};

} // namespace tessera

#pragma once
// The frame cost interface (core/target/FrameCost.h) as the CLI and the studio implement
// it: the spec compiled for the target (compiler/Compiler.h, default options, as `tessera
// compile`), packaged, and run through the event-driven performance model
// (simulator/PerfModel.h, default options, as `tessera simulate --report` and `tessera
// perf`). No Qt: the CLI and the studio both link this (tessera_frame_cost).
#include "core/target/FrameCost.h"
#include "core/target/Target.h"

namespace tessera::sim {
struct PerfReport;
}

namespace tessera {

class PerfFrameCost : public FrameCostModel {
public:
    explicit PerfFrameCost(Target target) : m_target(std::move(target)) {}
    FrameFigures frameCost(const Graph& graph, const QuantSpec& spec) const override;
    std::string describe() const override;
    const Target& target() const { return m_target; }

private:
    Target m_target;
};

// The figures of a performance report; bottleneck layers are the analog layers of `spec`
// whose busiest resource does at least 98% of the busiest resource's work per frame.
FrameFigures frameFiguresOf(const sim::PerfReport& report, const QuantSpec& spec);

} // namespace tessera

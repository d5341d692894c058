// `tessera perf model.tpkg [--target NAME|FILE] [--frames N] [--bands N] [--trace t.json]
// [--report r.json]`: the event-driven performance model of a deployment package on its
// target (simulator/PerfModel.h, docs/performance-model.md): latency, frames/s, energy per
// frame, power, the bottleneck, per layer and per tile; a Perfetto timeline.
#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/package/PackageIO.h"
#include "simulator/PerfModel.h"
#include "simulator/Trace.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace tessera::cli {

namespace {

struct PerfArgs {
    std::string file;
    std::string target; // empty: the target recorded in the package
    std::string trace;
    std::string report;
    std::vector<std::string> bits; // NAME=IN,ADC
    sim::PerfOptions options;
};

// "conv1=4,6" / "*=4," / "fc=,6" -> what-if bits (empty: as programmed).
void parseBits(const std::vector<std::string>& specs, sim::PerfOptions& options)
{
    for (const std::string& spec : specs) {
        const size_t eq = spec.find('='), comma = spec.find(',', eq == std::string::npos ? 0 : eq);
        if (eq == std::string::npos || eq == 0 || comma == std::string::npos)
            fail("--bits '", spec, "': expected NAME=INPUT_BITS,ADC_BITS (NAME * for every layer, a bit count may be empty)");
        auto number = [&](const std::string& text) { return text.empty() ? 0 : std::stoi(text); };
        try {
            options.bits[spec.substr(0, eq)] = {number(spec.substr(eq + 1, comma - eq - 1)), number(spec.substr(comma + 1))};
        } catch (const std::exception&) {
            fail("--bits '", spec, "': bit counts must be integers");
        }
    }
}

int runPerf(PerfArgs o)
{
    parseBits(o.bits, o.options);
    const package::Package pkg = package::readPackage(o.file);
    const sim::PerfReport r = o.target.empty() ? sim::modelPerformance(pkg, o.options)
                                               : sim::modelPerformance(pkg, loadTarget(o.target), o.options);
    std::cout << sim::summaryText(r);
    if (!o.report.empty()) {
        writeFileAtomic(o.report, sim::toJson(r).dump(1) + "\n");
        std::fprintf(stderr, "wrote %s\n", o.report.c_str());
    }
    if (!o.trace.empty()) {
        sim::writeTrace(o.trace, r);
        std::fprintf(stderr, "wrote %s (open in ui.perfetto.dev or chrome://tracing)\n", o.trace.c_str());
    }
    return kExitOk;
}

} // namespace

CommandRun declarePerf(CLI::App& sub)
{
    auto o = std::make_shared<PerfArgs>();
    sub.add_option("file", o->file, "a deployment package (.tpkg)")->required();
    sub.add_option("--target", o->target, "time it on this target (preset or file) instead of the one in the package");
    sub.add_option("--frames", o->options.frames, "frames to run at least (more when the pipeline is deeper; default 16)")
        ->check(CLI::Range(1, 4096));
    sub.add_option("--bands", o->options.bands, "dataflow granularity: bands of rows per layer and frame (default 8)")
        ->check(CLI::Range(1, 1024));
    sub.add_option("--trace", o->trace, "write the timeline as Chrome/Perfetto trace-event JSON");
    sub.add_option("--trace-frames", o->options.traceFrames, "frames the timeline shows (default 8)")->check(CLI::Range(1, 4096));
    sub.add_flag("--tile-frame-order", o->options.tileFrameOrder,
                 "a tile finishes a frame before it starts the next (tile programs run once per frame)");
    sub.add_option("--bits", o->bits, "what-if DAC and ADC bits: NAME=IN,ADC (NAME * for every layer), e.g. '*=4,' conv1=8,6");
    sub.add_option("--report", o->report, "write the report as JSON (latency_us, fps, energy_uj_per_frame, ...)");
    return [o] { return runPerf(*o); };
}

} // namespace tessera::cli

// `tessera simulate model.tpkg --input x.npy [--output y.npy] [--labels y.npy]
// [--reference r.npy] [--noise off|default|FILE] [--seed N] [--seeds N] [--threads N]`: runs the package's
// tile programs on the virtual chip (simulator/Machine.h) for every frame of the input,
// prints frames, accuracy against labels, agreement with reference outputs (top-1 and bit
// for bit), accuracy over several noise seeds (mean and spread), and the simulator's own
// wall time and frames per second; then the chip's figures from the performance model
// (simulator/PerfModel.h): latency, frames/s, energy per frame, power, bottleneck, with
// --report (JSON: the performance report plus the functional results) and --trace
// (Perfetto timeline).
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/io/Npy.h"
#include "core/package/PackageIO.h"
#include "core/io/FileIO.h"
#include "simulator/Machine.h"
#include "simulator/PerfModel.h"
#include "simulator/SeedSweep.h"
#include "simulator/Trace.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tessera::cli {

namespace {

struct SimulateArgs {
    std::string package, input, output, labels, reference, report, trace;
    std::string noise = "off";
    int64_t seed = -1;
    int64_t seeds = 1; // with noise on and --labels: accuracy over this many seeds
    int threads = 1;
};

double accuracyOf(const Tensor& scores, const std::vector<int64_t>& labels, const std::string& path)
{
    const std::vector<int64_t> top = argmaxRows(scores);
    if (labels.size() != top.size())
        fail(path, ": ", labels.size(), " labels for ", top.size(), " frames");
    int64_t correct = 0;
    for (size_t i = 0; i < top.size(); ++i)
        correct += top[i] == labels[i];
    return static_cast<double>(correct) / static_cast<double>(std::max<size_t>(1, top.size()));
}

// Accuracy with noise on over seeds seed0, seed0 + 1, ... (sim::sweepSeeds): mean, spread
// (sample std), min and max.
void printSeedSpread(const sim::Machine& machine, const Tensor& x, const sim::RunOptions& ro, int64_t seeds,
                     const std::vector<int64_t>& labels, const std::string& path)
{
    sim::SeedSweepOptions so;
    so.firstSeed = ro.overrideSeed ? ro.seed : machine.package().nonIdealities.seed;
    so.seeds = static_cast<int>(seeds);
    so.threads = ro.threads;
    const sim::SeedSpread s =
        sim::sweepSeeds(machine, x, so, [&](const Tensor& out) { return accuracyOf(out, labels, path); });
    std::printf("top-1 accuracy over %lld seeds (%llu..%llu): mean %.2f%%, spread (std) %.2f%%, min %.2f%%, max %.2f%%\n",
                static_cast<long long>(seeds), static_cast<unsigned long long>(so.firstSeed),
                static_cast<unsigned long long>(so.firstSeed + seeds - 1), 100 * s.mean, 100 * s.spread, 100 * s.min,
                100 * s.max);
}

// Top-1 agreement and exact equality of two score tensors [frames, classes].
void printAgreement(const Tensor& got, const Tensor& ref, const std::string& path)
{
    if (ref.shape() != got.shape() || ref.dtype() != got.dtype())
        fail(path, ": reference has ", dtypeName(ref.dtype()), shapeToString(ref.shape()), ", the outputs are ",
             dtypeName(got.dtype()), shapeToString(got.shape()));
    const bool exact = std::memcmp(got.rawData(), ref.rawData(), got.byteSize()) == 0;
    if (got.rank() == 2 && got.dtype() == DType::Float32) {
        const std::vector<int64_t> a = argmaxRows(got), b = argmaxRows(ref);
        int64_t same = 0;
        for (size_t i = 0; i < a.size(); ++i)
            same += a[i] == b[i];
        std::printf("agreement: %.2f%% top-1 with %s (%lld/%lld)\n", 100.0 * same / std::max<size_t>(1, a.size()),
                    path.c_str(), static_cast<long long>(same), static_cast<long long>(a.size()));
    }
    std::printf("bit-exact with %s: %s\n", path.c_str(), exact ? "yes" : "no");
}

int runSimulate(const SimulateArgs& o)
{
    if (o.seeds > 1 && (o.noise == "off" || o.labels.empty()))
        fail("--seeds: needs --noise default or FILE and --labels (accuracy over several noise seeds)");
    const auto load0 = std::chrono::steady_clock::now();
    package::Package read = package::readPackage(o.package);
    const analog::NonIdealities noise = sim::noiseModel(o.noise, read);
    if (noise.any())
        read.nonIdealities = noise;
    const sim::Machine machine(std::move(read));
    const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load0).count();
    const package::Package& pkg = machine.package();
    if (pkg.inputs.size() != 1)
        fail(o.package, ": the package takes ", pkg.inputs.size(), " inputs; simulate feeds one --input");
    Tensor x = readNpy(o.input);
    const package::PackageTensor& in = pkg.tensors[pkg.inputs[0]];
    if (x.dtype() != DType::Float32 && !in.quant.quantized)
        x = x.castTo(package::computeDType(in.compute));
    sim::RunOptions ro;
    ro.noise = noise.any();
    ro.overrideSeed = o.seed >= 0;
    ro.seed = static_cast<uint64_t>(std::max<int64_t>(0, o.seed));
    ro.threads = o.threads;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<Tensor> outs = machine.run({x}, ro);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t frames = in.shape.empty() || in.shape[0] == 0 ? 1 : x.dim(0) / in.shape[0];
    std::printf("package %s (%s, target %s): %lld frames from %s, noise %s%s%s%s\n", o.package.c_str(),
                pkg.header.modelName.c_str(), pkg.header.target.name.c_str(), static_cast<long long>(frames), o.input.c_str(),
                o.noise.c_str(), noise.any() ? " (" : "", noise.any() ? sim::describeNoise(noise).c_str() : "",
                noise.any() ? ")" : "");
    if (!o.labels.empty()) {
        const std::vector<int64_t> labels = readNpy(o.labels).toInt64Vector();
        const double acc = accuracyOf(outs[0], labels, o.labels);
        std::printf("top-1 accuracy: %.2f%% (%lld/%lld correct)\n", 100.0 * acc,
                    static_cast<long long>(std::llround(acc * static_cast<double>(labels.size()))),
                    static_cast<long long>(labels.size()));
        if (o.seeds > 1)
            printSeedSpread(machine, x, ro, o.seeds, labels, o.labels);
    }
    if (!o.reference.empty())
        printAgreement(outs[0], readNpy(o.reference), o.reference);
    std::printf("simulator: %s for %lld frames (%.1f frames/s, %d thread%s; package loaded in %s)\n",
                formatSeconds(seconds).c_str(), static_cast<long long>(frames), frames / std::max(seconds, 1e-9), o.threads,
                o.threads == 1 ? "" : "s", formatSeconds(loadSeconds).c_str());
    if (!o.output.empty())
        writeNpy(o.output, outs[0]);
    const sim::PerfReport perf = sim::modelPerformance(pkg);
    std::printf("on the chip (performance model, %s): latency %.1f us, %.1f frames/s, %.2f uJ/frame, %.2f W; "
                "bottleneck %s\n",
                perf.target.c_str(), perf.latencyNs / 1e3, perf.fps, perf.energyPjPerFrame / 1e6, perf.averagePowerW,
                perf.bottleneck.c_str());
    if (!o.report.empty()) {
        nlohmann::json j = sim::toJson(perf);
        j["simulated_frames"] = frames;
        j["simulator_seconds"] = seconds;
        j["noise"] = o.noise;
        if (!o.labels.empty())
            j["top1"] = accuracyOf(outs[0], readNpy(o.labels).toInt64Vector(), o.labels);
        writeFileAtomic(o.report, j.dump(1) + "\n");
    }
    if (!o.trace.empty())
        sim::writeTrace(o.trace, perf);
    return kExitOk;
}

} // namespace

CommandRun declareSimulate(CLI::App& sub)
{
    auto o = std::make_shared<SimulateArgs>();
    sub.add_option("package", o->package, "Deployment package (.tpkg, tessera compile -o)")->required();
    sub.add_option("--input", o->input, "Input frames (.npy, float32 or codes; the first axis stacks frames)")->required();
    sub.add_option("-o,--output", o->output, "Write the first output (dequantized float32) as .npy");
    sub.add_option("--labels", o->labels, "Integer labels (.npy): top-1 accuracy of the first output");
    sub.add_option("--reference", o->reference, "Reference outputs (.npy): top-1 agreement and bit-exactness");
    sub.add_option("--noise", o->noise,
                   "off (default); default: the package's non-idealities, or the default analog-noise model when it has "
                   "none; or a noise-model file (JSON: non_idealities, or a quantization spec with them)");
    sub.add_option("--seed", o->seed, "Seed of the non-idealities (replaces the package's)");
    sub.add_option("--seeds", o->seeds, "With noise on and --labels: accuracy mean, spread, min and max over N seeds (from --seed)");
    sub.add_option("--threads", o->threads, "Worker threads for the frames (0: every core; results do not depend on it)");
    sub.add_option("--report", o->report,
                   "Write JSON: the performance model's report (latency_us, fps, energy_uj_per_frame, average_power_w, "
                   "bottleneck, layers, tiles) and the simulated frames and accuracy");
    sub.add_option("--trace", o->trace, "Write the performance model's timeline (Chrome/Perfetto trace-event JSON)");
    return [o] {
        applyThreads(o->threads);
        return runSimulate(*o);
    };
}

} // namespace tessera::cli

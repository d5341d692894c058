// `tessera bench model.tpkg --input x.npy [--onnx model.onnx] [--runs N] [--threads T]
// [--ort DIR]`: the simulator's own speed on a package (best of N runs after a warm-up, CPU
// and wall time, frames/s) and, when the ONNX model is given and the ONNX Runtime peer is
// installed (node + onnxruntime-node in DIR with bench/ort/bench-ort.js, as
// scripts/lib/ort.sh installs it), ONNX Runtime FP32 on the same frames measured in the
// same run, with the ratios. Without the peer it prints its own figures and says why ORT
// was not measured. docs/simulator.md ("Speed") explains the clocks.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "core/package/PackageIO.h"
#include "simulator/Machine.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <sstream>

#include <unistd.h>

namespace tessera::cli {

namespace {

namespace fs = std::filesystem;

struct BenchArgs {
    std::string package, input, onnx, ortDir;
    int runs = 3;
    int threads = 1;
};

struct Timing {
    double wall = 1e300; // best of the runs, seconds
    double cpu = 1e300;  // best process CPU time of the runs, seconds
};

double processCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Timing timeSimulator(const sim::Machine& machine, const Tensor& x, const BenchArgs& o)
{
    sim::RunOptions ro;
    ro.threads = o.threads;
    machine.run({x}, ro); // warm-up: noise-free layers, caches, page faults
    Timing best;
    for (int i = 0; i < o.runs; ++i) {
        const double c0 = processCpuSeconds();
        const auto t0 = std::chrono::steady_clock::now();
        machine.run({x}, ro);
        best.wall = std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        best.cpu = std::min(best.cpu, processCpuSeconds() - c0);
    }
    return best;
}

// Where the ORT peer lives: --ort, else $TESSERA_ORT_DIR, else <build>/ort next to
// <build>/app/tessera (scripts/bench-sim.sh installs it there). Empty with `why` set when
// it cannot run.
std::string findOrt(const BenchArgs& o, std::string& why)
{
    std::string dir = o.ortDir;
    if (dir.empty() && std::getenv("TESSERA_ORT_DIR"))
        dir = std::getenv("TESSERA_ORT_DIR");
    if (dir.empty()) {
        std::error_code ec;
        const fs::path self = fs::read_symlink("/proc/self/exe", ec);
        dir = ec ? "ort" : (self.parent_path().parent_path() / "ort").string();
    }
    if (o.onnx.empty())
        why = "no --onnx model given";
    else if (std::system("command -v node >/dev/null 2>&1") != 0)
        why = "node is not on PATH";
    else if (!fs::exists(fs::path(dir) / "node_modules" / "onnxruntime-node") || !fs::exists(fs::path(dir) / "bench-ort.js"))
        why = strCat("no onnxruntime-node and bench-ort.js in ", dir,
                     " (scripts/bench-sim.sh installs them; or give --ort DIR / TESSERA_ORT_DIR)");
    return why.empty() ? dir : std::string();
}

// ONNX Runtime FP32 on the frames (1 warm-up, `runs` timed runs, intra-op threads = --threads).
// Returns false with `why` set when the peer fails.
bool timeOrt(const std::string& dir, const Tensor& x, const BenchArgs& o, Timing& t, std::string& why)
{
    const fs::path tmp = fs::temp_directory_path() / strCat("tessera-bench-", ::getpid());
    fs::create_directories(tmp);
    const std::string bin = (tmp / "x.bin").string();
    nlohmann::json meta;
    meta["shape"] = x.shape();
    writeFileAtomic((tmp / "x.json").string(), meta.dump());
    writeFileAtomic(bin, std::string(static_cast<const char*>(x.rawData()), x.byteSize()));
    const std::string cmd = strCat("node '", dir, "/bench-ort.js' --runs ", o.runs, " --warmup 1 --threads ", o.threads,
                                   " model '", fs::absolute(o.onnx).string(), "' '", bin, "' 2>&1");
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[512];
        while (fgets(buf, sizeof buf, p))
            out += buf;
        pclose(p);
    }
    fs::remove_all(tmp);
    std::istringstream s(out.substr(std::min(out.find("ORT model "), out.size())));
    std::string tag, name;
    double medianWallMs = 0, medianCpuMs = 0, bestWallMs = 0;
    if (!(s >> tag >> name >> medianWallMs >> medianCpuMs >> bestWallMs)) {
        why = "bench-ort.js failed: " + out.substr(0, out.find('\n'));
        return false;
    }
    t.wall = bestWallMs / 1e3;
    t.cpu = medianCpuMs / 1e3;
    return true;
}

int runBench(const BenchArgs& o)
{
    if (o.runs < 1)
        fail("--runs: at least 1");
    const sim::Machine machine(package::readPackage(o.package));
    const package::Package& pkg = machine.package();
    if (pkg.inputs.size() != 1)
        fail(o.package, ": the package takes ", pkg.inputs.size(), " inputs; bench feeds one --input");
    const Tensor x = readNpy(o.input);
    if (x.dtype() != DType::Float32)
        fail(o.input, ": bench takes float32 frames (ONNX Runtime runs the same array), got ", dtypeName(x.dtype()));
    const std::vector<int64_t>& inShape = pkg.tensors[pkg.inputs[0]].shape;
    const int64_t frames = inShape.empty() || inShape[0] <= 0 ? 1 : x.dim(0) / inShape[0];
    const Timing sim = timeSimulator(machine, x, o);
    std::printf("package %s (%s, target %s), %lld frames from %s, %d thread%s, best of %d runs after 1 warm-up\n",
                o.package.c_str(), pkg.header.modelName.c_str(), pkg.header.target.name.c_str(),
                static_cast<long long>(frames), o.input.c_str(), o.threads, o.threads == 1 ? "" : "s", o.runs);
    std::printf("simulator:    CPU %.3f s, wall %.3f s: %.0f frames/s per CPU second, %.0f frames/s wall\n", sim.cpu,
                sim.wall, frames / std::max(sim.cpu, 1e-9), frames / std::max(sim.wall, 1e-9));
    std::string why;
    const std::string dir = findOrt(o, why);
    Timing ort;
    if (!dir.empty() && timeOrt(dir, x, o, ort, why)) {
        std::printf("ONNX Runtime: CPU %.3f s (median), wall %.3f s (best): %.0f frames/s per CPU second, FP32, "
                    "%d intra-op thread%s, same run\n",
                    ort.cpu, ort.wall, frames / std::max(ort.cpu, 1e-9), o.threads, o.threads == 1 ? "" : "s");
        std::printf("ratio simulator / ONNX Runtime: %.2fx CPU time, %.2fx wall time\n", sim.cpu / std::max(ort.cpu, 1e-9),
                    sim.wall / std::max(ort.wall, 1e-9));
    } else {
        std::printf("ONNX Runtime: not measured (%s); the simulator's figures above stand alone\n", why.c_str());
    }
    return kExitOk;
}

} // namespace

CommandRun declareBench(CLI::App& sub)
{
    auto o = std::make_shared<BenchArgs>();
    sub.add_option("package", o->package, "Deployment package (.tpkg, tessera compile -o)")->required();
    sub.add_option("--input", o->input, "Input frames (.npy, float32; the first axis stacks frames)")->required();
    sub.add_option("--onnx", o->onnx, "The ONNX model the package was compiled from: ONNX Runtime FP32 on the same frames");
    sub.add_option("--runs", o->runs, "Timed runs of each (best CPU and wall time reported; ORT: median CPU)");
    sub.add_option("--threads", o->threads, "Simulator worker threads and ORT intra-op threads");
    sub.add_option("--ort", o->ortDir,
                   "Folder with onnxruntime-node and bench-ort.js (default $TESSERA_ORT_DIR, else <build>/ort)");
    return [o] { return runBench(*o); };
}

} // namespace tessera::cli

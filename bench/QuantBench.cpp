// tessera-quant-bench: what the quantization stage costs on the bundled MNIST models.
// Per model: calibration time (512 images, ANA8 defaults), then the quantized reference
// executor against the FP32 executor over the same 2,000 test digits in the same run
// (CPU time, median of --runs), with both accuracies. The FP32 executor is the peer: the
// ratio says what simulating the analog numerics costs on top of plain inference.
#include "core/Memory.h"
#include "core/Error.h"
#include "core/Executor.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizedExecutor.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

using namespace tessera;
using namespace tessera::quant;

namespace {

double cpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double medianMs(int runs, const std::function<void()>& fn)
{
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const double t0 = cpuMs();
        fn();
        ms.push_back(cpuMs() - t0);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

double top1(const std::vector<float>& scores, const std::vector<int64_t>& labels)
{
    const size_t classes = scores.size() / labels.size();
    int64_t correct = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        const auto row = scores.begin() + static_cast<std::ptrdiff_t>(i * classes);
        correct += std::max_element(row, row + static_cast<std::ptrdiff_t>(classes)) - row == labels[i];
    }
    return 100.0 * correct / static_cast<double>(labels.size());
}

struct Row {
    std::string model;
    double calibrateMs = 0, fp32Ms = 0, quantMs = 0, fp32Top1 = 0, quantTop1 = 0;
};

Row benchModel(const std::string& dir, const std::string& name, int runs)
{
    Row row{name};
    const Dataset calib = loadNpyDataset({dir + "/mnist/mnist_calib_x.npy"});
    const Dataset test = loadNpyDataset({dir + "/mnist/mnist_test_x.npy"}, dir + "/mnist/mnist_test_y.npy");
    ModelGraphs model(dir + "/mnist/" + name + ".onnx");
    QuantSpec result;
    row.calibrateMs = medianMs(1, [&] { result = calibrate(model, calib, QuantConfig{}); });
    const Graph& g = model.forBatch(test.count());
    std::vector<float> fp32, quant;
    Executor fpExec(g);
    QuantizedExecutor qExec(g, result);
    row.fp32Ms = medianMs(runs, [&] { fp32 = fpExec.run({test.inputs})[0].toFloatVector(); });
    row.quantMs = medianMs(runs, [&] { quant = qExec.run({test.inputs})[0].toFloatVector(); });
    row.fp32Top1 = top1(fp32, test.labels);
    row.quantTop1 = top1(quant, test.labels);
    return row;
}

// A real export at its own batch (e.g. a torchvision ResNet-50 at batch 1): calibrated on
// `calibPath`, then both executors on the one-sample input `inputPath` (CPU ms per run).
Row benchExport(const std::string& onnx, const std::string& calibPath, const std::string& inputPath, int runs)
{
    Row row{onnx};
    const Dataset calib = loadNpyDataset({calibPath});
    const Dataset one = loadNpyDataset({inputPath});
    ModelGraphs model(onnx);
    QuantSpec result;
    row.calibrateMs = medianMs(1, [&] { result = calibrate(model, calib, QuantConfig{}); });
    const Graph& g = model.forBatch(model.runBatch(one.count()));
    Executor fpExec(g);
    QuantizedExecutor qExec(g, result);
    qExec.run({one.inputs}); // the first run lowers each layer once (sampleLowering)
    row.fp32Ms = medianMs(runs, [&] { fpExec.run({one.inputs}); });
    row.quantMs = medianMs(runs, [&] { qExec.run({one.inputs}); });
    return row;
}

} // namespace

int main(int argc, char** argv)
{
    tessera::keepFreedMemoryForReuse();
    CLI::App app{"Quantization stage benchmark: calibration time, quantized vs FP32 executor on 2,000 MNIST digits"};
    std::string dir = TESSERA_MODELS_DIR;
    std::vector<std::string> models{"mnist_lenet", "mnist_wide", "mnist_mobile"};
    int runs = 3;
    app.add_option("--data", dir, "folder with mnist/ (default: tests/data/models)");
    app.add_option("--models", models, "subset of mnist_lenet, mnist_wide, mnist_mobile")->delimiter(',');
    app.add_option("--runs", runs, "timed runs per executor (median reported)")->check(CLI::PositiveNumber);
    std::vector<std::string> exportArgs;
    app.add_option("--export", exportArgs, "also a real export: MODEL.onnx CALIB.npy INPUT1.npy (one sample)")
        ->expected(3);
    CLI11_PARSE(app, argc, argv);
    try {
        std::printf("| model | calibrate (512 img) | FP32 exec (2,000 img) | quantized exec | quant/FP32 | FP32 top-1 | ANA8 top-1 |\n");
        std::printf("|---|---|---|---|---|---|---|\n");
        for (const std::string& m : models) {
            const Row r = benchModel(dir, m, runs);
            std::printf("| %s | %.0f ms | %.0f ms | %.0f ms | %.2fx | %.2f%% | %.2f%% |\n", r.model.c_str(), r.calibrateMs,
                        r.fp32Ms, r.quantMs, r.quantMs / std::max(r.fp32Ms, 1e-9), r.fp32Top1, r.quantTop1);
            std::fflush(stdout);
        }
        if (!exportArgs.empty()) {
            const Row r = benchExport(exportArgs[0], exportArgs[1], exportArgs[2], runs);
            std::printf("| %s (1 sample) | %.0f ms | %.1f ms | %.1f ms | %.2fx | - | - |\n", r.model.c_str(),
                        r.calibrateMs, r.fp32Ms, r.quantMs, r.quantMs / std::max(r.fp32Ms, 1e-9));
        }
        std::printf("CPU time of this process (clock_gettime PROCESS_CPUTIME), median of %d runs.\n", runs);
    } catch (const Error& e) {
        std::fprintf(stderr, "tessera-quant-bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

// `tessera run`: the FP32 reference executor on an .npy input; with --quant, the quantized
// reference executor (the analog numeric model) running a quantization result; with
// --package, its noise drawn as the compiled package places the layers.
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/ModelRunner.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/io/Npy.h"
#include "core/package/PackageIO.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

namespace tessera::cli {

namespace {

struct RunOptions {
    std::string model, input, output;
    std::string quant; // quantization JSON: run the quantized executor
    std::string package; // with quant: noise as this compiled package places the layers
    bool noNonIdealities = false;
    int rows = 5; // rows whose top-1 is printed
    bool noOptimize = false;
    bool force = false; // use a quantization file made for another model
    int threads = 1;
};

// "out.npy" -> "out_1.npy" for the second output.
std::string outputPath(const std::string& base, size_t index)
{
    if (index == 0)
        return base;
    std::string stem = base.size() > 4 && base.substr(base.size() - 4) == ".npy" ? base.substr(0, base.size() - 4) : base;
    return strCat(stem, "_", index, ".npy");
}

void printSummary(const Graph& g, size_t index, const Tensor& out, int rows)
{
    const Value& v = g.value(g.outputs()[index]);
    std::vector<float> values = out.castTo(DType::Float32).toFloatVector();
    float lo = values.empty() ? 0 : values[0], hi = lo;
    double sum = 0;
    for (float x : values) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
    }
    std::printf("output '%s': %s%s  min %.6g  max %.6g  mean %.6g\n", v.name.c_str(), dtypeName(out.dtype()),
                shapeToString(out.shape()).c_str(), lo, hi, values.empty() ? 0.0 : sum / values.size());
    if (out.rank() != 2 || out.dim(1) < 2)
        return;
    std::vector<int64_t> top = argmaxRows(out);
    const int64_t classes = out.dim(1);
    for (int64_t r = 0; r < std::min<int64_t>(rows, out.dim(0)); ++r)
        std::printf("  row %lld: top-1 class %lld (score %.6g)\n", static_cast<long long>(r),
                    static_cast<long long>(top[r]), values[r * classes + top[r]]);
    if (out.dim(0) > rows)
        std::printf("  ... %lld more rows\n", static_cast<long long>(out.dim(0) - rows));
}

// The model over every row of `input` (as many runs as its batch needs), outputs joined
// along axis 0.
std::vector<Tensor> runRows(ModelRunner& runner, const RunOptions& o, const Tensor& input, ProgressSink& progress)
{
    std::vector<std::vector<Tensor>> parts;
    auto keep = [&](const quant::ModelBatch& b, const std::vector<Tensor>& outs) {
        parts.resize(outs.size());
        for (size_t i = 0; i < outs.size(); ++i)
            parts[i].push_back(b.realOutput(outs[i], strCat(o.model, ": output ", i)).clone());
    };
    const std::string what = strCat("running ", runner.graph().liveNodeCount(), " nodes, batch");
    runner.forEachRun(input, o.input, input.dim(0), what, progress, keep);
    std::vector<Tensor> outputs;
    for (const std::vector<Tensor>& p : parts)
        outputs.push_back(p.size() == 1 ? p[0] : quant::concatRows(p));
    return outputs;
}

int runRun(const RunOptions& o)
{
    applyThreads(o.threads);
    Tensor input = readNpy(o.input);
    if (input.rank() < 1 || input.dim(0) == 0)
        fail(o.input, ": expected rows along the first axis, got shape ", shapeToString(input.shape()));
    if (const int64_t bad = quant::firstNonFinite(input); bad >= 0)
        std::fprintf(stderr, "tessera: warning: %s: row %lld contains NaN or Inf (element %lld); its outputs are not meaningful\n",
                     o.input.c_str(), static_cast<long long>(bad / (input.numel() / input.dim(0))), static_cast<long long>(bad));
    ModelRunnerOptions ro;
    ro.model = o.model;
    ro.quant = o.quant;
    ro.optimize = !o.noOptimize;
    ro.force = o.force;
    ro.nonIdealities = !o.noNonIdealities;
    if (!o.package.empty()) {
        if (o.quant.empty())
            fail("--package: needs --quant (it says which layers of the quantized model carry noise)");
        ro.simdLayers = package::simdLayerNames(package::readPackage(o.package));
    }
    ModelRunner runner(ro, input, o.input);
    const Graph& g = runner.graph();
    const Value& in = g.value(g.inputs()[0]);
    if (input.dtype() != in.dtype) {
        if (input.dtype() == DType::Bool || in.dtype == DType::Bool)
            fail(o.input, ": holds ", dtypeName(input.dtype()), " but input '", in.name, "' takes ", dtypeName(in.dtype));
        input = input.castTo(in.dtype); // e.g. float64 images for a float32 model
    }

    ConsoleProgress progress(true);
    auto start = std::chrono::steady_clock::now();
    std::vector<Tensor> outputs = runRows(runner, o, input, progress);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish();

    std::printf("model %s, input %s%s from %s\n", o.model.c_str(), dtypeName(input.dtype()),
                shapeToString(input.shape()).c_str(), o.input.c_str());
    for (size_t i = 0; i < outputs.size(); ++i) {
        printSummary(g, i, outputs[i], o.rows);
        if (!o.output.empty()) {
            writeNpy(outputPath(o.output, i), outputs[i]);
            std::printf("  written to %s\n", outputPath(o.output, i).c_str());
        }
    }
    std::printf("time: %s (%s, %zu nodes)\n", formatSeconds(seconds).c_str(),
                o.quant.empty() ? "FP32 reference executor" : "quantized reference executor", g.liveNodeCount());
    return kExitOk;
}

} // namespace

CommandRun declareRun(CLI::App& sub)
{
    auto o = std::make_shared<RunOptions>();
    sub.add_option("model", o->model, "ONNX model file")->required();
    sub.add_option("-i,--input", o->input, "Input array (.npy): rows along axis 0, each of the input's shape without its batch dim")->required();
    sub.add_option("-o,--output", o->output,
                   "Where to write the output (.npy); further outputs go to <name>_1.npy, <name>_2.npy...");
    sub.add_option("--rows", o->rows, "How many rows' top-1 to print")->check(numberIn(0));
    sub.add_flag("--no-optimize", o->noOptimize, "Run the graph as imported, without the cleanup passes");
    sub.add_option("--quant", o->quant, "Quantization JSON: run the quantized model (the analog numeric model)");
    sub.add_flag("--force", o->force, "Use a quantization file made for another model (its content hash differs)");
    addThreadsOption(sub, o->threads);
    sub.add_option("--package", o->package,
                   "With --quant: the compiled package (.tpkg); its layers on the SIMD engine carry no noise, as in "
                   "`tessera simulate --noise default`");
    sub.add_flag("--ideal", o->noNonIdealities, "With --quant: ignore the result's non-idealities (noise, ADC offset)");
    return [o] { return runRun(*o); };
}

} // namespace tessera::cli

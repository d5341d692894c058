// `tessera run`: the FP32 reference executor on an .npy input; with --quant, the quantized
// reference executor (the analog numeric model) running a quantization result.
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/Executor.h"
#include "core/io/Npy.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

namespace tessera::cli {

namespace {

struct RunOptions {
    std::string model, input, output;
    std::string quant; // quantization JSON: run the quantized executor
    bool noNonIdealities = false;
    int rows = 5; // rows whose top-1 is printed
    bool noOptimize = false;
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

std::vector<Tensor> runQuantized(const RunOptions& o, const Tensor& input, ProgressSink* progress)
{
    const quant::QuantResult result = quant::readQuantResult(o.quant);
    quant::ModelGraphs model(o.model, input.shape());
    quant::prepareModel(model, result);
    quant::QuantizedExecutorOptions options;
    options.nonIdealities = !o.noNonIdealities;
    quant::QuantizedExecutor executor(model.forBatch(input.dim(0)), result, options);
    return executor.run({input}, {}, progress);
}

int runRun(const RunOptions& o)
{
    if (!o.quant.empty() && o.noOptimize)
        fail("--quant runs the graph the quantizer saw (cleanup passes on); drop --no-optimize");
    applyThreads(o.threads);
    Tensor input = readNpy(o.input);
    LoadRequest request;
    request.path = o.model;
    request.singleInputShape = input.shape();
    request.optimize = !o.noOptimize;
    ImportedModel model = loadModel(request);
    const Graph& g = model.graph;
    const Value& in = g.value(g.inputs()[0]);
    if (input.dtype() != in.dtype) {
        if (input.dtype() == DType::Bool || in.dtype == DType::Bool)
            fail(o.input, ": holds ", dtypeName(input.dtype()), " but input '", in.name, "' takes ", dtypeName(in.dtype));
        input = input.castTo(in.dtype); // e.g. float64 images for a float32 model
    }

    ConsoleProgress progress(true);
    auto start = std::chrono::steady_clock::now();
    LabelledProgress step(progress, 0.0, 1.0, strCat("running ", g.liveNodeCount(), " nodes"));
    std::vector<Tensor> outputs = o.quant.empty() ? Executor(g).run({input}, {}, &step) : runQuantized(o, input, &step);
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
    sub.add_option("-i,--input", o->input, "Input array (.npy); its shape fixes the model's input shape")->required();
    sub.add_option("-o,--output", o->output,
                   "Where to write the output (.npy); further outputs go to <name>_1.npy, <name>_2.npy...");
    sub.add_option("--rows", o->rows, "How many rows' top-1 to print")->check(CLI::NonNegativeNumber);
    sub.add_flag("--no-optimize", o->noOptimize, "Run the graph as imported, without the cleanup passes");
    sub.add_option("--quant", o->quant, "Quantization JSON: run the quantized model (the analog numeric model)");
    addThreadsOption(sub, o->threads);
    sub.add_flag("--ideal", o->noNonIdealities, "With --quant: ignore the result's non-idealities (noise, ADC offset)");
    return [o] { return runRun(*o); };
}

} // namespace tessera::cli

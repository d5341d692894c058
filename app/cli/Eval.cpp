// `tessera eval`: top-1 accuracy of the FP32 model over a labelled .npy dataset; with
// --quant, of the quantized model (the analog numeric model running a quantization result).
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/ModelRunner.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/io/Npy.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <memory>

namespace tessera::cli {

namespace {

struct EvalOptions {
    std::string model, data, labels;
    std::string quant; // quantization JSON
    int64_t batch = 256;
    bool noOptimize = false;
    bool force = false; // use a quantization file made for another model
    int threads = 1;
    bool json = false; // print the result as one JSON object
};

struct EvalFigures {
    int64_t count = 0, correct = 0, batches = 0, batch = 0;
    double seconds = 0.0;
};

void printEval(const EvalOptions& o, const EvalFigures& f, const quant::ModelGraphs& graphs)
{
    const char* executor = o.quant.empty() ? "FP32 reference executor" : "quantized reference executor";
    const double rate = f.count / std::max(f.seconds, 1e-9);
    if (o.json) {
        nlohmann::json j = {{"model", o.model},       {"data", o.data},           {"labels", o.labels},
                            {"quant", o.quant},       {"samples", f.count},       {"correct", f.correct},
                            {"top1", static_cast<double>(f.correct) / f.count}, {"seconds", f.seconds},
                            {"samples_per_second", rate}, {"executor", executor}, {"batches", f.batches},
                            {"batch", f.batch}};
        if (!graphs.fixedBatchReason().empty())
            j["fixed_batch"] = {{"batch", graphs.declaredBatch()}, {"reason", graphs.fixedBatchReason()}};
        std::printf("%s\n", j.dump(1).c_str());
        return;
    }
    std::printf("model %s on %lld samples from %s\n", o.model.c_str(), static_cast<long long>(f.count), o.data.c_str());
    std::printf("top-1 accuracy: %.2f%% (%lld/%lld correct)\n", 100.0 * f.correct / f.count,
                static_cast<long long>(f.correct), static_cast<long long>(f.count));
    std::printf("time: %s in %lld batches of %lld (%.0f samples/s, %s)\n", formatSeconds(f.seconds).c_str(),
                static_cast<long long>(f.batches), static_cast<long long>(f.batch), rate, executor);
    if (!graphs.fixedBatchReason().empty())
        std::printf("note: the model runs only batches of %lld (%s)\n", static_cast<long long>(graphs.declaredBatch()),
                    graphs.fixedBatchReason().c_str());
}

int runEval(const EvalOptions& o)
{
    applyThreads(o.threads);
    Tensor data = readNpy(o.data);
    if (data.rank() < 1 || data.dim(0) == 0)
        fail(o.data, ": expected a batch of samples along the first axis, got shape ", shapeToString(data.shape()));
    const int64_t count = data.dim(0);
    const int64_t bad = quant::firstNonFinite(data);
    if (bad >= 0)
        fail(o.data, ": sample ", bad / (data.numel() / count), " contains NaN or Inf (element ", bad,
             "); its top-1 would mean nothing");
    const std::vector<int64_t> labels = quant::loadLabels(o.labels, count);

    ModelRunnerOptions ro;
    ro.model = o.model;
    ro.quant = o.quant;
    ro.optimize = !o.noOptimize;
    ro.force = o.force;
    ModelRunner runner(ro, data, o.data);
    const DType inputType = runner.graph().value(runner.graph().inputs()[0]).dtype;
    if (data.dtype() != inputType)
        data = data.castTo(inputType);

    const Shape& outShape = runner.graph().value(runner.graph().outputs()[0]).shape;
    if (outShape.size() != 2)
        fail(o.model, ": output has shape ", shapeToString(outShape), "; eval needs [batch, classes] scores");
    quant::checkLabelRange(labels, outShape[1], o.labels); // before the runs: a bad file fails at once

    ConsoleProgress progress(true);
    int64_t correct = 0, batches = 0, batch = 0;
    auto start = std::chrono::steady_clock::now();
    auto score = [&](const quant::ModelBatch& b, const std::vector<Tensor>& outs) {
        const Tensor scores = b.realOutput(outs[0], o.model);
        std::vector<int64_t> top = argmaxRows(scores);
        for (int64_t r = 0; r < b.rows; ++r)
            correct += top[r] == labels[b.first + r];
        ++batches;
        batch = std::max(batch, b.inputs.dim(0));
    };
    runner.forEachRun(data, o.data, o.batch, "evaluating batch", progress, score);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish();
    printEval(o, {count, correct, batches, batch, seconds}, runner.graphs());
    return kExitOk;
}

} // namespace

CommandRun declareEval(CLI::App& sub)
{
    auto o = std::make_shared<EvalOptions>();
    sub.add_option("model", o->model, "ONNX model file")->required();
    sub.add_option("-d,--data", o->data, "Samples (.npy), first axis = sample, e.g. float32 [N,1,28,28]")->required();
    sub.add_option("-l,--labels", o->labels, "Integer class labels (.npy), shape [N]")->required();
    sub.add_option("-b,--batch", o->batch, "Samples per executor run (default 256; a model whose fixed batch cannot be changed runs that batch)")->check(numberIn(1));
    sub.add_flag("--no-optimize", o->noOptimize, "Run the graph as imported, without the cleanup passes");
    addThreadsOption(sub, o->threads);
    sub.add_option("--quant", o->quant, "Quantization JSON: evaluate the quantized model (tessera quantize)");
    sub.add_flag("--force", o->force, "Use a quantization file made for another model (its content hash differs)");
    sub.add_flag("--json", o->json, "Print the result as JSON (top1 as a fraction, samples, correct, seconds...)");
    return [o] { return runEval(*o); };
}

} // namespace tessera::cli

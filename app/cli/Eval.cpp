// `tessera eval`: top-1 accuracy of the FP32 model over a labelled .npy dataset; with
// --quant, of the quantized model (the analog numeric model running a quantization result).
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
#include <cstring>
#include <memory>

namespace tessera::cli {

namespace {

struct EvalOptions {
    std::string model, data, labels;
    std::string quant; // quantization JSON
    int64_t batch = 256;
    bool noOptimize = false;
    int threads = 1;
};

std::vector<int64_t> readLabels(const std::string& path, int64_t count)
{
    Tensor labels = readNpy(path);
    if (labels.dtype() == DType::Float32 || labels.dtype() == DType::Float64 || labels.dtype() == DType::Float16)
        fail(path, ": labels must be integers, got ", dtypeName(labels.dtype()));
    if (labels.numel() != count || (labels.rank() != 1 && !(labels.rank() == 2 && labels.dim(1) == 1)))
        fail(path, ": expected ", count, " labels (one per image), got shape ", shapeToString(labels.shape()));
    return labels.toInt64Vector();
}

// Rows [first, first + rows) of `data`, zero-padded to `batch` rows (the graph has a
// fixed batch; padded rows are computed and ignored).
Tensor batchOf(const Tensor& data, int64_t first, int64_t rows, int64_t batch)
{
    Shape shape = data.shape();
    shape[0] = batch;
    Tensor out(data.dtype(), shape);
    const size_t rowBytes = data.byteSize() / static_cast<size_t>(data.dim(0));
    std::memcpy(out.mutableRawData(), static_cast<const char*>(data.rawData()) + first * rowBytes, rows * rowBytes);
    return out;
}

// One executor for the whole run: FP32, or the quantized one over the graph the result
// was made for (its rewrites applied).
class BatchRunner {
public:
    BatchRunner(const EvalOptions& o, const Graph& g, const Shape& batchShape)
    {
        if (o.quant.empty()) {
            m_fp32 = std::make_unique<Executor>(g);
            return;
        }
        if (o.noOptimize)
            fail("--quant runs the graph the quantizer saw (cleanup passes on); drop --no-optimize");
        m_result = std::make_unique<quant::QuantResult>(quant::readQuantResult(o.quant));
        m_graphs = std::make_unique<quant::ModelGraphs>(o.model, batchShape);
        quant::prepareModel(*m_graphs, *m_result);
        m_quantized = std::make_unique<quant::QuantizedExecutor>(m_graphs->forBatch(batchShape[0]), *m_result);
    }
    Tensor run(const Tensor& x, ProgressSink* progress)
    {
        return m_fp32 ? m_fp32->run({x}, {}, progress)[0] : m_quantized->run({x}, {}, progress)[0];
    }

private:
    std::unique_ptr<Executor> m_fp32;
    std::unique_ptr<quant::QuantResult> m_result;
    std::unique_ptr<quant::ModelGraphs> m_graphs;
    std::unique_ptr<quant::QuantizedExecutor> m_quantized;
};

int runEval(const EvalOptions& o)
{
    applyThreads(o.threads);
    Tensor data = readNpy(o.data);
    if (data.rank() < 1 || data.dim(0) == 0)
        fail(o.data, ": expected a batch of samples along the first axis, got shape ", shapeToString(data.shape()));
    const int64_t count = data.dim(0);
    std::vector<int64_t> labels = readLabels(o.labels, count);
    const int64_t batch = std::min(o.batch, count);
    Shape batchShape = data.shape();
    batchShape[0] = batch;

    LoadRequest request;
    request.path = o.model;
    request.singleInputShape = batchShape;
    request.optimize = !o.noOptimize;
    ImportedModel model = loadModel(request);
    const Graph& g = model.graph;
    if (data.dtype() != g.value(g.inputs()[0]).dtype)
        data = data.castTo(g.value(g.inputs()[0]).dtype);

    BatchRunner runner(o, g, batchShape);
    ConsoleProgress progress(true);
    const int64_t batches = (count + batch - 1) / batch;
    int64_t correct = 0;
    auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < batches; ++b) {
        const int64_t first = b * batch, rows = std::min(batch, count - first);
        LabelledProgress step(progress, double(b) / batches, double(b + 1) / batches,
                              strCat("evaluating batch ", b + 1, "/", batches));
        Tensor scores = runner.run(batchOf(data, first, rows, batch), &step);
        if (scores.rank() != 2)
            fail(o.model, ": output has shape ", shapeToString(scores.shape()), "; eval needs [batch, classes] scores");
        std::vector<int64_t> top = argmaxRows(scores);
        for (int64_t r = 0; r < rows; ++r)
            correct += top[r] == labels[first + r];
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish();
    std::printf("model %s on %lld samples from %s\n", o.model.c_str(), static_cast<long long>(count), o.data.c_str());
    std::printf("top-1 accuracy: %.2f%% (%lld/%lld correct)\n", 100.0 * correct / count, static_cast<long long>(correct),
                static_cast<long long>(count));
    std::printf("time: %s in %lld batches of %lld (%.0f samples/s, %s)\n", formatSeconds(seconds).c_str(),
                static_cast<long long>(batches), static_cast<long long>(batch), count / std::max(seconds, 1e-9),
                o.quant.empty() ? "FP32 reference executor" : "quantized reference executor");
    return kExitOk;
}

} // namespace

CommandRun declareEval(CLI::App& sub)
{
    auto o = std::make_shared<EvalOptions>();
    sub.add_option("model", o->model, "ONNX model file")->required();
    sub.add_option("-d,--data", o->data, "Samples (.npy), first axis = sample, e.g. float32 [N,1,28,28]")->required();
    sub.add_option("-l,--labels", o->labels, "Integer class labels (.npy), shape [N]")->required();
    sub.add_option("-b,--batch", o->batch, "Samples per executor run (default 256)")->check(CLI::PositiveNumber);
    sub.add_flag("--no-optimize", o->noOptimize, "Run the graph as imported, without the cleanup passes");
    addThreadsOption(sub, o->threads);
    sub.add_option("--quant", o->quant, "Quantization JSON: evaluate the quantized model (tessera quantize)");
    return [o] { return runEval(*o); };
}

} // namespace tessera::cli

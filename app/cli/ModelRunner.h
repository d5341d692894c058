#pragma once
// The CLI verbs' way to run a one-input model over the rows of an .npy array: FP32, or
// quantized (a quantization result on the graph it was made for), in the batches the model
// takes (quant::ModelGraphs: any batch, or only the fixed one it was exported with).
#include "core/Executor.h"
#include "quant/Dataset.h"
#include "quant/QuantizedExecutor.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace tessera::cli {

struct ModelRunnerOptions {
    std::string model;
    std::string quant; // quantization JSON; empty: FP32
    bool optimize = true;
    bool nonIdealities = true; // quantized: the result's noise / ADC offsets
    bool force = false;        // use a quantization file made for another model
    std::set<std::string> simdLayers; // quantized: layers the package runs on the SIMD engine (no noise)
};

class ModelRunner {
public:
    // `samples` (from `source`) fix the input's symbolic dims (all but dim 0).
    ModelRunner(const ModelRunnerOptions& o, const Tensor& samples, const std::string& source);

    // The model at its declared batch (names, dtypes of inputs and outputs).
    const Graph& graph() { return m_graphs->forBatch(m_graphs->declaredBatch()); }
    quant::ModelGraphs& graphs() { return *m_graphs; }

    // fn(run, outputs) for every run over `samples` (rows stacked along axis 0, `source`
    // names them in errors), at most `batch` rows per run; outputs are the run's graph
    // outputs, valid until the next run. Progress reads "<what> i/runs".
    using RunFn = std::function<void(const quant::ModelBatch&, const std::vector<Tensor>&)>;
    void forEachRun(const Tensor& samples, const std::string& source, int64_t batch, const std::string& what,
                    ProgressSink& progress, const RunFn& fn);

private:
    ModelRunnerOptions m_options;
    std::unique_ptr<quant::ModelGraphs> m_graphs;
    std::unique_ptr<QuantSpec> m_result;
    std::map<int64_t, std::unique_ptr<Executor>> m_fp32; // by batch
    std::unique_ptr<quant::BatchQuantizedExecutor> m_quantized;
};

} // namespace tessera::cli

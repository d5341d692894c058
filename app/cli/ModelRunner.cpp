#include "app/cli/ModelRunner.h"

#include "app/cli/Console.h"
#include "core/Error.h"
#include "quant/Calibrator.h"

#include <algorithm>

namespace tessera::cli {

ModelRunner::ModelRunner(const ModelRunnerOptions& o, const Tensor& samples, const std::string& source) : m_options(o)
{
    if (!o.quant.empty() && !o.optimize)
        fail("--quant runs the graph the quantizer saw (cleanup passes on); drop --no-optimize");
    m_graphs = std::make_unique<quant::ModelGraphs>(quant::openModelForSamples(o.model, samples, source, o.optimize));
    if (o.quant.empty())
        return;
    m_result = std::make_unique<QuantSpec>(readQuantSpec(o.quant));
    quant::prepareModel(*m_graphs, *m_result, o.force);
}

void ModelRunner::forEachRun(const Tensor& samples, const std::string& source, int64_t batch, const std::string& what,
                             ProgressSink& progress, const RunFn& fn)
{
    const int64_t n = samples.dim(0);
    const int64_t perRun = m_graphs->runBatch(std::max<int64_t>(1, std::min(batch, n))); // as forEachModelBatch runs
    const int64_t runs = (n + perRun - 1) / perRun;
    quant::forEachModelBatch(*m_graphs, samples, source, batch, [&](const quant::ModelBatch& b) {
        LabelledProgress step(progress, double(b.first) / n, double(b.first + b.rows) / n,
                              strCat(what, " ", b.first / perRun + 1, "/", runs));
        const int64_t size = b.inputs.dim(0);
        if (!m_result) {
            std::unique_ptr<Executor>& e = m_fp32[size];
            if (!e)
                e = std::make_unique<Executor>(b.graph);
            fn(b, e->run({b.inputs}, {}, &step));
            return;
        }
        if (!m_quantized) { // read noise keyed per batch as quant::evaluate draws it
            quant::QuantizedExecutorOptions qo;
            qo.nonIdealities = m_options.nonIdealities;
            qo.simdLayers = m_options.simdLayers;
            m_quantized = std::make_unique<quant::BatchQuantizedExecutor>(*m_result, qo);
        }
        fn(b, m_quantized->forGraph(b.graph, static_cast<uint64_t>(b.first)).run({b.inputs}, {}, &step));
    });
}

} // namespace tessera::cli

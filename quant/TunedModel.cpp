#include "quant/TunedModel.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/Random.h"
#include "core/io/FileIO.h"
#include "core/onnx/OnnxExporter.h"
#include "core/onnx/OnnxImporter.h"

#include <algorithm>
#include <cmath>

namespace tessera::quant {

namespace {

// Every layer the spec programs is an analog node of the same op in `graph`, and every
// tensor it codes is a value there.
void checkSpecFits(const QuantSpec& spec, const Graph& graph, const std::string& file)
{
    for (const LayerQuant& layer : spec.layers) {
        const auto id = graph.findNode(layer.node);
        if (!id || graph.node(*id).opType != layer.opType || !analog::isAnalogPlaced(graph, graph.node(*id)))
            fail(file, ": layer '", layer.node, "' (", layer.opType,
                 ") of the quantization spec is not an analog layer of the exported model");
    }
    for (const auto& [name, q] : spec.tensors)
        if (!graph.findValue(name))
            fail(file, ": tensor '", name, "' of the quantization spec is not in the exported model");
}

// A deterministic input in [0, 1) for each graph input (float inputs only).
std::vector<Tensor> probeInputs(const Graph& graph)
{
    std::vector<Tensor> inputs;
    for (ValueId id : graph.inputs()) {
        const Value& v = graph.value(id);
        Tensor t(v.dtype, v.shape);
        if (v.dtype == DType::Float32) {
            analog::Random random(analog::Random::mix(0x7e57u, static_cast<uint64_t>(id)));
            float* p = t.mutableData<float>();
            for (int64_t i = 0; i < t.numel(); ++i)
                p[i] = static_cast<float>(random.uniform());
        }
        inputs.push_back(std::move(t));
    }
    return inputs;
}

// The re-imported graph computes what `prepared` does (FP32, within float rounding).
void checkSameFunction(const Graph& prepared, const Graph& reimported, const std::string& file)
{
    const std::vector<Tensor> inputs = probeInputs(prepared);
    const std::vector<Tensor> a = Executor(prepared).run(inputs);
    const std::vector<Tensor> b = Executor(reimported).run(inputs);
    if (a.size() != b.size())
        fail(file, ": the exported model has ", b.size(), " outputs, the tuned graph ", a.size());
    for (size_t o = 0; o < a.size(); ++o) {
        if (a[o].dtype() != DType::Float32 || a[o].shape() != b[o].shape())
            continue;
        const float* x = a[o].data<float>();
        const float* y = b[o].data<float>();
        double scale = 0.0, diff = 0.0;
        for (int64_t i = 0; i < a[o].numel(); ++i) {
            scale = std::max(scale, std::fabs(static_cast<double>(x[i])));
            diff = std::max(diff, std::fabs(static_cast<double>(x[i]) - y[i]));
        }
        if (!(diff <= 1e-5 * std::max(1.0, scale)))
            fail(file, ": the exported model's output '", prepared.value(prepared.outputs()[o]).name,
                 "' differs from the tuned graph's by ", diff);
    }
}

} // namespace

void saveTunedModel(const Graph& prepared, const QuantSpec* spec, const TunedModelFiles& out)
{
    if (out.model.empty())
        fail("no output path for the tuned model");
    if (spec && out.quant.empty())
        fail(out.model, ": no output path for the tuned model's quantization spec");
    OnnxExportOptions options;
    options.docString = "Tessera tuned model";
    const std::string bytes = exportOnnxBytes(prepared, options);
    ImportOptions io;
    io.runCleanupPasses = true;
    const ImportedModel back = importOnnxBytes(bytes, out.model, io);
    checkSameFunction(prepared, back.graph, out.model);
    QuantSpec tuned;
    if (spec) {
        checkSpecFits(*spec, back.graph, out.model);
        tuned = *spec;
        tuned.equalization.clear(); // both are part of the exported weights now
        tuned.smoothing.clear();
        tuned.model = out.model;
        tuned.modelHash = back.report.contentHash;
    }
    writeFileAtomic(out.model, bytes);
    if (spec)
        writeQuantSpec(out.quant, tuned);
}

} // namespace tessera::quant

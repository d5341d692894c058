// libFuzzer entry: any byte string given to the importer must end in a model or a
// tessera::Error. Other exceptions escape and are reported as crashes; so are ASan
// findings and allocations above -rss_limit_mb/-malloc_limit_mb.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/onnx/OnnxImporter.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace tessera;

namespace {

// Runs the imported graph on zeros when its activations are small, so kernels see the
// odd-but-valid attributes the fuzzer invents too.
void runIfSmall(const Graph& graph)
{
    int64_t total = 0;
    for (size_t v = 0; v < graph.valueCount(); ++v)
        total += numElements(graph.value(static_cast<ValueId>(v)).shape);
    if (total > (int64_t(1) << 18))
        return;
    std::vector<Tensor> inputs;
    for (ValueId in : graph.inputs())
        inputs.emplace_back(graph.value(in).dtype, graph.value(in).shape);
    Executor executor(graph);
    executor.run(inputs);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    ImportOptions options;
    options.lenient = size % 2 == 1; // exercise both paths
    try {
        ImportedModel model = importOnnxBytes(bytes, "fuzz.onnx", options);
        if (model.report.unsupported.empty() && model.report.warnings.empty())
            runIfSmall(model.graph);
    } catch (const Error&) {
    }
    return 0;
}

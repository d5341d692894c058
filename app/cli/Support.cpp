#include "app/cli/Support.h"

#include "core/Error.h"
#include "core/Parallel.h"
#include "core/onnx/ImportAsWritten.h"
#include "core/passes/ImportCleanup.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace tessera::cli {

CLI::Validator numberIn(double lo, double hi, bool lowOpen)
{
    auto text = [](double v) {
        std::ostringstream out;
        out << v;
        return out.str();
    };
    const bool bounded = hi < 1.0e300;
    const std::string range = bounded ? strCat("in ", lowOpen ? "(" : "[", text(lo), ", ", text(hi), "]")
                                      : strCat(lowOpen ? "> " : ">= ", text(lo));
    return CLI::Validator(
        [=](std::string& value) {
            double v = 0;
            const bool parsed = CLI::detail::lexical_cast(value, v);
            const bool ok = parsed && std::isfinite(v) && (lowOpen ? v > lo : v >= lo) && v <= hi; // NaN fails
            return ok ? std::string() : "must be a number " + range + ", got " + value;
        },
        bounded ? strCat(lowOpen ? "(" : "[", text(lo), ", ", text(hi), "]") : range);
}

void addThreadsOption(CLI::App& sub, int& threads)
{
    sub.add_option("--threads", threads, "Threads (default 1, 0 = all cores): the FP32 kernels, and sensitivity's trial workers; results are identical for any count")
        ->check(numberIn(0));
}

void applyThreads(int threads) { setThreadCount(threads); }

namespace {

std::vector<std::pair<std::string, Shape>> probeInputs(const std::string& path)
{
    ImportOptions probe;
    probe.lenient = true; // names and declared shapes only; no shape inference
    ImportedModel model = importOnnxFile(path, probe);
    std::vector<std::pair<std::string, Shape>> inputs;
    for (ValueId id : model.graph.inputs())
        inputs.emplace_back(model.graph.value(id).name, model.graph.value(id).shape);
    return inputs;
}

} // namespace

ImportedModel loadModel(const LoadRequest& request)
{
    ImportOptions options;
    options.inputShapes = request.shapes;
    if (request.batch || request.singleInputShape) {
        auto inputs = probeInputs(request.path);
        if (request.singleInputShape) {
            if (inputs.size() != 1)
                fail(request.path, ": the model has ", inputs.size(), " inputs; this command feeds exactly one");
            options.inputShapes[inputs[0].first] = *request.singleInputShape;
        }
        if (request.batch)
            for (auto& [name, shape] : inputs)
                if (!options.inputShapes.count(name) && !shape.empty()) {
                    shape[0] = *request.batch;
                    options.inputShapes[name] = shape;
                }
    }
    PassContext defaults;
    PassContext& context = request.passContext ? *request.passContext : defaults;
    const std::vector<std::string> passes = request.passes.empty() ? defaultPipeline() : request.passes;
    if (request.optimize && context.foldLog) { // the file's own nodes, so each fold is recorded
        ImportedModel model = importOnnxFileAsWritten(request.path, options);
        cleanUpImportedGraph(model.graph, context, passes);
        return model;
    }
    ImportedModel model = importOnnxFile(request.path, options);
    if (request.optimize)
        runPipeline(model.graph, passes, context);
    return model;
}

std::pair<std::string, Shape> parseShapeSpec(const std::string& spec)
{
    auto eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        fail("shape '", spec, "' is not of the form NAME=D0,D1,...");
    Shape shape;
    std::istringstream dims(spec.substr(eq + 1));
    std::string dim;
    while (std::getline(dims, dim, ',')) {
        size_t used = 0;
        long long value = -1;
        try {
            value = std::stoll(dim, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != dim.size() || value < 0)
            fail("shape '", spec, "': '", dim, "' is not a non-negative integer");
        shape.push_back(value);
    }
    return {spec.substr(0, eq), shape};
}

std::string withThousands(int64_t value)
{
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

std::vector<int64_t> argmaxRows(const Tensor& scores)
{
    if (scores.rank() != 2)
        fail("expected scores of shape [rows, classes], got ", shapeToString(scores.shape()));
    const int64_t rows = scores.dim(0), classes = scores.dim(1);
    std::vector<float> values = scores.toFloatVector();
    std::vector<int64_t> best(rows, 0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 1; c < classes; ++c)
            if (values[r * classes + c] > values[r * classes + best[r]])
                best[r] = c;
    return best;
}

std::string formatSeconds(double seconds)
{
    char buffer[32];
    if (seconds < 1.0)
        std::snprintf(buffer, sizeof buffer, "%.1f ms", seconds * 1e3);
    else
        std::snprintf(buffer, sizeof buffer, "%.2f s", seconds);
    return buffer;
}

} // namespace tessera::cli

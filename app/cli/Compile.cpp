// `tessera compile model.onnx [--quant q.json] --target m1076 [-o model.tpkg] [--report r.json]`:
// maps the model onto the target's arrays and tiles (compiler/Compiler.h), prints the
// report, and exits 1 with what would make it fit when it does not.
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/Support.h"
#include "compiler/Compiler.h"
#include "compiler/PackageBuilder.h"
#include "core/package/PackageIO.h"
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "quant/QuantizeApi.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace tessera::cli {

namespace {

struct CompileArgs {
    std::string model;
    std::string quant;
    std::string target = "m1076";
    std::string output;
    std::string report;
    bool noReplicate = false;
    std::string shape; // NAME=D0,D1,...: fixes the input's symbolic dims
    bool force = false;
};

int runCompile(const CompileArgs& o)
{
    const Target target = loadTarget(o.target);
    ConsoleProgress progress(!consoleOptions().quiet);
    std::unique_ptr<QuantSpec> spec;
    std::unique_ptr<quant::ModelGraphs> graphs;
    if (!o.quant.empty() && !o.shape.empty())
        fail("--shape: with --quant the input shape is the one the spec was calibrated with");
    if (!o.quant.empty()) {
        spec = std::make_unique<QuantSpec>(readQuantSpec(o.quant));
        if (o.force) // used as this model's: opening the model with it checks nothing
            spec->modelHash.clear();
        graphs = std::make_unique<quant::ModelGraphs>(quant::openModelFor(o.model, *spec)); // refuses another model's
    } else {
        graphs = std::make_unique<quant::ModelGraphs>(o.model, o.shape.empty() ? Shape{} : parseShapeSpec(o.shape).second);
    }
    const Graph& graph = graphs->forBatch(graphs->declaredBatch());
    compiler::CompileOptions options;
    options.replicate = !o.noReplicate;
    compiler::CompileResult result = compiler::compileGraph(graph, target, spec.get(), options, &progress);
    result.model = o.model;
    progress.finish();
    std::cout << compiler::reportText(result);
    std::fprintf(stderr, "compiled in %.3f s\n", result.compileSeconds);
    if (!o.report.empty())
        writeFileAtomic(o.report, compiler::reportJson(result).dump(1) + "\n");
    if (!result.fits) {
        std::fprintf(stderr, "error: %s: %s\n", o.model.c_str(), result.fitMessage.c_str());
        return kExitUserError;
    }
    if (!o.output.empty()) {
        progress.checkpoint(1.0, "writing the package");
        const compiler::PackageIdentity id{o.model, graphs->contentHash(), spec ? compiler::specContentHash(*spec) : ""};
        package::writePackage(o.output, compiler::buildPackage(graph, result, spec.get(), id));
        progress.finish();
        std::fprintf(stderr, "wrote %s\n", o.output.c_str());
    }
    return kExitOk;
}

} // namespace

CommandRun declareCompile(CLI::App& sub)
{
    auto o = std::make_shared<CompileArgs>();
    sub.add_option("model", o->model, "ONNX model")->required();
    sub.add_option("--quant", o->quant, "Quantization JSON (tessera quantize); without it: 8-bit weights from the model alone");
    sub.add_option("--target", o->target, "Hardware target: a preset (tessera targets) or a target JSON file (default m1076)");
    sub.add_option("-o,--output", o->output, "Deployment package to write (.tpkg)");
    sub.add_option("--report", o->report, "Write the compile report as JSON");
    sub.add_option("--shape", o->shape, "Input shape NAME=D0,D1,... fixing symbolic dims (without --quant), e.g. x=1,3,640,640");
    sub.add_flag("--no-replicate", o->noReplicate, "Do not copy bottleneck layers into spare arrays");
    sub.add_flag("--force", o->force, "Use a quantization file made for another model (its content hash differs)");
    return [o] { return runCompile(*o); };
}

} // namespace tessera::cli

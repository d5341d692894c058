#include "app/model/ModelLoader.h"

#include "core/Error.h"
#include "core/onnx/ImportAsWritten.h"
#include "core/passes/ImportCleanup.h"

#include <filesystem>

namespace tessera::studio {

namespace {

struct FileImport {
    ImportedModel model;
    bool asWritten = true;   // false: importOnnxFile's folded graph (the file's form did not import)
    std::string strictError; // set when only the lenient import worked
};

// The file as written, strictly; else its folded import (shapes that only infer once weights
// are constants); else leniently, for inspection.
FileImport importFile(const std::string& path, ProgressSink& progress, const std::map<std::string, Shape>& inputShapes)
{
    FileImport result;
    ImportOptions strict;
    strict.inputShapes = inputShapes;
    try {
        result.model = importOnnxFileAsWritten(path, strict);
        return result;
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        result.strictError = e.what();
    }
    try {
        strict.runCleanupPasses = true;
        result.model = importOnnxFile(path, strict);
        result.asWritten = false;
        result.strictError.clear();
        return result;
    } catch (const Error&) {
    }
    progress.checkpoint(0.4, "strict import failed, importing for inspection only");
    ImportOptions lenient;
    lenient.lenient = true;
    lenient.inputShapes = inputShapes;
    try {
        result.model = importOnnxFileAsWritten(path, lenient);
    } catch (const Error&) {
        throw Error(result.strictError); // the strict message is the more precise one
    }
    return result;
}

} // namespace

DocumentPtr loadModelDocument(const std::string& path, ProgressSink& progress, const std::map<std::string, Shape>& inputShapes)
{
    progress.checkpoint(0.0, "reading " + path);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail("cannot open '", path, "': no such file");
    FileImport file = importFile(path, progress, inputShapes);
    progress.checkpoint(0.6, "cleaning up the graph");
    ImportedModel& raw = file.model;
    if (!file.asWritten)
        return std::make_shared<GraphDocument>(std::move(raw.graph), std::move(raw.report), path);
    // The engines' cleanup (quant::ModelGraphs, inspect --optimize), recording what became of
    // each removed node for View > Show As Imported. A lenient graph only folds weights.
    Graph cleaned = raw.graph; // tensors share their data
    FoldLog foldLog;
    PassContext context;
    context.foldLog = &foldLog;
    const bool shaped = file.strictError.empty() && raw.report.warnings.empty();
    cleanUpImportedGraph(cleaned, context, shaped ? defaultPipeline() : std::vector<std::string>());
    progress.checkpoint(0.8, "analysing graph");
    auto doc = std::make_shared<GraphDocument>(std::move(cleaned), raw.report, path, file.strictError);
    GraphDocument::attachAsImported(
        *doc, std::make_shared<GraphDocument>(std::move(raw.graph), std::move(raw.report), path, file.strictError),
        foldLog);
    progress.checkpoint(1.0, "loaded");
    return doc;
}

} // namespace tessera::studio

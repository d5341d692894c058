#include "app/model/ModelLoader.h"

#include "core/Error.h"
#include "core/onnx/ImportAsWritten.h"

#include <filesystem>

namespace tessera::studio {

namespace {

// The file imported again without folding the Identity aliases of weights, for View > Show
// As Imported. A failure only leaves that view out.
void attachAsImported(GraphDocument& doc, const std::string& path, const std::map<std::string, Shape>& inputShapes,
                      bool lenient)
{
    ImportOptions options;
    options.lenient = lenient;
    options.inputShapes = inputShapes;
    try {
        ImportedModel raw = importOnnxFileAsWritten(path, options);
        GraphDocument::attachAsImported(
            doc, std::make_shared<GraphDocument>(std::move(raw.graph), std::move(raw.report), path, doc.strictImportError()));
    } catch (const Error&) {
    }
}

} // namespace

DocumentPtr loadModelDocument(const std::string& path, ProgressSink& progress, const std::map<std::string, Shape>& inputShapes)
{
    progress.checkpoint(0.0, "reading " + path);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail("cannot open '", path, "': no such file");
    std::string strictError;
    ImportedModel model;
    try {
        ImportOptions strict;
        strict.inputShapes = inputShapes;
        model = importOnnxFile(path, strict);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        strictError = e.what();
        progress.checkpoint(0.4, "strict import failed, importing for inspection only");
        ImportOptions lenient;
        lenient.lenient = true;
        lenient.inputShapes = inputShapes;
        try {
            model = importOnnxFile(path, lenient);
        } catch (const Error&) {
            throw Error(strictError); // the strict message is the more precise one
        }
    }
    progress.checkpoint(0.7, "analysing graph");
    auto doc = std::make_shared<GraphDocument>(std::move(model.graph), std::move(model.report), path, strictError);
    attachAsImported(*doc, path, inputShapes, !strictError.empty());
    progress.checkpoint(1.0, "loaded");
    return doc;
}

} // namespace tessera::studio

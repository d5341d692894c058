#pragma once
// The graph exactly as the file has it: the nodes that forward a constant (PyTorch's
// Identity aliases of shared or duplicated weights) are kept instead of folded into
// constants. Only for showing the file (the studio's View > Show As Imported); placement,
// counts and every engine use importOnnxFile's folded graph.
#include "core/onnx/OnnxImporter.h"

namespace tessera {

ImportedModel importOnnxFileAsWritten(const std::string& path, const ImportOptions& options = {});
ImportedModel importOnnxBytesAsWritten(const std::string& bytes, const std::string& sourceName,
                                       const ImportOptions& options = {}, const std::string& baseDir = {});

} // namespace tessera

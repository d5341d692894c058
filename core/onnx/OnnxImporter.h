#pragma once
// ONNX -> Graph. Reads opsets 6..18 (torch.onnx.export, paddle2onnx and older exporters),
// normalizes older opset forms (Clip/Pad/Slice/Split/Squeeze/Unsqueeze/ReduceMean
// attributes, opset-6 broadcast) to the newest form the registry knows, turns Constant nodes into
// constants, fixes symbolic dims, and infers static shapes.
// Every failure throws tessera::Error naming the file and the node/op/tensor.
#include "core/Graph.h"

#include <map>
#include <string>
#include <vector>

namespace tessera {

struct ImportOptions {
    // Fixed shapes for named inputs (e.g. the batch of an .npy file).
    std::map<std::string, Shape> inputShapes;
    // Value given to symbolic/unknown dims of inputs not listed above.
    int64_t dynamicDimValue = 1;
    // Keep nodes whose op is not registered (op == nullptr) instead of failing, and
    // skip shape inference when there are such nodes; for inspection views only. With no
    // unknown ops, shapes are inferred and a shape error becomes a report warning.
    bool lenient = false;
    // Run the default cleanup pipeline (folding, BN folding, fusion, DCE) after import.
    bool runCleanupPasses = false;
    // A shape in inputShapes may replace a declared (fixed) dim 0: re-batching a model
    // exported with a fixed batch. Declared output dims 0 are then not checked (the caller
    // checks that the outputs follow the new batch, quant::ModelGraphs). Last member:
    // ImportOptions is aggregate-initialized by position in places.
    bool freeBatchDim = false;
};

struct UnsupportedNode {
    std::string nodeName;
    std::string opType;
    std::string reason;
};

// A symbolic (or unknown) input dim past the batch axis that the import set to
// ImportOptions::dynamicDimValue: shapes and counts then describe a guessed input.
struct DefaultedDim {
    std::string input;  // the graph input's name
    int64_t axis = 0;
    std::string symbol; // the ONNX dim_param ("H"); empty for an unnamed unknown dim
    // "input 'x' axis 2 ('H')": how messages name it.
    std::string text() const;
};

struct ImportReport {
    std::string sourcePath;
    int64_t opsetVersion = 0;
    std::string producer; // e.g. "pytorch 1.13"
    int64_t irVersion = 0;
    std::string docString;                                      // ModelProto.doc_string
    std::vector<std::pair<std::string, std::string>> metadata; // ModelProto.metadata_props, in file order
    // What the model computes, hashed (core/quantspec/ModelHash.h): specs and packages
    // record it to refuse being used with another model.
    std::string contentHash;
    std::vector<UnsupportedNode> unsupported; // filled in lenient mode
    // Symbolic input dims past the batch axis that were set to dynamicDimValue.
    std::vector<DefaultedDim> defaultedDims;
    // Lenient mode only: problems that did not stop the import (e.g. shape inference
    // failed, so shapes are missing).
    std::vector<std::string> warnings;
};

struct ImportedModel {
    Graph graph;
    ImportReport report;
};

ImportedModel importOnnxFile(const std::string& path, const ImportOptions& options = {});
// `bytes` is a serialized ModelProto; `sourceName` is used in messages. External data
// is resolved relative to `baseDir` (empty: external data is an error).
ImportedModel importOnnxBytes(const std::string& bytes, const std::string& sourceName,
                              const ImportOptions& options = {}, const std::string& baseDir = {});

// A serialized onnx TensorProto file (the backend test data's input_N.pb/output_N.pb).
Tensor readTensorProtoFile(const std::string& path);

} // namespace tessera

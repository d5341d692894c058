#pragma once
// Graph -> ONNX (opset 13, IR version 7): the inverse of the importer, so a graph Tessera
// rewrote (after cleanup passes, or the QDQ graph of quant/QdqExport.h) can run in any
// ONNX runtime. Nodes are written in the registry's form, which is the opset-13 form, with
// Tessera-internal attributes turned back into ONNX:
//  - fused activations (fused_activation/fused_min/fused_max, set by FuseActivation) become
//    an explicit Relu or Clip node after the layer (ONNX Conv/Gemm/MatMul have none);
//  - Softmax/LogSoftmax imported from opset < 13 (attribute onnx_opset) keep their
//    flatten-at-axis meaning: the axis becomes -1 when it is the last one, otherwise the
//    node is written as Flatten -> Softmax(axis 1) -> Reshape.
// Constants are written as initializers (raw data), graph inputs/outputs with their static
// shapes. Every failure throws tessera::Error naming the graph, node or file.
#include "core/Graph.h"

#include <string>

namespace tessera {

struct OnnxExportOptions {
    std::string producerName = "tessera";
    std::string docString; // written to ModelProto.doc_string when set
};

constexpr int64_t kOnnxExportOpset = 13;

// The serialized ModelProto of `graph` (its shapes must be inferred).
std::string exportOnnxBytes(const Graph& graph, const OnnxExportOptions& options = {});
// Writes exportOnnxBytes atomically to `path`.
void exportOnnxFile(const Graph& graph, const std::string& path, const OnnxExportOptions& options = {});

} // namespace tessera

#pragma once
// onnx::TensorProto -> Tensor (internal to the importer; includes the protobuf headers).
// Sizes are checked against the bytes actually present before anything is allocated, so
// a corrupt dims field cannot trigger a huge allocation.
#include "core/Tensor.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

namespace tessera::onnximport {

// ONNX TensorProto.DataType -> DType; float16 maps to Float16 (converted on load).
// Throws naming `what` for types Tessera cannot hold (string, complex, uint16/32/64...).
DType dtypeFromOnnx(int32_t onnxType, const std::string& what);

// Converts one tensor. raw_data is wrapped without a copy when suitably aligned; `owner`
// keeps the message holding it alive. External data is resolved inside `baseDir`
// (empty: external data is refused). float16 becomes float32.
Tensor tensorFromProto(const onnx::TensorProto& proto, const std::shared_ptr<const void>& owner,
                       const std::string& baseDir);

// Checked element count of `dims` (no overflow, no negative dims); `what` names the tensor.
int64_t checkedElementCount(const Shape& dims, const std::string& what);

} // namespace tessera::onnximport

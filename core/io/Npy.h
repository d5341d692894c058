#pragma once
// NumPy .npy read/write (format 1.0/2.0, little-endian, C order). Reads float32/64,
// int64/32/8, uint8, bool; writes any Tensor dtype. Errors name the file.
#include "core/Tensor.h"

#include <string>

namespace tessera {

Tensor readNpy(const std::string& path);
Tensor parseNpy(const std::string& bytes, const std::string& sourceName);
void writeNpy(const std::string& path, const Tensor& tensor); // atomic: temp file + rename

} // namespace tessera

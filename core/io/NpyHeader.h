#pragma once
// The shape of an .npy file read from its header only (no data is read): what a data set
// holds before loading it (the studio sets symbolic input dims from it). Its own header so
// that a change here does not rebuild every file that includes core/io/Npy.h.
#include "core/Tensor.h"

#include <string>

namespace tessera {

// Throws tessera::Error naming `path` when it is not a readable .npy file.
Shape readNpyShape(const std::string& path);

} // namespace tessera

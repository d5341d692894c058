#pragma once
// Human-readable views of a deployment package (`tessera package info|disasm`). The
// package must be valid (validatePackage; readPackage returns only valid packages).
#include "core/package/Package.h"

#include <cstdint>
#include <string>

namespace tessera::package {

// The tile programs, one instruction per line with named operands and what it refers to
// ("MVM       array=0 block=1  ; layer 'fc1' rows [0,512) cols [0,128) ..."). tile >= 0:
// only that tile's program (throws tessera::Error when the tile has none).
std::string disassemble(const Package& pkg, int64_t tile = -1);

// Header, target, model, layers, arrays and tiles used, bytes per section, inputs and outputs.
std::string packageInfo(const Package& pkg);

} // namespace tessera::package

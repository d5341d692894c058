#pragma once
// Validation of the tile programs (part of validatePackage, core/package/PackageIO.h).
#include "core/package/Package.h"

#include <cstdint>
#include <string>

namespace tessera::package {

inline bool inRange(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

// Tiles in range and ascending, each program ends with HALT (and has no other), every operand meaningful for
// its opcode (arrays and blocks exist on the tile, SRAM ranges inside the tile's SRAM,
// unused operands 0). Throws tessera::Error "label: tile T instruction I (OPCODE): ...".
void checkPrograms(const Package& pkg, const std::string& label);

} // namespace tessera::package

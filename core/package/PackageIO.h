#pragma once
// Reading and writing deployment packages (.tpkg). Byte layout, versioning and the
// validation rules: docs/package-format.md. In short: a 32-byte file header (magic "TPKG",
// format version, section count, payload size, xxh3-64 of the payload), then the sections
// (4-byte tag, 8-byte length, body), little-endian, in a fixed order. Writing is
// deterministic (the same Package gives the same bytes) and atomic. Reading validates
// every field before using it: counts against the bytes left before allocating, indices
// against the target and the other sections, enum values, string lengths. Every error is
// one line naming the file.
#include "core/package/Package.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::package {

struct ReadOptions {
    // Non-empty: refuse a package built for another target ("built for target 'm1108',
    // the device is 'm1076'").
    std::string expectedTarget;
    // false: skip the payload checksum (fuzzing reaches the section parsers; never for
    // real files).
    bool verifyChecksum = true;
};

// Validates `pkg` (the same rules the reader applies), then serializes it.
std::string serializePackage(const Package& pkg);
// serializePackage + writeFileAtomic: an existing file is replaced only by a complete one.
void writePackage(const std::string& path, const Package& pkg);

// `label` names the source in errors (the file path).
Package parsePackage(const std::string& bytes, const std::string& label, const ReadOptions& options = {});
Package readPackage(const std::string& path, const std::string& expectedTarget = "");

// Cross-section rules (indices in range, blocks inside their arrays and matching the
// layer's levels, instruction operands valid); throws tessera::Error starting "label: ".
void validatePackage(const Package& pkg, const std::string& label);

// The sections of a serialized package, in file order (for `tessera package info`).
struct SectionInfo {
    std::string tag;  // "ARRY"
    std::string name; // "arrays"
    uint64_t offset = 0; // of the section's tag in the file
    uint64_t bytes = 0;  // body bytes
};
std::vector<SectionInfo> sectionLayout(const Package& pkg);

// Fixed header size and reader limits (docs/package-format.md lists them).
inline constexpr uint64_t kFileHeaderBytes = 32;
inline constexpr uint64_t kSectionHeaderBytes = 12;

} // namespace tessera::package

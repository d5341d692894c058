#pragma once
// The preset target files (resources/targets/*.json), embedded at build time by
// core/CMakeLists.txt into a generated .cpp (internal to core/target).
#include <cstddef>

namespace tessera::targetdetail {

struct EmbeddedTarget {
    const char* name;  // file name without .json
    const char* bytes; // the file's bytes, NUL-terminated
    size_t size;
};

extern const EmbeddedTarget kEmbeddedTargets[];
extern const size_t kEmbeddedTargetCount;

} // namespace tessera::targetdetail

#pragma once
// Whole-file reads and atomic writes with errors that name the file.
#include <cstdint>
#include <string>

namespace tessera {

// Reads the whole file; throws tessera::Error naming `path` when it is missing, a
// directory, unreadable, or larger than `maxBytes`.
std::string readFileBytes(const std::string& path, uint64_t maxBytes = uint64_t(1) << 32);

// Writes `bytes` to a temporary file next to `path`, then renames it over `path`, so a
// reader never sees a half-written file. Every write is checked (short writes retried,
// the data fsync()ed): when the disk fills up the temporary file is removed, the existing
// file at `path` is left as it was, and the error says "disk full".
void writeFileAtomic(const std::string& path, const std::string& bytes);

} // namespace tessera

#pragma once
// The schema of a target file as a table: one row per numeric field, with its key path,
// unit, meaning, where it lives in Target and its valid range. The reader, the writer, the
// reports and docs/targets.md all follow this table (internal to core/target).
#include "core/target/Target.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace tessera::targetdetail {

struct FieldRow {
    const char* path; // "analog.array.rows"
    const char* unit;
    const char* meaning;
    int64_t* (*integer)(Target&) = nullptr; // exactly one of integer / number is set
    double* (*number)(Target&) = nullptr;
    int64_t lo = 1; // integers: inclusive range
    int64_t hi = std::numeric_limits<int64_t>::max();
    bool allowZero = false; // numbers: >= 0 instead of > 0
};

const std::vector<FieldRow>& fieldTable();
const FieldRow* findField(const std::string& path);
// What the field accepts, for errors: "a positive integer", "an integer in [2, 16]", "a number >= 0".
std::string expectation(const FieldRow& row);
nlohmann::json fieldJson(const FieldRow& row, const Target& target);

// Keys of a target file that are not numeric fields of the table.
extern const char* const kSpecialKeys[]; // "format", "version", "name", ...
extern const size_t kSpecialKeyCount;

} // namespace tessera::targetdetail

#pragma once
// Typed, range-checked reads of JSON fields for Tessera's file formats. Every error names
// the place (`where`: file and object) and the key, and says what was expected and what
// was found, instead of nlohmann's "[json.exception.type_error.302]".
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tessera::jsonfields {

// The JSON document in file `path`; fails naming the file when unreadable or not JSON.
nlohmann::json readJsonFile(const std::string& path);

// The member `key` of object `j`; fails naming it when absent or when `j` is no object.
const nlohmann::json& member(const nlohmann::json& j, const std::string& key, const std::string& where);
bool has(const nlohmann::json& j, const std::string& key);

int64_t getInt(const nlohmann::json& j, const std::string& key, const std::string& where,
               int64_t lo = std::numeric_limits<int64_t>::min(), int64_t hi = std::numeric_limits<int64_t>::max());
int64_t getInt(const nlohmann::json& j, const std::string& key, const std::string& where, int64_t lo, int64_t hi,
               int64_t fallback); // fallback when absent
uint64_t getUint(const nlohmann::json& j, const std::string& key, const std::string& where, uint64_t fallback);
// A finite number in [lo, hi].
double getDouble(const nlohmann::json& j, const std::string& key, const std::string& where,
                 double lo = -std::numeric_limits<double>::max(), double hi = std::numeric_limits<double>::max());
double getDouble(const nlohmann::json& j, const std::string& key, const std::string& where, double lo, double hi,
                 double fallback);
// A finite number > 0 and <= hi (scales).
double getPositive(const nlohmann::json& j, const std::string& key, const std::string& where,
                   double hi = std::numeric_limits<double>::max());
bool getBool(const nlohmann::json& j, const std::string& key, const std::string& where);
bool getBool(const nlohmann::json& j, const std::string& key, const std::string& where, bool fallback);
std::string getString(const nlohmann::json& j, const std::string& key, const std::string& where);
std::string getString(const nlohmann::json& j, const std::string& key, const std::string& where,
                      const std::string& fallback);
// An array of finite numbers, each in [lo, hi]; `positive` additionally requires > 0.
std::vector<double> getDoubles(const nlohmann::json& j, const std::string& key, const std::string& where,
                               bool positive, double lo = -std::numeric_limits<double>::max(),
                               double hi = std::numeric_limits<double>::max());
std::vector<int64_t> getInts(const nlohmann::json& j, const std::string& key, const std::string& where,
                             int64_t lo, int64_t hi);

} // namespace tessera::jsonfields

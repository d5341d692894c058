#include "core/quantspec/JsonFields.h"

#include "core/io/FileIO.h"

#include "core/Error.h"

#include <cmath>

namespace tessera::jsonfields {

nlohmann::json readJsonFile(const std::string& path)
{
    const std::string text = readFileBytes(path);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(path, ": not valid JSON: ", e.what());
    }
}


using nlohmann::json;

namespace {

std::string typeOf(const json& v)
{
    if (v.is_number_integer())
        return strCat("the integer ", v.dump());
    if (v.is_number())
        return strCat("the number ", v.dump());
    if (v.is_string())
        return v.get_ref<const std::string&>().size() > 40 ? "a long string" : strCat("the string ", v.dump());
    return strCat("a ", v.type_name());
}

[[noreturn]] void bad(const std::string& where, const std::string& key, const std::string& expected, const json& v)
{
    fail(where, ": \"", key, "\" must be ", expected, ", got ", typeOf(v));
}

int64_t intValue(const json& v, const std::string& key, const std::string& where, int64_t lo, int64_t hi)
{
    const std::string range = strCat("an integer in [", lo, ", ", hi, "]");
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || static_cast<int64_t>(u) > hi ||
            static_cast<int64_t>(u) < lo)
            bad(where, key, range, v);
        return static_cast<int64_t>(u);
    }
    if (!v.is_number_integer())
        bad(where, key, range, v);
    const int64_t i = v.get<int64_t>();
    if (i < lo || i > hi)
        bad(where, key, range, v);
    return i;
}

double doubleValue(const json& v, const std::string& key, const std::string& where, double lo, double hi)
{
    if (!v.is_number())
        bad(where, key, strCat("a number in [", lo, ", ", hi, "]"), v);
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
        bad(where, key, strCat("a finite number in [", lo, ", ", hi, "]"), v);
    return d;
}

} // namespace

bool has(const json& j, const std::string& key) { return j.is_object() && j.contains(key) && !j.at(key).is_null(); }

const json& member(const json& j, const std::string& key, const std::string& where)
{
    if (!j.is_object())
        fail(where, ": expected a JSON object holding \"", key, "\", got ", typeOf(j));
    auto it = j.find(key);
    if (it == j.end())
        fail(where, ": the required key \"", key, "\" is missing");
    return *it;
}

int64_t getInt(const json& j, const std::string& key, const std::string& where, int64_t lo, int64_t hi)
{
    return intValue(member(j, key, where), key, where, lo, hi);
}

int64_t getInt(const json& j, const std::string& key, const std::string& where, int64_t lo, int64_t hi,
               int64_t fallback)
{
    return has(j, key) ? getInt(j, key, where, lo, hi) : fallback;
}

uint64_t getUint(const json& j, const std::string& key, const std::string& where, uint64_t fallback)
{
    if (!has(j, key))
        return fallback;
    const json& v = j.at(key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
        bad(where, key, "a non-negative integer", v);
    return v.get<uint64_t>();
}

double getDouble(const json& j, const std::string& key, const std::string& where, double lo, double hi)
{
    return doubleValue(member(j, key, where), key, where, lo, hi);
}

double getDouble(const json& j, const std::string& key, const std::string& where, double lo, double hi,
                 double fallback)
{
    return has(j, key) ? getDouble(j, key, where, lo, hi) : fallback;
}

double getPositive(const json& j, const std::string& key, const std::string& where, double hi)
{
    const json& v = member(j, key, where);
    const double d = doubleValue(v, key, where, 0.0, hi);
    if (!(d >= std::numeric_limits<double>::min())) // > 0 and not subnormal
        bad(where, key, strCat("a positive normal number up to ", hi), v);
    return d;
}

bool getBool(const json& j, const std::string& key, const std::string& where)
{
    const json& v = member(j, key, where);
    if (!v.is_boolean())
        bad(where, key, "true or false", v);
    return v.get<bool>();
}

bool getBool(const json& j, const std::string& key, const std::string& where, bool fallback)
{
    return has(j, key) ? getBool(j, key, where) : fallback;
}

std::string getString(const json& j, const std::string& key, const std::string& where)
{
    const json& v = member(j, key, where);
    if (!v.is_string())
        bad(where, key, "a string", v);
    return v.get<std::string>();
}

std::string getString(const json& j, const std::string& key, const std::string& where, const std::string& fallback)
{
    return has(j, key) ? getString(j, key, where) : fallback;
}

std::vector<double> getDoubles(const json& j, const std::string& key, const std::string& where, bool positive,
                               double lo, double hi)
{
    const json& v = member(j, key, where);
    if (!v.is_array())
        bad(where, key, "an array of numbers", v);
    std::vector<double> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        const std::string item = strCat(key, "[", i, "]");
        const double d = doubleValue(v[i], item, where, positive ? 0.0 : lo, hi);
        if (positive && !(d >= std::numeric_limits<double>::min()))
            bad(where, item, "a positive normal number", v[i]);
        out.push_back(d);
    }
    return out;
}

std::vector<int64_t> getInts(const json& j, const std::string& key, const std::string& where, int64_t lo, int64_t hi)
{
    const json& v = member(j, key, where);
    if (!v.is_array())
        bad(where, key, "an array of integers", v);
    std::vector<int64_t> out;
    for (size_t i = 0; i < v.size(); ++i)
        out.push_back(intValue(v[i], strCat(key, "[", i, "]"), where, lo, hi));
    return out;
}

} // namespace tessera::jsonfields

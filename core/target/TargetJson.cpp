// Target files: the versioned JSON reader (every key checked against the schema table),
// the writer, and the built-in presets.
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/target/EmbeddedTargets.h"
#include "core/target/Target.h"
#include "core/target/TargetFields.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace tessera {

namespace {

using nlohmann::json;
using targetdetail::FieldRow;

constexpr const char* kFormat = "tessera-target";
constexpr int kVersion = 1;

bool isLeafKey(const std::string& path)
{
    if (targetdetail::findField(path))
        return true;
    for (size_t i = 0; i < targetdetail::kSpecialKeyCount; ++i)
        if (path == targetdetail::kSpecialKeys[i])
            return true;
    return false;
}

// "analog" and "analog.array" are sections: prefixes of a field's path.
bool isSectionKey(const std::string& path)
{
    for (const FieldRow& row : targetdetail::fieldTable())
        if (std::string(row.path).rfind(path + ".", 0) == 0)
            return true;
    return false;
}

size_t editDistance(const std::string& a, const std::string& b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = row[j];
            row[j] = next;
        }
    }
    return row[b.size()];
}

// The closest known key of the same section, for a typo's error message.
std::string suggestion(const std::string& unknown)
{
    std::vector<std::string> known;
    for (const FieldRow& row : targetdetail::fieldTable())
        known.push_back(row.path);
    for (size_t i = 0; i < targetdetail::kSpecialKeyCount; ++i)
        known.push_back(targetdetail::kSpecialKeys[i]);
    const std::string section = unknown.substr(0, unknown.rfind('.') + 1);
    std::string best;
    size_t bestDistance = 3; // more than two edits: no suggestion
    for (const std::string& key : known) {
        const std::string sub = key.substr(0, std::min(key.size(), key.find('.', section.size())));
        const size_t d = editDistance(unknown, sub);
        if (sub.rfind(section, 0) == 0 && d < bestDistance) {
            best = sub;
            bestDistance = d;
        }
    }
    return best.empty() ? "" : strCat(" (did you mean ", best, "?)");
}

// Unknown keys are errors (a typo must not silently fall back to a default).
void checkKeys(const json& object, const std::string& prefix, const std::string& file)
{
    for (const auto& [key, value] : object.items()) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (isLeafKey(path))
            continue;
        if (!isSectionKey(path))
            fail(file, ": unknown key ", path, suggestion(path));
        if (!value.is_object())
            fail(file, ": ", path, " must be an object, got ", value.dump());
        checkKeys(value, path, file);
    }
}

const json* lookup(const json& doc, const std::string& path)
{
    const json* node = &doc;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        auto it = node->find(key);
        if (it == node->end())
            return nullptr;
        node = &*it;
        if (dot == std::string::npos)
            return node;
        start = dot + 1;
    }
}

void readField(const json& doc, const FieldRow& row, Target& target, const std::string& file)
{
    const json* v = lookup(doc, row.path);
    if (!v)
        fail(file, ": missing key ", row.path, " (", row.unit, ": ", row.meaning, ")");
    const auto wrong = [&] { fail(file, ": ", row.path, " must be ", targetdetail::expectation(row), ", got ", v->dump()); };
    if (row.integer) {
        if (!v->is_number_integer())
            wrong();
        const int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX) ? -1 : v->get<int64_t>();
        if (x < row.lo || x > row.hi)
            wrong();
        *row.integer(target) = x;
        return;
    }
    if (!v->is_number())
        wrong();
    const double x = v->get<double>();
    if (!(x > 0.0 || (row.allowZero && x == 0.0)) || !std::isfinite(x))
        wrong();
    *row.number(target) = x;
}

std::string readString(const json& doc, const std::string& key, const std::string& file, bool required)
{
    auto it = doc.find(key);
    if (it == doc.end()) {
        if (required)
            fail(file, ": missing key ", key);
        return "";
    }
    if (!it->is_string())
        fail(file, ": ", key, " must be a string, got ", it->dump());
    return it->get<std::string>();
}

void readDisabled(const json& doc, Target& target, const std::string& file)
{
    const json* list = lookup(doc, "tiles.disabled");
    if (!list)
        return;
    if (!list->is_array())
        fail(file, ": tiles.disabled must be an array of [row, col] pairs, got ", list->dump());
    std::set<std::pair<int64_t, int64_t>> seen;
    for (const json& item : *list) {
        const bool pair = item.is_array() && item.size() == 2 && item[0].is_number_integer() && item[1].is_number_integer();
        if (!pair || item[0].get<int64_t>() < 0 || item[0].get<int64_t>() >= target.tiles.rows ||
            item[1].get<int64_t>() < 0 || item[1].get<int64_t>() >= target.tiles.cols)
            fail(file, ": tiles.disabled entries must be [row, col] inside the ", target.tiles.rows, "x",
                 target.tiles.cols, " grid, got ", item.dump());
        if (!seen.insert({item[0].get<int64_t>(), item[1].get<int64_t>()}).second)
            fail(file, ": tiles.disabled lists tile ", item.dump(), " twice");
        target.tiles.disabled.push_back({item[0].get<int64_t>(), item[1].get<int64_t>()});
    }
    if (target.tileCount() < 1)
        fail(file, ": tiles.disabled disables every tile of the grid");
}

Provenance parseProvenance(const std::string& key, const json& value, const std::string& file)
{
    static const std::pair<const char*, SourceKind> kinds[] = {
        {"published:", SourceKind::Published}, {"inferred:", SourceKind::Inferred}, {"assumption:", SourceKind::Assumption}};
    if (value.is_string())
        for (const auto& [prefix, kind] : kinds)
            if (value.get<std::string>().rfind(prefix, 0) == 0) {
                std::string detail = value.get<std::string>().substr(std::string(prefix).size());
                detail.erase(0, detail.find_first_not_of(' '));
                return {kind, detail};
            }
    fail(file, ": sources.", key, " must be a string starting with 'published:', 'inferred:' or 'assumption:', got ",
         value.dump());
}

void readSources(const json& doc, Target& target, const std::string& file)
{
    auto it = doc.find("sources");
    if (it == doc.end())
        return;
    if (!it->is_object())
        fail(file, ": sources must be an object mapping a key path to its source, got ", it->dump());
    for (const auto& [key, value] : it->items()) {
        if (!targetdetail::findField(key) && key != "tiles.disabled")
            fail(file, ": sources names unknown key ", key, suggestion(key));
        target.sources[key] = parseProvenance(key, value, file);
    }
}

void checkHeader(const json& doc, const std::string& file)
{
    if (!doc.is_object())
        fail(file, ": a target file must be a JSON object, got ", doc.type_name());
    auto format = doc.find("format");
    if (format == doc.end() || *format != kFormat)
        fail(file, ": not a Tessera target file (\"format\" must be \"", kFormat, "\")");
    auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer())
        fail(file, ": missing key version (an integer; this Tessera reads version ", kVersion, ")");
    if (*version != kVersion)
        fail(file, ": target format version ", version->dump(), " is not supported (this Tessera reads version ",
             kVersion, ")");
}

void checkConsistency(const Target& t, const std::string& file)
{
    if (t.analog.adc.minBits > t.analog.adc.maxBits)
        fail(file, ": analog.adc.min_bits (", t.analog.adc.minBits, ") exceeds analog.adc.max_bits (",
             t.analog.adc.maxBits, ")");
    if (t.analog.dac.count > t.analog.array.rows)
        fail(file, ": analog.dac.count (", t.analog.dac.count, ") exceeds analog.array.rows (", t.analog.array.rows, ")");
    if (t.analog.adc.count > t.analog.array.cols)
        fail(file, ": analog.adc.count (", t.analog.adc.count, ") exceeds analog.array.cols (", t.analog.array.cols, ")");
    if (t.energy.staticW > t.energy.typicalW)
        fail(file, ": energy.static_w (", t.energy.staticW, ") exceeds energy.typical_w (", t.energy.typicalW, ")");
    if (t.name.empty())
        fail(file, ": name must not be empty");
}

std::string parseErrorText(const std::exception& e)
{
    const std::string what = e.what();
    const size_t close = what.find("] ");
    return close == std::string::npos ? what : what.substr(close + 2); // drop "[json.exception.parse_error.101] "
}

} // namespace

Target parseTarget(const std::string& text, const std::string& fileLabel)
{
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        fail(fileLabel, ": not valid JSON (", parseErrorText(e), ")");
    }
    checkHeader(doc, fileLabel);
    checkKeys(doc, "", fileLabel);
    Target target;
    target.name = readString(doc, "name", fileLabel, true);
    target.description = readString(doc, "description", fileLabel, false);
    for (const FieldRow& row : targetdetail::fieldTable())
        readField(doc, row, target, fileLabel);
    readDisabled(doc, target, fileLabel);
    readSources(doc, target, fileLabel);
    checkConsistency(target, fileLabel);
    return target;
}

Target readTargetFile(const std::string& path)
{
    return parseTarget(readFileBytes(path, uint64_t(1) << 24), path);
}

namespace {

nlohmann::ordered_json orderedJson(const Target& target)
{
    nlohmann::ordered_json doc = {{"format", kFormat}, {"version", kVersion}, {"name", target.name}};
    if (!target.description.empty())
        doc["description"] = target.description;
    for (const FieldRow& row : targetdetail::fieldTable()) {
        std::string pointer = std::string("/") + row.path;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        doc[nlohmann::ordered_json::json_pointer(pointer)] = targetdetail::fieldJson(row, target);
    }
    if (!target.tiles.disabled.empty()) {
        doc["tiles"]["disabled"] = nlohmann::ordered_json::array();
        for (const TileCoord& c : target.tiles.disabled)
            doc["tiles"]["disabled"].push_back({c.row, c.col});
    }
    for (const auto& [key, source] : target.sources)
        doc["sources"][key] = strCat(sourceKindName(source.kind), ": ", source.detail);
    return doc;
}

} // namespace

nlohmann::json targetToJson(const Target& target)
{
    return nlohmann::json::parse(orderedJson(target).dump());
}

std::string targetText(const Target& target)
{
    return orderedJson(target).dump(2) + "\n";
}

void writeTargetFile(const std::string& path, const Target& target)
{
    writeFileAtomic(path, targetText(target));
}

std::vector<std::string> listTargetPresets()
{
    std::vector<std::string> names;
    for (size_t i = 0; i < targetdetail::kEmbeddedTargetCount; ++i)
        names.push_back(targetdetail::kEmbeddedTargets[i].name);
    return names;
}

Target loadTarget(const std::string& nameOrPath)
{
    for (size_t i = 0; i < targetdetail::kEmbeddedTargetCount; ++i) {
        const targetdetail::EmbeddedTarget& preset = targetdetail::kEmbeddedTargets[i];
        if (nameOrPath == preset.name)
            return parseTarget(std::string(preset.bytes, preset.size), nameOrPath + ".json");
    }
    std::error_code ec;
    if (!std::filesystem::exists(nameOrPath, ec) && nameOrPath.find('/') == std::string::npos &&
        nameOrPath.find(".json") == std::string::npos) {
        std::string names;
        for (const std::string& n : listTargetPresets())
            names += (names.empty() ? "" : ", ") + n;
        fail("'", nameOrPath, "' is neither a target preset (", names, ") nor a file");
    }
    return readTargetFile(nameOrPath);
}

} // namespace tessera

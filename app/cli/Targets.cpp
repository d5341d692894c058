// `tessera targets [NAME|FILE] [--json]`: the built-in hardware targets, or one target
// (a preset or a target file) in full, validated, with where each number comes from.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/target/Target.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

namespace tessera::cli {

namespace {

struct TargetsOptions {
    std::string target; // empty: list the presets
    bool json = false;
};

std::string fixed(double value, int decimals)
{
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f", decimals, value);
    return text;
}

std::string arrayText(const Target& t)
{
    return strCat(t.analog.array.rows, "x", t.analog.array.cols);
}

nlohmann::json summaryJson(const Target& t)
{
    return {{"name", t.name},
            {"tiles", t.tileCount()},
            {"array_rows", t.analog.array.rows},
            {"array_cols", t.analog.array.cols},
            {"total_weights", t.totalWeightCapacity()},
            {"weight_bits", t.analog.array.maxWeightBits},
            {"peak_tops", t.peakTops()},
            {"typical_w", t.energy.typicalW}};
}

int listPresets(bool json)
{
    std::vector<Target> targets;
    for (const std::string& name : listTargetPresets())
        targets.push_back(loadTarget(name));
    if (json) {
        nlohmann::json list = nlohmann::json::array();
        for (const Target& t : targets)
            list.push_back(summaryJson(t));
        std::cout << list.dump(2) << "\n";
        return kExitOk;
    }
    std::printf("%-8s %6s %10s %14s %10s %8s  %s\n", "name", "tiles", "array", "weights", "peak TOPS", "power",
                "description");
    for (const Target& t : targets)
        std::printf("%-8s %6lld %10s %14s %10s %6s W  %s\n", t.name.c_str(), static_cast<long long>(t.tileCount()),
                    arrayText(t).c_str(), withThousands(t.totalWeightCapacity()).c_str(), fixed(t.peakTops(), 1).c_str(),
                    fixed(t.energy.typicalW, 1).c_str(), t.description.c_str());
    std::printf("\nweights: weights of the widest kind the chip holds; peak: every array busy, inputs at the\n"
                "DAC's bits (docs/targets.md). 'tessera targets NAME' prints one target in full.\n");
    return kExitOk;
}

void printSummary(const Target& t)
{
    std::cout << t.name << (t.description.empty() ? "" : ": " + t.description) << "\n"
              << "  " << t.tileCount() << " tiles (" << t.tiles.rows << " x " << t.tiles.cols << " mesh";
    if (!t.tiles.disabled.empty()) {
        std::cout << ", disabled:";
        for (const TileCoord& c : t.tiles.disabled)
            std::cout << " [" << c.row << "," << c.col << "]";
    }
    std::cout << "), " << t.totalArrays() << " arrays of " << arrayText(t) << " cells, "
              << withThousands(t.totalWeightCapacity()) << " " << t.analog.array.maxWeightBits << "-bit weights\n"
              << "  MVM " << fixed(t.mvmTimeNs(t.analog.dac.bits), 0) << " ns at " << t.analog.dac.bits
              << "-bit inputs, peak " << fixed(t.peakTops(), 1) << " TOPS, typical " << fixed(t.energy.typicalW, 1)
              << " W, NoC link " << fixed(t.nocLinkGBs(), 1) << " GB/s\n\n";
}

void printFields(const Target& t)
{
    const std::vector<TargetFieldInfo> fields = targetFields();
    size_t keyW = 0;
    for (const TargetFieldInfo& f : fields)
        keyW = std::max(keyW, f.path.size());
    for (const TargetFieldInfo& f : fields) {
        const std::string value = targetFieldValue(t, f.path) + " " + f.unit;
        auto source = t.sources.find(f.path);
        const std::string origin = source == t.sources.end()
                                       ? "(no source given)"
                                       : strCat(sourceKindName(source->second.kind), ": ", source->second.detail);
        std::printf("%-*s  %-18s  %s\n", static_cast<int>(keyW), f.path.c_str(), value.c_str(), origin.c_str());
    }
}

int runTargets(const TargetsOptions& o)
{
    if (o.target.empty())
        return listPresets(o.json);
    const Target target = loadTarget(o.target);
    if (o.json) {
        std::cout << targetText(target);
        return kExitOk;
    }
    printSummary(target);
    printFields(target);
    return kExitOk;
}

} // namespace

CommandRun declareTargets(CLI::App& sub)
{
    auto o = std::make_shared<TargetsOptions>();
    std::string presets;
    for (const std::string& name : listTargetPresets())
        presets += (presets.empty() ? "" : ", ") + name;
    sub.add_option("target", o->target, "a preset name (" + presets + ") or a target JSON file; none: list the presets");
    sub.add_flag("--json", o->json, "Print JSON: the target file (validated), or the list of presets");
    return [o] { return runTargets(*o); };
}

} // namespace tessera::cli

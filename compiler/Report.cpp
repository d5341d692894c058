// Does it fit, what would make it fit, and the compile report (JSON and text).
#include "compiler/Stages.h"

#include "core/Error.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace tessera::compiler {

namespace {

int64_t tilesNeeded(const CompileResult& r)
{
    const int64_t perTile = std::max<int64_t>(1, r.target.analog.arraysPerTile);
    return (r.arraysUnreplicated + perTile - 1) / perTile;
}

// The largest analog layers by cells, the layers a lower bit depth would shrink, and the
// presets with room for the model.
std::string fitAdvice(const CompileResult& r)
{
    std::vector<int> analog;
    for (size_t i = 0; i < r.layers.size(); ++i)
        if (r.layers[i].unit == Unit::Analog)
            analog.push_back(static_cast<int>(i));
    std::stable_sort(analog.begin(), analog.end(),
                     [&](int a, int b) { return r.layers[a].weightCells > r.layers[b].weightCells; });
    std::string text = "largest layers:";
    for (size_t i = 0; i < analog.size() && i < 3; ++i)
        text += strCat(" ", r.layers[analog[i]].node, " (", r.layers[analog[i]].weightCells, " cells)");
    std::string lower;
    for (int i : analog)
        if (cellsPerWeight(r.target, r.layers[i].weightBits) > 1 && lower.size() < 200)
            lower += " " + r.layers[i].node;
    if (!lower.empty())
        text += strCat("; fewer weight bits (<= ", r.target.analog.array.bitsPerCell, ", one cell per weight) for:", lower);
    text += "; or run the largest layers digitally / split the model across chips";
    std::string bigger;
    for (const std::string& name : listTargetPresets()) {
        const Target t = loadTarget(name);
        if (name != r.target.name && t.totalArrays() * t.weightCellsPerArray() >= r.weightCells * 21 / 20)
            bigger += " " + name;
    }
    if (!bigger.empty())
        text += "; a bigger target:" + bigger;
    return text;
}

} // namespace

void decideFit(CompileResult& r)
{
    r.fits = true;
    r.fitMessage.clear();
    if (r.arraysUnreplicated > r.target.totalArrays()) {
        r.fits = false;
        r.fitMessage = strCat("does not fit: needs ", tilesNeeded(r), " tiles (", r.arraysUnreplicated, " arrays of ",
                              r.target.analog.array.rows, "x", r.target.analog.array.cols, "), target ", r.target.name,
                              " has ", r.target.tileCount(), " tiles; ", fitAdvice(r));
        return;
    }
    for (const TilePlan& t : r.tiles)
        if (t.sramBytes > r.target.tiles.sramBytes) {
            r.fits = false;
            r.fitMessage = strCat("does not fit: tile [", t.coord.row, ",", t.coord.col, "] needs ", t.sramBytes,
                                  " bytes of activation buffers, target ", r.target.name, " has ",
                                  r.target.tiles.sramBytes, " per tile; fewer layers per tile (a bigger target) would fit");
            return;
        }
}

namespace {

int64_t footprint(const CompileResult& r, int layer, int replica)
{
    int64_t cells = 0;
    for (const BlockPlan& b : r.blocks)
        cells += b.layer == layer && b.replica == replica ? b.rows * b.cols : 0;
    return cells;
}

int64_t blockCount(const CompileResult& r, int layer)
{
    int64_t n = 0;
    for (const BlockPlan& b : r.blocks)
        n += b.layer == layer && b.replica == 0 ? 1 : 0;
    return n;
}

nlohmann::json layerJson(const CompileResult& r, int i)
{
    const LayerPlan& l = r.layers[i];
    nlohmann::json tiles = nlohmann::json::array();
    for (int t : l.tiles)
        tiles.push_back({r.tiles[t].coord.row, r.tiles[t].coord.col});
    nlohmann::json j = {{"name", l.node}, {"op", l.opType}, {"runs_on", unitName(l.unit)}, {"reason", l.reason},
                        {"estimated_ns", l.nsPerFrame},
                        {"estimated_cycles", static_cast<int64_t>(l.nsPerFrame * r.target.processor.clockMhz / 1000.0)},
                        {"tiles", tiles}};
    if (l.unit == Unit::Analog) {
        const int64_t cells = footprint(r, i, 0);
        j.update({{"rows", l.rows}, {"cols", l.cols}, {"groups", l.groups}, {"blocks", blockCount(r, i)},
                  {"row_blocks", l.rowBlocks}, {"col_blocks", l.colBlocks}, {"arrays", l.arrays.size()},
                  {"replicas", l.replicas}, {"vectors", l.vectors}, {"weight_cells", l.weightCells},
                  {"utilization", cells ? static_cast<double>(l.weightCells) / static_cast<double>(cells) : 0.0}});
    }
    return j;
}

} // namespace

nlohmann::json reportJson(const CompileResult& r)
{
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < r.layers.size(); ++i)
        layers.push_back(layerJson(r, static_cast<int>(i)));
    nlohmann::json arrays = nlohmann::json::array();
    const double perArray = static_cast<double>(r.target.weightCellsPerArray());
    for (const ArrayPlan& a : r.arrays) {
        int64_t weights = 0;
        for (int b : a.blocks)
            weights += r.blocks[b].weightCells;
        arrays.push_back({{"tile", {r.tiles[a.tile].coord.row, r.tiles[a.tile].coord.col}}, {"blocks", a.blocks.size()},
                          {"utilization", static_cast<double>(weights) / perArray}, {"phases", a.phases},
                          {"estimated_ns", a.nsPerFrame}});
    }
    nlohmann::json tiles = nlohmann::json::array();
    for (const TilePlan& t : r.tiles)
        tiles.push_back({{"tile", {t.coord.row, t.coord.col}}, {"arrays", t.arrays.size()}, {"sram_bytes", t.sramBytes},
                         {"digital_ns", t.simdNsPerFrame}});
    return {{"format", "tessera-compile-report"},
            {"version", 1},
            {"model", r.model},
            {"target", r.target.name},
            {"fits", r.fits},
            {"message", r.fitMessage},
            {"weight_cells", r.weightCells},
            {"arrays_used", r.arraysUnreplicated},
            {"arrays_lower_bound", r.arraysLowerBound},
            {"arrays_used_sram", r.arraysSramRelieved},
            {"arrays_used_replicated", r.arrays.size()},
            {"tiles_needed", tilesNeeded(r)},
            {"tiles_used", r.tilesUsed},
            {"tiles_available", r.target.tileCount()},
            {"estimated_fps", r.fps},
            {"estimated_fps_unreplicated", r.fpsUnreplicated},
            {"noc_bytes_hops", r.bytesHops},
            {"noc_busiest_link_ns", r.busiestLinkNs},
            {"noc_limited", r.nocLimited},
            {"layers", layers},
            {"arrays", arrays},
            {"tiles", tiles}};
}

std::string reportText(const CompileResult& r)
{
    std::ostringstream s;
    char line[512];
    std::snprintf(line, sizeof(line),
                  "%s on %s: %s\n  arrays %lld (lower bound %lld, %.3fx), %lld with replicas; tiles %lld used of %lld\n"
                  "  estimated %.1f frames/s (%.1f without replication)%s; NoC %.0f byte-hops per frame\n",
                  r.model.c_str(), r.target.name.c_str(), r.fits ? "fits" : "DOES NOT FIT",
                  static_cast<long long>(r.arraysUnreplicated), static_cast<long long>(r.arraysLowerBound),
                  r.arraysLowerBound ? static_cast<double>(r.arraysUnreplicated) / static_cast<double>(r.arraysLowerBound) : 0.0,
                  static_cast<long long>(r.arrays.size()), static_cast<long long>(r.tilesUsed),
                  static_cast<long long>(r.target.tileCount()), r.fps, r.fpsUnreplicated,
                  r.nocLimited ? ", limited by the busiest NoC link" : "", r.bytesHops);
    s << line;
    if (!r.fits)
        s << "  " << r.fitMessage << "\n";
    std::snprintf(line, sizeof(line), "\n%-32s %-10s %-9s %6s %6s %5s %8s %12s  %s\n", "layer", "op", "runs on", "blocks",
                  "arrays", "repl", "util", "est. us", "why");
    s << line;
    for (size_t i = 0; i < r.layers.size(); ++i) {
        const nlohmann::json j = layerJson(r, static_cast<int>(i));
        const LayerPlan& l = r.layers[i];
        const bool analog = l.unit == Unit::Analog;
        std::snprintf(line, sizeof(line), "%-32s %-10s %-9s %6s %6s %5s %8s %12.1f  %s\n", l.node.substr(0, 32).c_str(),
                      l.opType.substr(0, 10).c_str(), unitName(l.unit),
                      analog ? std::to_string(j["blocks"].get<int64_t>()).c_str() : "-",
                      analog ? std::to_string(l.arrays.size()).c_str() : "-",
                      analog ? std::to_string(l.replicas).c_str() : "-",
                      analog ? strCat(static_cast<int>(j["utilization"].get<double>() * 100.0 + 0.5), "%").c_str() : "-",
                      l.nsPerFrame / 1000.0, l.reason.substr(0, 200).c_str());
        s << line;
    }
    return s.str();
}

} // namespace tessera::compiler

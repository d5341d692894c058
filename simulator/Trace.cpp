#include "simulator/Trace.h"

#include "core/io/FileIO.h"

#include <algorithm>
#include <map>

namespace tessera::sim {

namespace {

constexpr int kPid = 1;

// Per tile and bin: busy track-time / (tracks of the tile x bin width).
void addCounters(const PerfReport& r, int bins, nlohmann::json& events)
{
    double end = 0;
    for (const PerfSlice& s : r.slices)
        end = std::max(end, s.endNs);
    if (end <= 0 || bins <= 0)
        return;
    const double width = end / bins;
    std::map<int64_t, std::vector<double>> busy;
    std::map<int64_t, int> tracks;
    for (const PerfTrack& t : r.tracks)
        if (t.tile >= 0)
            ++tracks[t.tile];
    for (const PerfSlice& s : r.slices) {
        const int64_t tile = r.tracks[s.track].tile;
        if (tile < 0)
            continue;
        std::vector<double>& b = busy[tile];
        b.resize(bins, 0.0);
        for (int i = std::max(0, static_cast<int>(s.startNs / width)); i < bins && i * width < s.endNs; ++i)
            b[i] += std::max(0.0, std::min(s.endNs, (i + 1) * width) - std::max(s.startNs, i * width));
    }
    for (const auto& [tile, b] : busy)
        for (int i = 0; i < bins; ++i)
            events.push_back({{"ph", "C"}, {"pid", kPid}, {"name", "tile " + std::to_string(tile) + " utilization"},
                              {"ts", i * width / 1000}, {"args", {{"busy", b[i] / (width * tracks[tile])}}}});
}

} // namespace

nlohmann::json traceJson(const PerfReport& r, int bins)
{
    nlohmann::json events = nlohmann::json::array();
    events.push_back({{"ph", "M"}, {"pid", kPid}, {"name", "process_name"}, {"args", {{"name", r.model + " on " + r.target}}}});
    std::vector<bool> used(r.tracks.size(), false);
    for (const PerfSlice& s : r.slices)
        used[s.track] = true;
    for (size_t i = 0; i < r.tracks.size(); ++i)
        if (used[i] || r.tracks[i].tile >= 0)
            events.push_back({{"ph", "M"}, {"pid", kPid}, {"tid", static_cast<int>(i) + 1}, {"name", "thread_name"},
                              {"args", {{"name", r.tracks[i].name}}}});
    for (const PerfSlice& s : r.slices)
        events.push_back({{"ph", "X"}, {"pid", kPid}, {"tid", s.track + 1}, {"name", r.labels[s.label]},
                          {"ts", s.startNs / 1000}, {"dur", (s.endNs - s.startNs) / 1000},
                          {"args", {{"frame", s.frame}}}});
    addCounters(r, bins, events);
    return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

void writeTrace(const std::string& path, const PerfReport& report) { writeFileAtomic(path, traceJson(report).dump() + "\n"); }

} // namespace tessera::sim

// The performance report as JSON (the CLI's --report, the studio) and as text.
#include "simulator/PerfModel.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace tessera::sim {

nlohmann::json toJson(const PerfReport& r)
{
    nlohmann::json layers = nlohmann::json::array(), tiles = nlohmann::json::array();
    for (const LayerPerf& l : r.layers)
        layers.push_back({{"name", l.name}, {"unit", l.unit}, {"tile", l.tile}, {"arrays", l.arrays},
                          {"replicas", l.replicas}, {"vectors", l.vectors}, {"input_bits", l.inputBits},
                          {"adc_bits", l.adcBits}, {"busy_ns_per_frame", l.busyNsPerFrame},
                          {"resource_ns_per_frame", l.resourceNsPerFrame}, {"array_ns_per_frame", l.arrayNsPerFrame},
                          {"busy", l.busyNsPerFrame / std::max(1e-9, r.frameIntervalNs)}, {"energy_uj_per_frame", l.energyPjPerFrame * 1e-6},
                          {"first_frame_start_us", l.startNs / 1000}, {"first_frame_end_us", l.endNs / 1000}});
    for (const TilePerf& t : r.tiles)
        tiles.push_back({{"tile", t.tile}, {"row", t.row}, {"col", t.col}, {"arrays", t.arrays},
                         {"array_busy", t.arrayBusy}, {"digital_busy", t.digitalBusy}, {"busy", t.busy},
                         {"idle", 1.0 - t.busy}, {"energy_uj_per_frame", t.energyPjPerFrame * 1e-6}});
    const EnergyBreakdown& e = r.energy;
    return {{"model", r.model},
            {"target", r.target},
            {"frames", r.frames},
            {"bands", r.bands},
            {"tile_frame_order", r.tileFrameOrder},
            {"latency_us", r.latencyNs / 1000},
            {"frame_interval_us", r.frameIntervalNs / 1000},
            {"loaded_latency_us", r.loadedLatencyNs / 1000},
            {"fps", r.fps},
            {"bound_fps", r.boundNsPerFrame > 0 ? 1e9 / r.boundNsPerFrame : 0.0},
            {"energy_uj_per_frame", r.energyPjPerFrame * 1e-6},
            {"average_power_w", r.averagePowerW},
            {"macs_per_frame", r.macsPerFrame},
            {"pj_per_mac", r.macsPerFrame > 0 ? r.energyPjPerFrame / r.macsPerFrame : 0.0},
            {"energy_uj", {{"analog", e.analog * 1e-6}, {"adc", e.adc * 1e-6}, {"digital", e.digital * 1e-6},
                           {"sram", e.sram * 1e-6}, {"noc", e.noc * 1e-6}, {"host", e.host * 1e-6},
                           {"static", e.staticEnergy * 1e-6}}},
            {"noc_busiest_link", r.busiestLink},
            {"noc_busiest_link_ns", r.busiestLinkNsPerFrame},
            {"host_in_ns_per_frame", r.hostInNsPerFrame},
            {"host_out_ns_per_frame", r.hostOutNsPerFrame},
            {"bottleneck", r.bottleneck},
            {"bottleneck_kind", r.bottleneckKind},
            {"notes", r.notes},
            {"layers", layers},
            {"tiles", tiles}};
}

std::string summaryText(const PerfReport& r)
{
    std::ostringstream out;
    char line[512];
    std::snprintf(line, sizeof line, "performance model: %s on %s (%d frames run, %d bands per layer%s)\n",
                  r.model.c_str(), r.target.c_str(), r.frames, r.bands, r.tileFrameOrder ? ", tile frame order" : "");
    out << line;
    std::snprintf(line, sizeof line, "  latency %.1f us, %.1f frames/s (bound %.1f), %.1f uJ/frame (%.3f pJ/MAC), %.2f W\n",
                  r.latencyNs / 1000, r.fps, r.boundNsPerFrame > 0 ? 1e9 / r.boundNsPerFrame : 0.0,
                  r.energyPjPerFrame * 1e-6, r.macsPerFrame > 0 ? r.energyPjPerFrame / r.macsPerFrame : 0.0,
                  r.averagePowerW);
    out << line;
    const EnergyBreakdown& e = r.energy;
    std::snprintf(line, sizeof line,
                  "  energy/frame: analog %.2f, ADC %.2f, digital %.2f, SRAM %.2f, NoC %.2f, host %.2f, static %.2f uJ\n",
                  e.analog * 1e-6, e.adc * 1e-6, e.digital * 1e-6, e.sram * 1e-6, e.noc * 1e-6, e.host * 1e-6,
                  e.staticEnergy * 1e-6);
    out << line << "  bottleneck: " << r.bottleneck << "\n";
    for (const std::string& n : r.notes)
        out << "  note: " << n << "\n";
    double busy = 0;
    for (const TilePerf& t : r.tiles)
        busy += t.busy;
    std::snprintf(line, sizeof line, "  tiles with work: %zu, mean busy %.0f%%\n", r.tiles.size(),
                  r.tiles.empty() ? 0.0 : 100.0 * busy / static_cast<double>(r.tiles.size()));
    out << line;
    return out.str();
}

} // namespace tessera::sim

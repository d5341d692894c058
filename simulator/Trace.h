#pragma once
// Timeline export of a performance run in the Chrome / Perfetto trace-event format
// ({"traceEvents": [...]}, times in microseconds): one track (tid) per tile for its
// digital unit, one per array and layer, one per NoC link and host direction used, each
// named by a "thread_name" metadata event; slices ("ph": "X") on a track never overlap;
// a counter track ("ph": "C") per tile with its utilization over time.
#include "simulator/PerfModel.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tessera::sim {

// `bins`: samples of each utilization counter over the run.
nlohmann::json traceJson(const PerfReport& report, int bins = 100);
void writeTrace(const std::string& path, const PerfReport& report);

} // namespace tessera::sim

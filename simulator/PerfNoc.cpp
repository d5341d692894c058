// The NoC and host link: XY routes on the tile mesh as directed link ids, transfer times
// (docs/performance-model.md); tensor sizes.
#include "simulator/PerfWork.h"

#include <algorithm>
#include <cstdio>

namespace tessera::sim::perfdetail {

int64_t tensorElements(const package::PackageTensor& t)
{
    int64_t n = 1;
    for (int64_t d : t.shape)
        n *= std::max<int64_t>(0, d);
    return n;
}

std::vector<int> xyLinks(const Target& target, int64_t a, int64_t b)
{
    const int64_t cols = target.tiles.cols;
    int64_t r = a / cols, c = a % cols;
    const int64_t rb = b / cols, cb = b % cols;
    std::vector<int> out;
    while (c != cb) { // direction 0: +col, 1: -col, 2: +row, 3: -row
        out.push_back(static_cast<int>((r * cols + c) * 4 + (c < cb ? 0 : 1)));
        c += c < cb ? 1 : -1;
    }
    while (r != rb) {
        out.push_back(static_cast<int>((r * cols + c) * 4 + (r < rb ? 2 : 3)));
        r += r < rb ? 1 : -1;
    }
    return out;
}

std::string linkName(const Target& target, int link)
{
    const int64_t cols = target.tiles.cols, tile = link / 4, dir = link % 4;
    const int64_t r = tile / cols, c = tile % cols;
    const int64_t r2 = r + (dir == 2) - (dir == 3), c2 = c + (dir == 0) - (dir == 1);
    char buf[96];
    std::snprintf(buf, sizeof buf, "(%lld,%lld)->(%lld,%lld)", static_cast<long long>(r), static_cast<long long>(c),
                  static_cast<long long>(r2), static_cast<long long>(c2));
    return buf;
}

double nocSerializationNs(const Target& target, double bytes)
{
    return bytes / static_cast<double>(target.noc.linkBytesPerCycle) * 1000.0 / target.noc.clockMhz;
}

double nocTransferNs(const Target& target, int64_t hops, double bytes)
{
    const double cycleNs = 1000.0 / target.noc.clockMhz;
    return static_cast<double>(hops * target.noc.hopLatencyCycles) * cycleNs + nocSerializationNs(target, bytes);
}

double hostTransferNs(const Target& target, double bytes) { return bytes / target.host.bandwidthGBs; }

} // namespace tessera::sim::perfdetail

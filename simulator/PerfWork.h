#pragma once
// Internal to the performance model: the work of one frame as a DAG of steps on
// resources, derived from the package (PerfWork.cpp), and the event-driven run over
// several frames (PerfEngine.cpp). docs/performance-model.md describes both.
#include "simulator/PerfModel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::sim::perfdetail {

enum class ResourceKind { Array, Digital, Link, HostIn, HostOut };

struct Resource {
    ResourceKind kind = ResourceKind::Digital;
    int64_t tile = -1; // physical tile (-1: host links)
    std::string name;
    double boundNsPerFrame = 0; // its work per frame with perfect overlap of a phase's blocks
    int track = -1;             // trace track of its slices (arrays: one per layer, Step::track)
};

// One piece of work of one frame. A step without resource and links is a join (0 ns).
struct Step {
    int resource = -1;
    std::vector<int> links; // a NoC transfer holds every link of its XY path
    double ns = 0;
    int phase = -1;         // arrays: steps of one phase may overlap; -1: exclusive
    double holdNs = -1;     // transfers: how long the links are held (serialization); ns adds the hops
    int track = -1;         // trace track (transfers: one slice on every link's track)
    int unit = -1;          // PerfReport::layers index, -1: none
    std::string label;
    std::vector<int> succ;  // steps of the same frame that wait for this one
    int deps = 0;
    bool frameDone = false; // the frame's last step
};

// Energy of one frame from the work counts (pJ); static energy is added by the run.
struct FrameWork {
    std::vector<Resource> resources;
    std::vector<PerfTrack> tracks;
    std::vector<Step> steps;                 // one frame; steps[i].succ index this vector
    std::vector<LayerPerf> units;            // layers then digital ops (names, bits, energy)
    std::vector<std::vector<int>> unitResources; // per unit: resources it uses
    EnergyBreakdown energy;
    double macsPerFrame = 0;
    std::vector<std::string> notes;
};

// A digital op's work per frame: the op registry's cost column on the op's tensors and
// attribute text; one op per output element when the package lacks what it needs (its
// constant inputs, attributes): `approximate`. The processor runs ops kept in float.
struct DigitalWork {
    double ops = 0;
    bool processor = false;
    bool approximate = false;
};
DigitalWork digitalWork(const package::Package& pkg, const package::DigitalOp& op, int64_t batch);
int64_t tensorElements(const package::PackageTensor& t);

FrameWork buildFrameWork(const package::Package& package, const Target& target, const PerfOptions& options);

// XY route (columns first, then rows) from tile a to tile b on the target's mesh, as
// directed link ids; linkName(id) names one.
std::vector<int> xyLinks(const Target& target, int64_t a, int64_t b);
std::string linkName(const Target& target, int link);
// One transfer of `bytes` over `hops` links: hops x hop latency + bytes / link bandwidth
// (arrival); the links are held for the serialization bytes / link bandwidth only (wormhole).
double nocTransferNs(const Target& target, int64_t hops, double bytes);
double nocSerializationNs(const Target& target, double bytes);
double hostTransferNs(const Target& target, double bytes);

} // namespace tessera::sim::perfdetail

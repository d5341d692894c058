// The event-driven run: every frame's step DAG (PerfWork.cpp) instantiated `frames` times,
// all frames submitted at time 0; a step whose inputs are done becomes ready and takes its
// resource at the earliest time after the resource's previous booking (in order of
// readiness, ties by frame then step). Then the figures: latency of frame 0, steady-state
// frame interval, energy, per-layer and per-tile busy time, the bottleneck.
#include "core/Error.h"
#include "simulator/PerfWork.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <queue>

namespace tessera::sim {

using namespace perfdetail;

namespace {

struct Interval {
    double start, end;
};

double unionLength(std::vector<Interval> v)
{
    std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
    double total = 0, s = 0, e = -1;
    bool open = false;
    for (const Interval& i : v) {
        if (!open || i.start > e) {
            if (open)
                total += e - s;
            s = i.start;
            e = i.end;
            open = true;
        } else {
            e = std::max(e, i.end);
        }
    }
    return open ? total + e - s : 0;
}

struct ArrayState {
    int phase = -2;
    double phaseStart = 0;
};

struct Run {
    const FrameWork& w;
    int frames;
    std::vector<double> done;                   // per frame
    std::vector<std::vector<Interval>> busy;    // per resource
    std::vector<double> unitStart, unitEnd;     // frame 0
    std::map<std::pair<int, int>, double> ownNs; // (unit, resource) -> ns, all frames
    std::vector<PerfSlice> slices;

    int traceFrames = 0;
    Run(const FrameWork& work, int f, int trace) : w(work), frames(f), traceFrames(trace) {}

    void execute(double submitInterval)
    {
        const int64_t S = static_cast<int64_t>(w.steps.size());
        std::vector<double> ready(static_cast<size_t>(S * frames), 0.0);
        std::vector<int> deps(static_cast<size_t>(S * frames));
        using Item = std::pair<double, int64_t>;
        std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
        for (int64_t g = 0; g < S * frames; ++g)
            if ((deps[g] = w.steps[g % S].deps) == 0)
                queue.push({ready[g] = static_cast<double>(g / S) * submitInterval, g});
        std::vector<double> free(w.resources.size(), 0.0), trackFree(w.tracks.size(), 0.0);
        std::vector<ArrayState> arrays(w.resources.size());
        done.assign(frames, 0.0);
        busy.assign(w.resources.size(), {});
        unitStart.assign(w.units.size(), 1e300);
        unitEnd.assign(w.units.size(), 0.0);
        while (!queue.empty()) {
            const auto [at, g] = queue.top();
            queue.pop();
            const Step& s = w.steps[g % S];
            const int frame = static_cast<int>(g / S);
            double start = at;
            if (!s.links.empty()) {
                for (int l : s.links)
                    start = std::max(start, free[l]);
            } else if (s.resource >= 0 && w.resources[s.resource].kind == ResourceKind::Array) {
                ArrayState& a = arrays[s.resource];
                start = std::max(start, trackFree[s.track]);
                const bool join = s.phase >= 0 && a.phase == s.phase;
                start = std::max(start, join ? a.phaseStart : free[s.resource]);
                if (!join) {
                    a.phase = s.phase;
                    a.phaseStart = start;
                }
            } else if (s.resource >= 0) {
                start = std::max(start, free[s.resource]);
            }
            const double end = start + s.ns;
            for (int l : s.links)
                free[l] = start + s.holdNs;
            if (s.resource >= 0)
                free[s.resource] = std::max(free[s.resource], end);
            if (s.track >= 0)
                trackFree[s.track] = end;
            record(s, frame, start, end);
            for (int next : s.succ) {
                const int64_t n = frame * S + next;
                ready[n] = std::max(ready[n], end);
                if (--deps[n] == 0)
                    queue.push({ready[n], n});
            }
        }
    }

    void record(const Step& s, int frame, double start, double end)
    {
        if (s.frameDone)
            done[frame] = end;
        if (s.ns <= 0)
            return;
        std::vector<int> used = s.links;
        if (s.resource >= 0)
            used.push_back(s.resource);
        for (int r : used) {
            busy[r].push_back({start, s.links.empty() ? end : start + s.holdNs});
            if (s.unit >= 0)
                ownNs[{s.unit, r}] += s.links.empty() ? s.ns : s.holdNs;
        }
        if (s.unit >= 0 && frame == 0) {
            unitStart[s.unit] = std::min(unitStart[s.unit], start);
            unitEnd[s.unit] = std::max(unitEnd[s.unit], end);
        }
        if (frame >= traceFrames) {
        } else if (!s.links.empty()) {
            for (int l : s.links)
                slices.push_back({w.resources[l].track, start, start + s.holdNs, frame, static_cast<int>(&s - w.steps.data())});
        } else if (s.track >= 0) {
            slices.push_back({s.track, start, end, frame, static_cast<int>(&s - w.steps.data())});
        }
    }
};

const char* kindName(ResourceKind k)
{
    switch (k) {
    case ResourceKind::Array: return "array";
    case ResourceKind::Digital: return "digital";
    case ResourceKind::Link: return "link";
    default: return "host";
    }
}

double steadyInterval(const std::vector<double>& done)
{
    const int f = static_cast<int>(done.size());
    if (f == 1)
        return done[0];
    const int half = f / 2;
    if (f - 1 > half)
        return (done[f - 1] - done[half]) / (f - 1 - half);
    return done[1] - done[0];
}

// "array 'tile 3 (0,3) array 0': 812.0 us per frame, layers conv1 (90%), conv2 (10%)".
std::string describe(const FrameWork& w, const Run& run, int r, const std::vector<double>& perFrame)
{
    std::vector<std::pair<double, int>> users;
    for (const auto& [key, ns] : run.ownNs)
        if (key.second == r)
            users.push_back({ns, key.first});
    std::sort(users.rbegin(), users.rend());
    double total = 0;
    for (const auto& u : users)
        total += u.first;
    char head[256];
    std::snprintf(head, sizeof head, "%s '%s': %.1f us of work per frame", kindName(w.resources[r].kind),
                  w.resources[r].name.c_str(), perFrame[r] / 1000.0);
    std::string text = head;
    for (size_t i = 0; i < users.size() && i < 3; ++i) {
        char part[200];
        std::snprintf(part, sizeof part, "%s%s %.0f%%", i == 0 ? "; by " : ", ", w.units[users[i].second].name.c_str(),
                      100.0 * users[i].first / std::max(1e-9, total));
        text += part;
    }
    return text;
}

void fillTiles(const FrameWork& w, const Run& run, const std::vector<double>& perFrameBusy, PerfReport& r)
{
    std::map<int64_t, std::vector<int>> byTile;
    for (size_t i = 0; i < w.resources.size(); ++i)
        if (w.resources[i].tile >= 0)
            byTile[w.resources[i].tile].push_back(static_cast<int>(i));
    std::map<int64_t, double> energy;
    for (size_t u = 0; u < w.units.size(); ++u) {
        std::vector<int64_t> tiles;
        for (int res : w.unitResources[u])
            if (std::find(tiles.begin(), tiles.end(), w.resources[res].tile) == tiles.end())
                tiles.push_back(w.resources[res].tile);
        for (int64_t t : tiles)
            energy[t] += r.layers[u].energyPjPerFrame / static_cast<double>(tiles.size());
    }
    const double window = r.frameIntervalNs * run.frames;
    for (const auto& [tile, res] : byTile) {
        TilePerf t;
        t.tile = tile;
        std::vector<Interval> all;
        for (int i : res) {
            const double frac = perFrameBusy[i] / std::max(1e-9, r.frameIntervalNs);
            if (w.resources[i].kind == ResourceKind::Array) {
                ++t.arrays;
                t.arrayBusy = std::max(t.arrayBusy, frac);
            } else {
                t.digitalBusy = frac;
            }
            all.insert(all.end(), run.busy[i].begin(), run.busy[i].end());
        }
        t.busy = unionLength(all) / std::max(1e-9, window);
        t.energyPjPerFrame = energy[tile];
        r.tiles.push_back(t);
    }
}

// Per resource its work per frame: arrays by their phases (the blocks of a phase overlap
// perfectly), links for the serialization of what they carry, the rest the sum of steps.
std::vector<double> workPerFrame(const FrameWork& w)
{
    std::vector<double> work(w.resources.size(), 0.0);
    for (const Step& s : w.steps) {
        for (int l : s.links)
            work[l] += s.holdNs;
        if (s.resource >= 0)
            work[s.resource] += s.ns;
    }
    for (size_t i = 0; i < w.resources.size(); ++i)
        if (w.resources[i].kind == ResourceKind::Array)
            work[i] = w.resources[i].boundNsPerFrame;
    return work;
}

} // namespace

PerfReport modelPerformance(const package::Package& pkg, const Target& target, const PerfOptions& options)
{
    const FrameWork w = buildFrameWork(pkg, target, options);
    std::vector<double> bound = workPerFrame(w);
    const double busiest = bound.empty() ? 0 : *std::max_element(bound.begin(), bound.end());
    const double submit = options.submitIntervalNs < 0 ? busiest : options.submitIntervalNs;
    // Steady state: the frames measured (the second half) must enter after the start-up
    // transient has drained: at least 4 x the pipeline depth (frames in flight at once,
    // from a one-frame probe) + 16.
    Run probe(w, 1, 0);
    probe.execute(submit);
    const double depth = submit > 0 ? std::ceil(probe.done[0] / submit) : 0;
    const int frames = std::max(std::max(1, options.frames), static_cast<int>(std::min<double>(options.maxFrames, 4 * depth + 16)));
    Run run(w, frames, options.traceFrames);
    run.execute(submit);
    PerfReport r;
    r.model = pkg.header.modelName;
    r.target = target.name;
    r.frames = run.frames;
    r.bands = options.bands;
    r.latencyNs = probe.done[0];
    r.frameDoneNs = run.done;
    r.submitIntervalNs = submit;
    for (int f = run.frames / 2; f < run.frames; ++f)
        r.loadedLatencyNs += (run.done[f] - f * submit) / (run.frames - run.frames / 2);
    // At most the submission rate: a faster completion rate is a backlog draining.
    r.frameIntervalNs = std::max({1e-9, submit, steadyInterval(run.done)});
    r.fps = 1e9 / r.frameIntervalNs;
    std::vector<double> perFrameBusy(w.resources.size());
    int worst = -1;
    for (size_t i = 0; i < w.resources.size(); ++i) {
        perFrameBusy[i] = unionLength(run.busy[i]) / run.frames;
        if (worst < 0 || bound[i] > bound[worst])
            worst = static_cast<int>(i);
    }
    r.boundNsPerFrame = worst >= 0 ? bound[worst] : 0;
    r.bottleneckKind = worst >= 0 ? kindName(w.resources[worst].kind) : "";
    r.bottleneck = worst >= 0 ? describe(w, run, worst, bound) : "";
    r.energy = w.energy;
    r.energy.staticEnergy = target.energy.staticW * r.frameIntervalNs * 1e3; // W x ns = nJ
    r.energyPjPerFrame = r.energy.total();
    r.averagePowerW = r.energyPjPerFrame * 1e-12 * r.fps;
    r.macsPerFrame = w.macsPerFrame;
    r.layers = w.units;
    for (size_t u = 0; u < r.layers.size(); ++u) {
        LayerPerf& l = r.layers[u];
        for (int res : w.unitResources[u]) {
            auto it = run.ownNs.find({static_cast<int>(u), res});
            const double own = it == run.ownNs.end() ? 0 : it->second / run.frames;
            l.busyNsPerFrame = std::max(l.busyNsPerFrame, own);
            l.resourceNsPerFrame = std::max(l.resourceNsPerFrame, bound[res]);
            if (w.resources[res].kind == ResourceKind::Array)
                l.arrayNsPerFrame = std::max(l.arrayNsPerFrame, bound[res]);
        }
        l.startNs = run.unitStart[u] > 1e299 ? 0 : run.unitStart[u];
        l.endNs = run.unitEnd[u];
    }
    fillTiles(w, run, perFrameBusy, r);
    for (TilePerf& t : r.tiles) {
        t.row = t.tile / target.tiles.cols;
        t.col = t.tile % target.tiles.cols;
    }
    r.tracks = w.tracks;
    r.slices = std::move(run.slices);
    for (const Step& s : w.steps)
        r.labels.push_back(s.label);
    r.notes = w.notes;
    if (r.loadedLatencyNs > 1.5 * r.latencyNs) {
        char note[400];
        std::snprintf(note, sizeof note,
                      "submitted at the bound rate, frames queue: mean latency %.1f us under load against %.1f us on an idle "
                      "chip (steps of different frames interleave on shared arrays and tiles in order of readiness)",
                      r.loadedLatencyNs / 1000, r.latencyNs / 1000);
        r.notes.push_back(note);
    }
    if (r.frameIntervalNs > 1.02 * r.boundNsPerFrame) {
        char note[400];
        std::snprintf(note, sizeof note,
                      "the steady-state frame interval (%.1f us) is %.0f%% above the busiest resource's work per frame "
                      "(%.1f us): steps wait for their inputs or for a shared array or link (layers of different pipeline "
                      "stages on one array, NoC contention)",
                      r.frameIntervalNs / 1000, 100.0 * (r.frameIntervalNs / r.boundNsPerFrame - 1), r.boundNsPerFrame / 1000);
        r.notes.push_back(note);
    }
    return r;
}

PerfReport modelPerformance(const package::Package& pkg, const PerfOptions& options)
{
    const package::TargetSummary& t = pkg.header.target;
    if (t.json.empty())
        fail(pkg.header.modelName, ": the package does not carry its target's description (target '", t.name,
             "'); give the target explicitly");
    return modelPerformance(pkg, parseTarget(t.json, pkg.header.modelName + " (target '" + t.name + "')"), options);
}

} // namespace tessera::sim

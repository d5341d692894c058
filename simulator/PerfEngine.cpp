// The event-driven run: every frame's step DAG (PerfWork.cpp) instantiated `frames` times,
// frame f submitted at f x the submit interval; a step whose inputs are done waits for its
// resource, which takes waiting steps older frames first; a NoC transfer books all links of
// its path at the earliest time they are all free. Then the figures: latency of frame 0, steady-state
// frame interval, energy, per-layer and per-tile busy time, the bottleneck.
#include "core/Error.h"
#include "simulator/PerfWork.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <queue>
#include <set>
#include <tuple>

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

// A resource's queue: steps waiting for it, older frames first (then the frame's step
// order), as a tile's program works through frames in order.
struct ResourceState {
    std::set<int64_t> waiting; // global step ids: older frames first
    int running = 0;
    int phase = -2; // arrays: the phase of the running steps
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
    bool tileFrameOrder = false; // a tile finishes frame f's steps before any of f + 1's
    Run(const FrameWork& work, int f, int trace, bool frameOrder = false)
        : w(work), frames(f), traceFrames(trace), tileFrameOrder(frameOrder)
    {
        std::map<int64_t, int> dense;
        tileOf.assign(w.resources.size(), -1);
        for (size_t r = 0; r < w.resources.size(); ++r)
            if (w.resources[r].tile >= 0) {
                auto it = dense.emplace(w.resources[r].tile, static_cast<int>(dense.size())).first;
                tileOf[r] = it->second;
                if (static_cast<int>(tileResources.size()) <= it->second)
                    tileResources.resize(it->second + 1);
                tileResources[it->second].push_back(static_cast<int>(r));
            }
        stepsPerTile.assign(tileResources.size(), 0);
        for (const Step& s : w.steps)
            if (s.resource >= 0 && tileOf[s.resource] >= 0)
                ++stepsPerTile[tileOf[s.resource]];
    }
    std::vector<int> tileOf;                     // resource -> dense tile index, -1: host / link
    std::vector<std::vector<int>> tileResources; // dense tile -> its resources
    std::vector<int> stepsPerTile, tileFrame, remaining; // remaining[tile x frames + f]

    // Events (time, kind, global step g = frame x steps + step): kind 0 ready, 1 done;
    // at equal times readiness first, so a freed resource sees every step waiting.
    using Event = std::tuple<double, int, int64_t>;
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
    std::vector<ResourceState> states;
    std::vector<double> startAt, free;
    std::vector<char> trackBusy;

    int64_t stepCount() const { return static_cast<int64_t>(w.steps.size()); }
    const Step& step(int64_t g) const { return w.steps[g % stepCount()]; }

    // Starts waiting steps on resource r at time t while it can take them: an idle
    // resource takes the oldest; a busy array also takes the oldest waiting steps of its
    // running phase whose layer is not running there already.
    void dispatch(int r, double t)
    {
        ResourceState& st = states[r];
        const bool array = w.resources[r].kind == ResourceKind::Array;
        for (auto it = st.waiting.begin(); it != st.waiting.end();) {
            const int64_t g = *it;
            const Step& s = step(g);
            if (tileFrameOrder && tileOf[r] >= 0 && g / stepCount() > tileFrame[tileOf[r]])
                break; // the tile is still on an earlier frame
            const bool join = array && s.phase >= 0 && s.phase == st.phase && !trackBusy[s.track];
            if (st.running > 0 && !join) {
                if (!array || st.phase < 0)
                    break;
                ++it;
                continue;
            }
            it = st.waiting.erase(it);
            ++st.running;
            st.phase = s.phase;
            if (s.track >= 0)
                trackBusy[s.track] = 1;
            startAt[g] = t;
            events.push({t + s.ns, 1, g});
        }
    }

    // Frame order per tile: when the tile's last step of its current frame is done, it
    // moves on to the next frame and its resources take that frame's waiting steps.
    void finishOnTile(int r, int frame, double t)
    {
        const int ti = tileOf[r];
        if (!tileFrameOrder || ti < 0)
            return;
        --remaining[ti * frames + frame];
        const int before = tileFrame[ti];
        while (tileFrame[ti] < frames && remaining[ti * frames + tileFrame[ti]] == 0)
            ++tileFrame[ti];
        if (tileFrame[ti] != before)
            for (int other : tileResources[ti])
                dispatch(other, t);
    }

    void ready(int64_t g, double t)
    {
        const Step& s = step(g);
        if (!s.links.empty()) { // wormhole: all links of the path, held for the serialization
            double start = t;
            for (int l : s.links)
                start = std::max(start, free[l]);
            for (int l : s.links)
                free[l] = start + s.holdNs;
            startAt[g] = start;
            events.push({start + s.ns, 1, g});
        } else if (s.resource < 0) {
            startAt[g] = t;
            events.push({t, 1, g});
        } else {
            states[s.resource].waiting.insert(g);
            dispatch(s.resource, t);
        }
    }

    void execute(double submitInterval)
    {
        const int64_t S = stepCount();
        std::vector<double> readyAt(static_cast<size_t>(S * frames), 0.0);
        std::vector<int> deps(static_cast<size_t>(S * frames));
        for (int64_t g = 0; g < S * frames; ++g)
            if ((deps[g] = w.steps[g % S].deps) == 0)
                events.push({static_cast<double>(g / S) * submitInterval, 0, g});
        states.assign(w.resources.size(), {});
        tileFrame.assign(tileResources.size(), 0);
        remaining.assign(tileResources.size() * frames, 0);
        for (size_t ti = 0; ti < tileResources.size(); ++ti)
            std::fill(remaining.begin() + ti * frames, remaining.begin() + (ti + 1) * frames, stepsPerTile[ti]);
        startAt.assign(static_cast<size_t>(S * frames), 0.0);
        free.assign(w.resources.size(), 0.0);
        trackBusy.assign(w.tracks.size(), 0);
        done.assign(frames, 0.0);
        busy.assign(w.resources.size(), {});
        unitStart.assign(w.units.size(), 1e300);
        unitEnd.assign(w.units.size(), 0.0);
        while (!events.empty()) {
            const auto [t, kind, g] = events.top();
            events.pop();
            if (kind == 0) {
                ready(g, t);
                continue;
            }
            const Step& s = step(g);
            const int frame = static_cast<int>(g / S);
            record(s, frame, startAt[g], t);
            if (s.resource >= 0) {
                --states[s.resource].running;
                if (s.track >= 0)
                    trackBusy[s.track] = 0;
                dispatch(s.resource, t);
                finishOnTile(s.resource, frame, t);
            }
            for (int next : s.succ) {
                const int64_t n = frame * S + next;
                readyAt[n] = std::max(readyAt[n], t);
                if (--deps[n] == 0)
                    events.push({readyAt[n], 0, n});
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

namespace {

// Per layer: its own busiest time, its busiest resource (all of its resources' work), its
// busiest array, and when it ran in the first traced frame.
void fillLayers(const FrameWork& w, const Run& run, const std::vector<double>& bound, PerfReport& r)
{
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
}

void fillLinks(const FrameWork& w, const std::vector<double>& bound, PerfReport& r)
{
    for (size_t i = 0; i < w.resources.size(); ++i) {
        const Resource& res = w.resources[i];
        if (res.kind == ResourceKind::Link && bound[i] > r.busiestLinkNsPerFrame) {
            r.busiestLinkNsPerFrame = bound[i];
            r.busiestLink = res.name;
        }
        if (res.kind == ResourceKind::HostIn)
            r.hostInNsPerFrame = bound[i];
        if (res.kind == ResourceKind::HostOut)
            r.hostOutNsPerFrame = bound[i];
    }
}

void addNotes(PerfReport& r)
{
    char note[400];
    if (r.loadedLatencyNs > 1.5 * r.latencyNs) {
        std::snprintf(note, sizeof note,
                      "submitted at the bound rate, frames queue: mean latency %.1f us under load against %.1f us on an idle "
                      "chip (the bottleneck runs at 100%%: waits upstream of it are not recovered)",
                      r.loadedLatencyNs / 1000, r.latencyNs / 1000);
        r.notes.push_back(note);
    }
    if (r.frameIntervalNs > 1.02 * r.boundNsPerFrame) {
        std::snprintf(note, sizeof note,
                      "the steady-state frame interval (%.1f us) is %.0f%% above the busiest resource's work per frame "
                      "(%.1f us): steps wait for their inputs or for a shared array or link (layers of different pipeline "
                      "stages on one array, NoC contention)",
                      r.frameIntervalNs / 1000, 100.0 * (r.frameIntervalNs / r.boundNsPerFrame - 1), r.boundNsPerFrame / 1000);
        r.notes.push_back(note);
    }
}

// Latency, interval, fps and energy of a run.
void fillTimes(const Target& target, const FrameWork& w, const Run& probe, const Run& run, double submit, PerfReport& r)
{
    r.frames = run.frames;
    r.latencyNs = probe.done[0];
    r.frameDoneNs = run.done;
    r.submitIntervalNs = submit;
    for (int f = run.frames / 2; f < run.frames; ++f)
        r.loadedLatencyNs += (run.done[f] - f * submit) / (run.frames - run.frames / 2);
    // At most the submission rate: a faster completion rate is a backlog draining.
    r.frameIntervalNs = std::max({1e-9, submit, steadyInterval(run.done)});
    r.fps = 1e9 / r.frameIntervalNs;
    r.energy = w.energy;
    r.energy.staticEnergy = target.energy.staticW * r.frameIntervalNs * 1e3; // W x ns = nJ
    r.energyPjPerFrame = r.energy.total();
    r.averagePowerW = r.energyPjPerFrame * 1e-12 * r.fps;
    r.macsPerFrame = w.macsPerFrame;
}

} // namespace

PerfReport modelPerformance(const package::Package& pkg, const Target& target, const PerfOptions& options)
{
    const FrameWork w = buildFrameWork(pkg, target, options);
    const std::vector<double> bound = workPerFrame(w);
    const int worst = bound.empty() ? -1 : static_cast<int>(std::max_element(bound.begin(), bound.end()) - bound.begin());
    const double submit = options.submitIntervalNs < 0 ? (worst < 0 ? 0 : bound[worst]) : options.submitIntervalNs;
    // Steady state: the frames measured (the second half) must enter after the start-up
    // transient has drained: at least 4 x the pipeline depth (frames in flight at once,
    // from a one-frame probe) + 16.
    Run probe(w, 1, 0);
    probe.execute(submit);
    const double depth = submit > 0 ? std::ceil(probe.done[0] / submit) : 0;
    const int frames = std::max(std::max(1, options.frames), static_cast<int>(std::min<double>(options.maxFrames, 4 * depth + 16)));
    Run run(w, frames, options.traceFrames, options.tileFrameOrder);
    run.execute(submit);
    PerfReport r;
    r.model = pkg.header.modelName;
    r.target = target.name;
    r.bands = options.bands;
    r.tileFrameOrder = options.tileFrameOrder;
    fillTimes(target, w, probe, run, submit, r);
    r.boundNsPerFrame = worst >= 0 ? bound[worst] : 0;
    r.bottleneckKind = worst >= 0 ? kindName(w.resources[worst].kind) : "";
    r.bottleneck = worst >= 0 ? describe(w, run, worst, bound) : "";
    fillLayers(w, run, bound, r);
    std::vector<double> perFrameBusy(w.resources.size());
    for (size_t i = 0; i < w.resources.size(); ++i)
        perFrameBusy[i] = unionLength(run.busy[i]) / run.frames;
    fillTiles(w, run, perFrameBusy, r);
    for (TilePerf& t : r.tiles) {
        t.row = t.tile / target.tiles.cols;
        t.col = t.tile % target.tiles.cols;
    }
    fillLinks(w, bound, r);
    r.tracks = w.tracks;
    r.slices = std::move(run.slices);
    for (const Step& s : w.steps)
        r.labels.push_back(s.label);
    r.notes = w.notes;
    addNotes(r);
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

// One frame of a package as a DAG of steps on resources (docs/performance-model.md):
// per layer and band the analog reads of every array holding its blocks, the partial sums
// of row-split groups sent to their home tile, the epilogue on each producing tile; per
// digital op one step on its tile; per tensor band the NoC transfers to every consumer
// tile (or the PCIe transfer from / to the host) and a join its consumers wait for.
#include "simulator/PerfWork.h"

#include "simulator/PerfCompat.h"

#include "core/Error.h"
#include "core/target/AnalogCost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace tessera::sim::perfdetail {

namespace {

using namespace tessera::package;

int64_t frameBatch(const Package& pkg)
{
    if (pkg.inputs.empty())
        return 1;
    const std::vector<int64_t>& s = pkg.tensors[pkg.inputs[0]].shape;
    return s.size() >= 2 && s[0] > 0 ? s[0] : 1;
}

// Rows of an activation (the band axis): H of [N, C, H, W], T of [N, T, D], else 1.
int64_t rowsOf(const PackageTensor& t)
{
    if (t.shape.size() >= 4)
        return std::max<int64_t>(1, t.shape[2]);
    return t.shape.size() == 3 ? std::max<int64_t>(1, t.shape[1]) : 1;
}

// Consumer band i of nc needs producer band need(i) of np (proportional rows, plus one band
// of halo for windowed consumers).
int needBand(int i, int nc, int np, int halo)
{
    const int64_t need = (static_cast<int64_t>(i + 1) * np + nc - 1) / nc - 1 + halo;
    return static_cast<int>(std::min<int64_t>(np - 1, need));
}

struct Consumer {
    int64_t tile = 0;
    double share = 1; // of the tensor's bytes this tile needs
};

struct Builder {
    Builder(const Package& p, const Target& t, const PerfOptions& o) : pkg(p), target(t), opt(o) {}
    const Package& pkg;
    const Target& target;
    const PerfOptions& opt;
    FrameWork w;
    int64_t batch = 1;
    std::vector<std::vector<int>> avail;             // tensor -> band -> join step
    std::vector<std::vector<Consumer>> consumers;     // tensor -> tiles
    std::map<int64_t, int> digitalRes;                // tile -> resource
    std::vector<int> arrayRes;                        // package array -> resource
    std::map<int, int> linkRes;                       // link id -> resource
    std::map<std::pair<int, int>, int> arrayTrack;    // (array, unit) -> track
    std::map<int, int> resTrack;                      // resource -> track (non-array)
    int hostIn = -1, hostOut = -1, frameDone = -1;
    std::vector<std::string> approximated; // digital ops counted one op per output
    // Per array: phase of each block, read time of each phase, bound per frame.
    std::vector<std::vector<int>> blockPhase;
    std::vector<std::vector<double>> phaseReadNs;

    int64_t bands(int64_t tensor) const
    {
        return tensor < 0 ? 1 : std::max<int64_t>(1, std::min<int64_t>(opt.bands, rowsOf(pkg.tensors[tensor])));
    }
    double tensorBytes(int64_t id) const
    {
        const PackageTensor& t = pkg.tensors[id];
        return static_cast<double>(tensorElements(t)) / static_cast<double>(batch) * static_cast<double>(elementTypeBytes(t.type));
    }
    int64_t vectors(const PackageLayer& l) const
    {
        const analog::AnalogLayerParams& p = l.programmed.params;
        if (l.outputTensor >= 0)
            return std::max<int64_t>(1, tensorElements(pkg.tensors[l.outputTensor]) / batch / p.cols);
        if (l.inputTensor >= 0)
            return std::max<int64_t>(1, tensorElements(pkg.tensors[l.inputTensor]) / batch / (p.rows * p.groups));
        return 1;
    }
    // A layer's numerics with the what-if bits of PerfOptions::bits applied.
    analog::LayerNumerics numerics(int64_t li) const
    {
        analog::LayerNumerics n = pkg.layers[li].programmed.params.numerics;
        for (const char* key : {"*", pkg.layers[li].programmed.params.name.c_str()}) {
            auto it = opt.bits.find(key);
            if (it == opt.bits.end())
                continue;
            n.inputBits = it->second.inputBits > 0 ? it->second.inputBits : n.inputBits;
            n.adcBits = it->second.adcBits > 0 ? it->second.adcBits : n.adcBits;
        }
        return n;
    }
    // A SIMD layer's tile: where its output (else its input) lives.
    int64_t simdTile(const PackageLayer& l) const
    {
        for (int64_t t : {l.outputTensor, l.inputTensor})
            if (t >= 0 && !pkg.tensors[t].placements.empty())
                return pkg.tensors[t].placements.front().tile;
        return 0;
    }
    int64_t perReplica(const PackageLayer& l) const { return (vectors(l) + l.replicas - 1) / std::max<int64_t>(1, l.replicas); }

    int addStep(Step s)
    {
        w.steps.push_back(std::move(s));
        return static_cast<int>(w.steps.size()) - 1;
    }
    void edge(int from, int to)
    {
        w.steps[from].succ.push_back(to);
        ++w.steps[to].deps;
    }
    int addResource(ResourceKind kind, int64_t tile, std::string name)
    {
        w.resources.push_back({kind, tile, std::move(name), 0, -1});
        return static_cast<int>(w.resources.size()) - 1;
    }
    int addTrack(std::string name, int64_t tile)
    {
        w.tracks.push_back({std::move(name), tile});
        return static_cast<int>(w.tracks.size()) - 1;
    }
    std::string tileName(int64_t tile) const
    {
        return "tile " + std::to_string(tile) + " (" + std::to_string(tile / target.tiles.cols) + "," +
               std::to_string(tile % target.tiles.cols) + ")";
    }
    int digital(int64_t tile)
    {
        auto it = digitalRes.find(tile);
        if (it != digitalRes.end())
            return it->second;
        const int r = addResource(ResourceKind::Digital, tile, tileName(tile) + " digital");
        resTrack[r] = w.resources[r].track = addTrack(tileName(tile), tile);
        return digitalRes[tile] = r;
    }
    int link(int id)
    {
        auto it = linkRes.find(id);
        if (it != linkRes.end())
            return it->second;
        const int r = addResource(ResourceKind::Link, -1, "link " + linkName(target, id));
        resTrack[r] = w.resources[r].track = addTrack("link " + linkName(target, id), -1);
        return linkRes[id] = r;
    }

    void addTransfer(int from, int to, int64_t tileA, int64_t tileB, double bytes, int unit, const std::string& what)
    {
        const std::vector<int> path = xyLinks(target, tileA, tileB);
        Step s;
        for (int l : path)
            s.links.push_back(link(l));
        s.ns = nocTransferNs(target, static_cast<int64_t>(path.size()), bytes);
        s.holdNs = nocSerializationNs(target, bytes);
        s.track = resTrack[s.links.front()];
        s.unit = unit;
        s.label = what;
        const int id = addStep(std::move(s));
        edge(from, id);
        edge(id, to);
        w.energy.noc += bytes * static_cast<double>(path.size()) * target.energy.nocByteHopPj;
        w.energy.sram += 2 * bytes;
        if (unit >= 0)
            w.units[unit].energyPjPerFrame += bytes * static_cast<double>(path.size()) * target.energy.nocByteHopPj;
    }

    // Band `band` of tensor `t` is finished on `tile` by step `producer` (fraction of it):
    // deliver it to every consumer tile and to the host.
    void deliver(int64_t t, int band, int producer, int64_t tile, double fraction, int unit)
    {
        const double bytes = tensorBytes(t) / static_cast<double>(bands(t)) * fraction;
        const int join = avail[t][band];
        bool any = false;
        for (const Consumer& c : consumers[t]) {
            any = true;
            if (c.tile == tile)
                edge(producer, join);
            else
                addTransfer(producer, join, tile, c.tile, bytes * c.share, unit, pkg.tensors[t].name);
        }
        if (!any)
            edge(producer, join);
        if (std::find(pkg.outputs.begin(), pkg.outputs.end(), t) != pkg.outputs.end()) {
            Step s;
            s.resource = hostOut;
            s.ns = hostTransferNs(target, bytes);
            s.track = resTrack[hostOut];
            s.label = pkg.tensors[t].name;
            const int id = addStep(std::move(s));
            edge(producer, id);
            edge(id, frameDone);
            w.energy.host += bytes * opt.hostBytePj;
        }
    }

    void waitInputs(int step, const std::vector<int64_t>& inputs, int band, int nb, int halo)
    {
        for (int64_t t : inputs)
            if (t >= 0)
                edge(avail[t][needBand(band, nb, static_cast<int>(bands(t)), bands(t) > 1 ? halo : 0)], step);
    }

    void setUp();
    void schedulePhases();
    void addLayer(int li);
    void addDigitalOp(int di);
    void addSimdLayer(int li);
    struct LayerSplit {
        std::map<int, double> arrayNs;                          // array -> read ns per frame
        std::map<int, std::set<int>> arrayPhases;               // array -> phases of the layer's blocks
        std::map<int64_t, double> ops, produced;                // tile -> SIMD ops, share of the outputs
        std::map<std::pair<int64_t, int64_t>, double> partial;  // (from, to) tile -> bytes per frame
    };
    LayerSplit splitOf(int li) const;
    void addLayerBand(int li, int band, int nb, const LayerSplit& split, int halo);
    void chargeLayer(int li, const LayerSplit& split);
    // One step per band on `tile`'s digital unit, its output delivered from there.
    void addDigitalSteps(int ui, int64_t tile, double ns, const std::vector<int64_t>& inputs, const std::vector<int64_t>& outputs);
    void addHostInputs();
};

void Builder::setUp()
{
    batch = frameBatch(pkg);
    hostIn = addResource(ResourceKind::HostIn, -1, "PCIe host -> chip");
    resTrack[hostIn] = w.resources[hostIn].track = addTrack("PCIe in", -1);
    hostOut = addResource(ResourceKind::HostOut, -1, "PCIe chip -> host");
    resTrack[hostOut] = w.resources[hostOut].track = addTrack("PCIe out", -1);
    Step done;
    done.frameDone = true;
    frameDone = addStep(done);
    avail.resize(pkg.tensors.size());
    for (size_t t = 0; t < pkg.tensors.size(); ++t)
        for (int64_t b = 0; b < bands(static_cast<int64_t>(t)); ++b)
            avail[t].push_back(addStep({}));
    consumers.resize(pkg.tensors.size());
    auto need = [&](int64_t t, int64_t tile, double share) {
        if (t < 0)
            return;
        for (Consumer& c : consumers[t])
            if (c.tile == tile) {
                c.share = std::min(1.0, c.share + share);
                return;
            }
        consumers[t].push_back({tile, std::min(1.0, share)});
    };
    for (const ArrayImage& a : pkg.arrays) {
        std::set<std::pair<int64_t, int64_t>> seen; // (layer, replica)
        for (const PlacedBlock& b : a.blocks)
            if (seen.insert({b.layer, b.replica}).second)
                need(pkg.layers[b.layer].inputTensor, a.tile, 1.0 / static_cast<double>(pkg.layers[b.layer].replicas));
    }
    for (const DigitalOp& op : pkg.digitalOps)
        for (int64_t t : op.inputs)
            need(t, op.tile, 1.0);
    for (const PackageLayer& l : pkg.layers)
        if (runsOnSimd(l, 0))
            need(l.inputTensor, simdTile(l), 1.0);
    for (const ArrayImage& a : pkg.arrays) {
        arrayRes.push_back(addResource(ResourceKind::Array, a.tile, tileName(a.tile) + " array " + std::to_string(a.array)));
        digital(a.tile);
    }
    for (const DigitalOp& op : pkg.digitalOps)
        digital(op.tile);
}

// Phases by core's rule (core/target/AnalogCost.h), the compiler's, on the placed blocks.
void Builder::schedulePhases()
{
    for (size_t ai = 0; ai < pkg.arrays.size(); ++ai) {
        const ArrayImage& a = pkg.arrays[ai];
        auto work = [&](size_t b) { return perReplica(pkg.layers[a.blocks[b].layer]); };
        std::vector<ArrayBlock> rects;
        for (size_t i = 0; i < a.blocks.size(); ++i) {
            const PlacedBlock& b = a.blocks[i];
            rects.push_back({b.row0, b.rowEnd - b.rowBegin, b.col0, b.colEnd - b.colBegin, work(i)});
        }
        const std::vector<std::vector<int>> phases = arrayPhases(rects);
        std::vector<int> phaseOf(a.blocks.size(), 0);
        for (size_t p = 0; p < phases.size(); ++p)
            for (int id : phases[p])
                phaseOf[id] = static_cast<int>(p);
        std::vector<double> read;
        double bound = 0;
        for (const std::vector<int>& phase : phases) {
            int64_t cols = 0, most = 0;
            int bits = 1, adc = 1;
            for (int id : phase) {
                const analog::LayerNumerics n = numerics(a.blocks[id].layer);
                cols += a.blocks[id].colEnd - a.blocks[id].colBegin;
                bits = std::max(bits, n.inputBits);
                adc = std::max(adc, n.adcBits);
                most = std::max(most, work(id));
            }
            read.push_back(analogReadNs(target, bits, cols, adc));
            bound += static_cast<double>(most) * read.back();
        }
        w.resources[arrayRes[ai]].boundNsPerFrame = bound;
        blockPhase.push_back(phaseOf);
        phaseReadNs.push_back(read);
    }
}

void Builder::addHostInputs()
{
    for (int64_t t : pkg.inputs) {
        const int nb = static_cast<int>(bands(t));
        for (int b = 0; b < nb; ++b)
            for (const Consumer& c : consumers[t]) {
                const double bytes = tensorBytes(t) / nb * c.share;
                Step s;
                s.resource = hostIn;
                s.ns = hostTransferNs(target, bytes);
                s.track = resTrack[hostIn];
                s.label = pkg.tensors[t].name;
                edge(addStep(std::move(s)), avail[t][b]);
                w.energy.host += bytes * opt.hostBytePj;
                w.energy.sram += bytes;
            }
    }
}

// Where a layer's work lands, per frame: reads per array, SIMD ops and the share of the
// outputs per tile, partial sums between tiles (row-split groups to their home tile: the
// tile of the group's first row block's leftmost block).
Builder::LayerSplit Builder::splitOf(int li) const
{
    const PackageLayer& l = pkg.layers[li];
    const analog::AnalogLayerParams& p = l.programmed.params;
    const int64_t rowBlocks = (p.rows + p.numerics.rowsPerBlock - 1) / p.numerics.rowsPerBlock;
    const double vpf = static_cast<double>(perReplica(l));
    std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> home; // (replica, group) -> (colBegin, tile)
    for (const ArrayImage& a : pkg.arrays)
        for (const PlacedBlock& b : a.blocks) {
            auto it = home.find({b.replica, b.group});
            if (b.layer == li && b.rowBegin == 0 && (it == home.end() || b.colBegin < it->second.first))
                home[{b.replica, b.group}] = {b.colBegin, a.tile};
        }
    LayerSplit split;
    for (size_t ai = 0; ai < pkg.arrays.size(); ++ai)
        for (size_t bi = 0; bi < pkg.arrays[ai].blocks.size(); ++bi) {
            const PlacedBlock& b = pkg.arrays[ai].blocks[bi];
            if (b.layer != li)
                continue;
            const int64_t tile = pkg.arrays[ai].tile;
            const double cols = static_cast<double>(b.colEnd - b.colBegin);
            const int phase = blockPhase[ai][bi];
            if (split.arrayPhases[static_cast<int>(ai)].insert(phase).second)
                split.arrayNs[static_cast<int>(ai)] += vpf * phaseReadNs[ai][phase];
            const int64_t h = rowBlocks == 1 ? tile : home[{b.replica, b.group}].second;
            const bool first = b.rowBegin == 0;
            split.ops[h] += vpf * cols * (first ? 3.0 : 1.0);
            if (first)
                split.produced[h] += cols / static_cast<double>(p.cols * l.replicas);
            if (h != tile)
                split.partial[{tile, h}] += vpf * cols * 8.0;
        }
    return split;
}

// One band of a layer: a read step per array holding its blocks (after the input band it
// needs), partial sums sent home once the sending tile's reads are done, an epilogue step
// per producing tile, the output band delivered from there.
void Builder::addLayerBand(int li, int band, int nb, const LayerSplit& split, int halo)
{
    const PackageLayer& l = pkg.layers[li];
    const std::string& name = w.units[li].name;
    std::map<int64_t, int> epi, readsDone; // per tile: its epilogue, all its reads of this band done
    for (const auto& [tile, n] : split.ops) {
        Step s;
        s.resource = digital(tile);
        s.ns = n / nb * simdOpNs(target);
        s.track = resTrack[s.resource];
        s.unit = li;
        s.label = name + " epilogue";
        epi[tile] = addStep(std::move(s));
    }
    for (const auto& [ai, ns] : split.arrayNs) {
        const std::set<int>& phases = split.arrayPhases.at(ai);
        auto key = std::make_pair(ai, li);
        if (!arrayTrack.count(key))
            arrayTrack[key] = addTrack(w.resources[arrayRes[ai]].name + ": " + name, pkg.arrays[ai].tile);
        Step s;
        s.resource = arrayRes[ai];
        s.ns = ns / nb;
        s.phase = phases.size() == 1 ? *phases.begin() : -1;
        s.track = arrayTrack[key];
        s.unit = li;
        s.label = name;
        const int read = addStep(std::move(s));
        waitInputs(read, {l.inputTensor}, band, nb, halo);
        const int64_t tile = pkg.arrays[ai].tile;
        if (!readsDone.count(tile)) {
            readsDone[tile] = addStep({});
            if (epi.count(tile))
                edge(readsDone[tile], epi[tile]);
        }
        edge(read, readsDone[tile]);
    }
    for (const auto& [pair, bytes] : split.partial)
        addTransfer(readsDone[pair.first], epi[pair.second], pair.first, pair.second, bytes / nb, li, name + " partial sums");
    for (const auto& [tile, fraction] : split.produced)
        if (l.outputTensor >= 0)
            deliver(l.outputTensor, band, epi[tile], tile, fraction, li);
}

void Builder::addLayer(int li)
{
    const PackageLayer& l = pkg.layers[li];
    if (runsOnSimd(l, 0))
        return addSimdLayer(li);
    const analog::AnalogLayerParams& p = l.programmed.params;
    const LayerSplit split = splitOf(li);
    const int nb = static_cast<int>(bands(l.outputTensor));
    const bool windowed = l.inputTensor >= 0 && pkg.tensors[l.inputTensor].shape.size() >= 4 &&
                          p.rows * p.groups > pkg.tensors[l.inputTensor].shape[1]; // wider than one pixel
    for (int band = 0; band < nb; ++band)
        addLayerBand(li, band, nb, split, windowed ? 1 : 0);
    chargeLayer(li, split);
}

// Energy of one frame of a layer (docs/performance-model.md).
void Builder::chargeLayer(int li, const LayerSplit& split)
{
    const PackageLayer& l = pkg.layers[li];
    const analog::AnalogLayerParams& p = l.programmed.params;
    const int64_t K = p.rows, N = p.cols, rowBlocks = (K + p.numerics.rowsPerBlock - 1) / p.numerics.rowsPerBlock;
    const double V = static_cast<double>(vectors(l));
    const int64_t inBytes = l.inputTensor >= 0 ? elementTypeBytes(pkg.tensors[l.inputTensor].type) : 1;
    const analog::LayerNumerics n = numerics(li);
    const double analogPj = V * static_cast<double>(K * N) * cellReadPj(target, n.inputBits);
    const double adcPj = V * static_cast<double>(N * rowBlocks) * adcConversionPj(target, n.adcBits);
    double ops = 0;
    for (const auto& [tile, n] : split.ops)
        ops += n;
    const double sramPj = V * static_cast<double>(K * p.groups * inBytes + N * rowBlocks * 16 + N * ((p.output.bits + 7) / 8)) *
                          target.energy.sramBytePj;
    w.energy.analog += analogPj;
    w.energy.adc += adcPj;
    w.energy.digital += ops * target.energy.simdOpPj;
    w.energy.sram += sramPj;
    LayerPerf& u = w.units[li];
    u.energyPjPerFrame += analogPj + adcPj + ops * target.energy.simdOpPj + sramPj;
    w.macsPerFrame += V * static_cast<double>(K * N);
    for (const auto& [ai, ns] : split.arrayNs)
        w.unitResources[li].push_back(arrayRes[ai]);
    for (const auto& [tile, n] : split.ops)
        w.unitResources[li].push_back(digital(tile));
    u.arrays = static_cast<int64_t>(split.arrayNs.size());
    u.tile = split.arrayNs.empty() ? -1 : pkg.arrays[split.arrayNs.begin()->first].tile;
}

void Builder::addDigitalSteps(int ui, int64_t tile, double ns, const std::vector<int64_t>& inputs,
                              const std::vector<int64_t>& outputs)
{
    const int nb = static_cast<int>(bands(outputs.empty() ? -1 : outputs[0]));
    for (int band = 0; band < nb; ++band) {
        Step s;
        s.resource = digital(tile);
        s.ns = ns / nb;
        s.track = resTrack[s.resource];
        s.unit = ui;
        s.label = w.units[ui].name;
        const int id = addStep(std::move(s));
        waitInputs(id, inputs, band, nb, 0);
        for (int64_t t : outputs)
            deliver(t, std::min<int>(band, static_cast<int>(bands(t)) - 1), id, tile, 1.0, ui);
    }
    w.unitResources[ui].push_back(digital(tile));
}

// A layer the compiler runs on a SIMD engine (format 2): V x K x N MACs on the tile holding
// its output, as the compiler's estimate counts them.
void Builder::addSimdLayer(int li)
{
    const PackageLayer& l = pkg.layers[li];
    const analog::AnalogLayerParams& p = l.programmed.params;
    const int64_t tile = simdTile(l);
    const double macs = static_cast<double>(vectors(l)) * static_cast<double>(p.rows * p.cols);
    w.units[li].unit = "simd";
    w.units[li].tile = tile;
    addDigitalSteps(li, tile, macs * simdOpNs(target), {l.inputTensor}, {l.outputTensor});
    w.energy.digital += macs * target.energy.simdOpPj;
    w.units[li].energyPjPerFrame += macs * target.energy.simdOpPj;
}

void Builder::addDigitalOp(int di)
{
    const DigitalOp& op = pkg.digitalOps[di];
    const int ui = static_cast<int>(pkg.layers.size()) + di;
    LayerPerf& u = w.units[ui];
    const DigitalWork work = digitalWork(pkg, op, batch);
    const double ops = work.ops;
    const bool processor = work.processor;
    u.unit = processor ? "processor" : "simd";
    if (work.approximate)
        approximated.push_back(u.name + " (" + op.opType + ")");
    const int64_t out = op.outputs.empty() ? -1 : op.outputs[0];
    addDigitalSteps(ui, op.tile, ops * (processor ? processorOpNs(target) : simdOpNs(target)), op.inputs, op.outputs);
    double bytes = 0;
    for (int64_t t : op.inputs)
        bytes += t >= 0 ? tensorBytes(t) : 0.0;
    for (int64_t t : op.outputs)
        bytes += tensorBytes(t);
    const double pj = ops * target.energy.simdOpPj + bytes * target.energy.sramBytePj;
    w.energy.digital += ops * target.energy.simdOpPj;
    w.energy.sram += bytes * target.energy.sramBytePj;
    u.energyPjPerFrame += pj;
    u.tile = op.tile;
    u.vectors = out >= 0 ? rowsOf(pkg.tensors[out]) : 1;
}

} // namespace

FrameWork buildFrameWork(const package::Package& pkg, const Target& target, const PerfOptions& options)
{
    for (const auto& [name, bits] : options.bits)
        if (name != "*" && std::none_of(pkg.layers.begin(), pkg.layers.end(),
                                        [&](const package::PackageLayer& l) { return l.programmed.params.name == name; }))
            fail(pkg.header.modelName, ": no analog layer named '", name, "' for what-if bits");
    Builder b(pkg, target, options);
    for (const package::PackageLayer& l : pkg.layers) {
        LayerPerf u;
        u.name = l.programmed.params.name;
        u.unit = "analog";
        u.replicas = l.replicas;
        u.vectors = b.vectors(l);
        u.inputBits = b.numerics(static_cast<int64_t>(b.w.units.size())).inputBits;
        u.adcBits = b.numerics(static_cast<int64_t>(b.w.units.size())).adcBits;
        b.w.units.push_back(u);
    }
    for (size_t i = 0; i < pkg.digitalOps.size(); ++i) {
        LayerPerf u;
        const package::DigitalOp& op = pkg.digitalOps[i];
        u.name = op.outputs.empty() ? op.opType + " " + std::to_string(i) : pkg.tensors[op.outputs[0]].name;
        b.w.units.push_back(u);
    }
    b.w.unitResources.resize(b.w.units.size());
    b.setUp();
    b.schedulePhases();
    for (size_t i = 0; i < pkg.layers.size(); ++i)
        b.addLayer(static_cast<int>(i));
    for (size_t i = 0; i < pkg.digitalOps.size(); ++i)
        b.addDigitalOp(static_cast<int>(i));
    b.addHostInputs();
    if (!b.approximated.empty()) {
        std::string list;
        for (size_t i = 0; i < b.approximated.size() && i < 6; ++i)
            list += (i ? ", " : "") + b.approximated[i];
        b.w.notes.push_back(std::to_string(b.approximated.size()) +
                            " digital ops lack constant inputs or attributes in the package (format 1); counted one op per "
                            "output element: " + list + (b.approximated.size() > 6 ? ", ..." : ""));
    }
    for (int64_t t : pkg.outputs) // a frame is done when its outputs are complete
        for (int join : b.avail[t])
            b.edge(join, b.frameDone);
    for (std::vector<int>& r : b.w.unitResources) {
        std::sort(r.begin(), r.end());
        r.erase(std::unique(r.begin(), r.end()), r.end());
    }
    return std::move(b.w);
}

} // namespace tessera::sim::perfdetail


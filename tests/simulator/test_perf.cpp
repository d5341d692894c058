// The performance model on tiny hand-built packages, each expected number computed here
// from the target's constants by the formulas of docs/performance-model.md: one layer on
// one tile, replicas, blocks time-multiplexing an array, a 3-hop NoC transfer, input and
// ADC bits; the trace is valid JSON, one named track per tile, no overlapping slices.
#include "core/Error.h"
#include "core/target/AnalogCost.h"
#include "simulator/PerfModel.h"
#include "simulator/Trace.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace tessera;
using namespace tessera::package;
using namespace tessera::sim;

namespace {

Target chip(int64_t rows, int64_t cols)
{
    Target t = loadTarget("test4"); // 256 x 256 arrays, 8 ADCs of 125 ns, 8 SIMD lanes at 500 MHz
    t.tiles.rows = rows;
    t.tiles.cols = cols;
    return t;
}

int64_t tensor(Package& p, std::vector<int64_t> shape)
{
    PackageTensor t;
    t.id = static_cast<int64_t>(p.tensors.size());
    t.name = "t" + std::to_string(t.id);
    t.shape = std::move(shape);
    p.tensors.push_back(t);
    return t.id;
}

// A K x N layer reading tensor `in`, writing a new tensor of `outShape`.
int64_t layer(Package& p, const Target& t, int64_t in, int64_t K, int64_t N, std::vector<int64_t> outShape, int bits = 8,
              int adc = 8, int64_t replicas = 1)
{
    PackageLayer l;
    l.programmed.params.name = "layer" + std::to_string(p.layers.size());
    l.programmed.params.rows = K;
    l.programmed.params.cols = N;
    l.programmed.params.numerics.inputBits = bits;
    l.programmed.params.numerics.adcBits = adc;
    l.programmed.params.numerics.rowsPerBlock = t.analog.array.rows;
    l.colsPerBlock = t.analog.array.cols;
    l.replicas = replicas;
    l.inputTensor = in;
    l.outputTensor = tensor(p, std::move(outShape));
    p.layers.push_back(l);
    return l.outputTensor;
}

// Block of layer `li` (all its rows and columns, one replica) at (row0, col0) of tile's array.
void place(Package& p, int64_t tile, int64_t li, int64_t row0, int64_t col0, int64_t replica = 0)
{
    auto it = std::find_if(p.arrays.begin(), p.arrays.end(), [&](const ArrayImage& a) { return a.tile == tile; });
    if (it == p.arrays.end()) {
        ArrayImage a;
        a.tile = tile;
        a.rows = a.cols = 256;
        p.arrays.push_back(a);
        it = p.arrays.end() - 1;
    }
    const auto& params = p.layers[li].programmed.params;
    it->blocks.push_back({li, 0, params.rows, 0, params.cols, 0, replica, row0, col0});
}

Package start(const Target& t, std::vector<int64_t> inputShape)
{
    Package p;
    p.header.modelName = "tiny";
    p.header.target.name = t.name;
    p.header.target.json = targetText(t);
    p.inputs.push_back(tensor(p, std::move(inputShape)));
    return p;
}

PerfOptions one(int frames = 1)
{
    PerfOptions o;
    o.frames = frames;
    return o;
}

} // namespace

class TestPerf : public QObject {
    Q_OBJECT
private slots:
    void oneLayerOnOneTileFollowsTheFormula();
    void twoReplicasDoubleFramesPerSecond();
    void blocksSharingRowsAddTheirTimes();
    void threeHopTransferCostsTheNocFormula();
    void rowSplitPartialSumsGoToTheHomeTile();
    void inputBitsScaleTheAnalogTime();
    void adcBitsScaleTheAdcEnergy();
    void digitalOpOnTheProcessorIsTheBottleneck();
    void tileFrameOrderSerializesATilesFrames();
    void traceHasOneTrackPerTileAndNoOverlaps();
    void costModelRanksBitChoices();
};

void TestPerf::oneLayerOnOneTileFollowsTheFormula()
{
    const Target t = chip(2, 2);
    Package p = start(t, {1, 64}); // Gemm: one vector of 64 int8 codes, 32 outputs
    p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32}));
    place(p, 0, 0, 0, 0);
    const PerfReport r = modelPerformance(p, one());
    // host in 64 B, 8 bit-serial cycles, ceil(32 / 8 ADCs) conversions, 3 epilogue ops per
    // output on 8 lanes, host out 32 B
    const double cycle = 1000.0 / t.simd.clockMhz;
    const double expected = 64 / t.host.bandwidthGBs + 8 * t.analog.mvm.nsPerInputBit + 4 * t.analog.adc.conversionNs +
                            32 * 3 / 8.0 * cycle + 32 / t.host.bandwidthGBs;
    QCOMPARE(r.latencyNs, expected);
    QCOMPARE(r.macsPerFrame, 64.0 * 32.0);
    QCOMPARE(r.energy.analog, 64.0 * 32 * 8 * t.energy.analogMacPjPerInputBit);
}

void TestPerf::twoReplicasDoubleFramesPerSecond()
{
    const Target t = chip(2, 2);
    double fps[2];
    for (int replicas = 1; replicas <= 2; ++replicas) {
        Package p = start(t, {1, 16, 16, 16}); // 1x1 conv: 256 vectors of 16 codes
        p.outputs.push_back(layer(p, t, 0, 16, 16, {1, 16, 16, 16}, 8, 8, replicas));
        for (int r = 0; r < replicas; ++r)
            place(p, r, 0, 0, 0, r);
        const PerfReport rep = modelPerformance(p, one(16));
        fps[replicas - 1] = rep.fps;
        const double read = 8 * t.analog.mvm.nsPerInputBit + 2 * t.analog.adc.conversionNs; // ceil(16 / 8) conversions
        QVERIFY(std::abs(rep.frameIntervalNs / (256.0 / replicas * read) - 1) < 0.01);
        QCOMPARE(rep.bottleneckKind, std::string("array"));
    }
    QVERIFY(std::abs(fps[1] / fps[0] - 2.0) < 0.02);
}

void TestPerf::blocksSharingRowsAddTheirTimes()
{
    const Target t = chip(2, 2);
    const double readA = 8 * t.analog.mvm.nsPerInputBit + 4 * t.analog.adc.conversionNs; // 32 columns
    for (bool shareRows : {true, false}) {
        Package p = start(t, {1, 64, 8, 8}); // two 1x1 convs of the same input, 64 vectors each
        p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32, 8, 8}));
        p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32, 8, 8}));
        place(p, 0, 0, 0, 0);
        place(p, 0, 1, shareRows ? 0 : 64, 32); // same rows: two phases; disjoint: one phase of 64 columns
        const PerfReport r = modelPerformance(p, one(16));
        const double readBoth = 8 * t.analog.mvm.nsPerInputBit + 8 * t.analog.adc.conversionNs;
        const double expected = shareRows ? 64 * readA + 64 * readA : 64 * readBoth;
        QCOMPARE(r.boundNsPerFrame, expected);
        QVERIFY(std::abs(r.frameIntervalNs / expected - 1) < 0.01);
    }
}

void TestPerf::threeHopTransferCostsTheNocFormula()
{
    const Target t = chip(1, 4);
    double latency[2];
    for (int64_t far : {0, 3}) {
        Package p = start(t, {1, 32});
        const int64_t y = layer(p, t, 0, 32, 32, {1, 32});
        p.outputs.push_back(layer(p, t, y, 32, 32, {1, 32}));
        place(p, 0, 0, 0, 0);
        place(p, far, 1, 0, 0);
        latency[far ? 1 : 0] = modelPerformance(p, one()).latencyNs;
    }
    // 32 bytes over 3 links: 3 hops x hop latency + 32 B / link bytes per cycle
    const double cycle = 1000.0 / t.noc.clockMhz;
    QCOMPARE(latency[1] - latency[0], 3 * t.noc.hopLatencyCycles * cycle + 32.0 / t.noc.linkBytesPerCycle * cycle);
}

void TestPerf::rowSplitPartialSumsGoToTheHomeTile()
{
    const Target t = chip(2, 2);
    Package p = start(t, {1, 512}); // K = 512 > 256 rows: two row blocks, on tiles 0 and 1
    p.outputs.push_back(layer(p, t, 0, 512, 32, {1, 32}));
    place(p, 0, 0, 0, 0);
    p.arrays[0].blocks[0].rowEnd = 256;
    place(p, 1, 0, 0, 0);
    p.arrays[1].blocks[0].rowBegin = 256;
    const PerfReport r = modelPerformance(p, one());
    // Both tiles receive the 512 input bytes over PCIe, one after the other; tile 1's read
    // ends last; its 32 int64 partial sums take one hop to tile 0 (the home of row block 0),
    // which adds them (1 op each) and runs the epilogue (3 ops each); 32 bytes go back.
    const double cycle = 1000.0 / t.noc.clockMhz;
    const double read = 8 * t.analog.mvm.nsPerInputBit + 4 * t.analog.adc.conversionNs;
    const double expected = 2 * 512 / t.host.bandwidthGBs + read + (t.noc.hopLatencyCycles + 256.0 / t.noc.linkBytesPerCycle) * cycle +
                            32 * 4 / 8.0 * 1000.0 / t.simd.clockMhz + 32 / t.host.bandwidthGBs;
    QCOMPARE(r.latencyNs, expected);
    QCOMPARE(r.energy.adc, 2 * 32 * t.energy.adcConversionPj); // each row block digitized
}

void TestPerf::inputBitsScaleTheAnalogTime()
{
    const Target t = chip(2, 2);
    double latency[2];
    for (int bits : {4, 8}) {
        Package p = start(t, {1, 64});
        p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32}, bits));
        place(p, 0, 0, 0, 0);
        latency[bits / 8] = modelPerformance(p, one()).latencyNs;
    }
    QCOMPARE(latency[1] - latency[0], 4 * t.analog.mvm.nsPerInputBit);
    // the same as a what-if on the 8-bit package
    Package p = start(t, {1, 64});
    p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32}, 8));
    place(p, 0, 0, 0, 0);
    PerfOptions o = one();
    o.bits["*"] = {4, 0};
    QCOMPARE(modelPerformance(p, o).latencyNs, latency[0]);
    o.bits = {{"nope", {4, 0}}};
    QVERIFY_THROWS_EXCEPTION(Error, modelPerformance(p, o));
}

void TestPerf::adcBitsScaleTheAdcEnergy()
{
    const Target t = chip(2, 2);
    std::map<int, PerfReport> r;
    for (int adc : {6, 8}) {
        Package p = start(t, {1, 64});
        p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32}, 8, adc));
        place(p, 0, 0, 0, 0);
        r[adc] = modelPerformance(p, one());
    }
    QCOMPARE(r[8].energy.adc, 32 * t.energy.adcConversionPj); // one conversion per column at max bits
    QCOMPARE(r[6].energy.adc, 32 * t.energy.adcConversionPj / 4); // Walden: energy halves per bit
    // conversion time is proportional to bits: 4 conversions of 125 x 6/8 ns instead of 125 ns
    QCOMPARE(r[8].latencyNs - r[6].latencyNs, 4 * t.analog.adc.conversionNs * 2 / 8);
}

void TestPerf::digitalOpOnTheProcessorIsTheBottleneck()
{
    const Target t = chip(2, 2);
    Package p = start(t, {1, 64});
    p.outputs.push_back(layer(p, t, 0, 64, 32, {1, 32}));
    place(p, 0, 0, 0, 0);
    const int64_t x = tensor(p, {1, 4, 128, 128}); // a second input, 65536 codes
    p.inputs.push_back(x);
    DigitalOp softmax; // kept in float: the processor, 4 ops per element (the registry's cost)
    softmax.opType = "Softmax";
    softmax.inputs = {x};
    softmax.outputs = {tensor(p, {1, 4, 128, 128})};
    softmax.tile = 3;
    p.digitalOps.push_back(softmax);
    p.outputs.push_back(softmax.outputs[0]);
    const PerfReport r = modelPerformance(p, one(16));
    QCOMPARE(r.bottleneckKind, std::string("digital"));
    QCOMPARE(r.boundNsPerFrame, 4 * 65536 * 1000.0 / t.processor.clockMhz);
    QVERIFY(r.bottleneck.find("tile 3") != std::string::npos);
    QCOMPARE(r.layers.back().unit, std::string("processor"));
    QVERIFY(std::abs(r.fps * r.boundNsPerFrame / 1e9 - 1) < 0.01);
}

void TestPerf::tileFrameOrderSerializesATilesFrames()
{
    const Target t = chip(2, 2);
    Package p = start(t, {1, 64}); // A (tile 0) -> B (tile 1) -> C (tile 0)
    const int64_t a = layer(p, t, 0, 64, 32, {1, 32});
    const int64_t b = layer(p, t, a, 32, 32, {1, 32});
    p.outputs.push_back(layer(p, t, b, 32, 16, {1, 16}));
    place(p, 0, 0, 0, 0);
    place(p, 1, 1, 0, 0);
    place(p, 0, 2, 64, 32);
    PerfOptions o = one(32);
    const PerfReport interleaved = modelPerformance(p, o);
    o.tileFrameOrder = true;
    const PerfReport ordered = modelPerformance(p, o);
    // Interleaved: the busiest resource bounds the interval. In frame order, tile 0 starts
    // A of frame f + 1 only after C of frame f: the chain without the host transfers.
    QVERIFY(std::abs(interleaved.frameIntervalNs / interleaved.boundNsPerFrame - 1) < 0.01);
    const double chain = ordered.latencyNs - 64 / t.host.bandwidthGBs - 16 / t.host.bandwidthGBs;
    QVERIFY2(std::abs(ordered.frameIntervalNs / chain - 1) < 0.01, std::to_string(ordered.frameIntervalNs).c_str());
}

void TestPerf::traceHasOneTrackPerTileAndNoOverlaps()
{
    const Target t = chip(2, 2);
    Package p = start(t, {1, 16, 16, 16});
    const int64_t y = layer(p, t, 0, 16, 16, {1, 16, 16, 16}, 8, 8, 2);
    p.outputs.push_back(layer(p, t, y, 16, 8, {1, 8, 16, 16}));
    place(p, 0, 0, 0, 0, 0);
    place(p, 1, 0, 0, 0, 1);
    place(p, 3, 1, 0, 0);
    const nlohmann::json trace = nlohmann::json::parse(traceJson(modelPerformance(p, one(8))).dump());
    std::map<int, std::string> names;
    std::map<int, std::vector<std::pair<double, double>>> slices;
    for (const nlohmann::json& e : trace.at("traceEvents")) {
        if (e.at("ph") == "M" && e.at("name") == "thread_name")
            names[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
        if (e.at("ph") == "X")
            slices[e.at("tid").get<int>()].push_back({e.at("ts").get<double>(), e.at("ts").get<double>() + e.at("dur").get<double>()});
    }
    int tileTracks = 0;
    for (const auto& [tid, name] : names)
        tileTracks += name.find("tile") == 0 && name.find("array") == std::string::npos;
    QCOMPARE(tileTracks, 3); // tiles 0, 1, 3
    for (auto& [tid, v] : slices) {
        QVERIFY(names.count(tid));
        std::sort(v.begin(), v.end());
        for (size_t i = 1; i < v.size(); ++i)
            QVERIFY2(v[i].first >= v[i - 1].second - 1e-9, names[tid].c_str());
    }
}

void TestPerf::costModelRanksBitChoices()
{
    const TargetCostModel model(loadTarget("m1076"));
    analog::LayerWork w{1024, 512, 1, 100, 8, 8, 8};
    const analog::LayerCost base = model.layerCost(w);
    w.inputBits = 4;
    const analog::LayerCost fewerInputBits = model.layerCost(w);
    w.inputBits = 8;
    w.adcBits = 6;
    const analog::LayerCost fewerAdcBits = model.layerCost(w);
    const Target& t = model.target();
    QCOMPARE(base.latencyNs - fewerInputBits.latencyNs, 100 * 4 * t.analog.mvm.nsPerInputBit);
    QVERIFY(fewerAdcBits.energyPj < base.energyPj && fewerAdcBits.latencyNs < base.latencyNs);
    QCOMPARE(base.conversions, int64_t{100 * 512});
}

QTEST_GUILESS_MAIN(TestPerf)
#include "test_perf.moc"

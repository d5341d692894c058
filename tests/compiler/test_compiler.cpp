// The graph compiler on tiny hand-built graphs: block counts, coverage of every weight,
// no overlapping blocks, phases without shared rows/columns, routes, SRAM, determinism,
// replication, and the "does not fit" error. Expected numbers are worked out by hand.
#include "compiler/Compiler.h"
#include "core/ShapeInference.h"

#include "../core/OpTestHarness.h"

#include <QtTest>

#include <map>
#include <set>

using namespace tessera;
using namespace tessera::compiler;
using tessera::testing::filled;

namespace {

// x[1, sizes[0]] -> Gemm -> Relu -> Gemm ... : one Gemm per consecutive pair of sizes.
Graph gemmChain(const std::vector<int64_t>& sizes)
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, sizes[0]});
    g.markGraphInput(x);
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
        const std::string n = std::to_string(i);
        ValueId w = g.addConstant("w" + n, filled({sizes[i], sizes[i + 1]}, -1, 1, 3 + static_cast<uint32_t>(i)));
        ValueId y = g.addValue("y" + n);
        g.addNode("gemm" + n, "Gemm", {x, w}, {y});
        ValueId r = g.addValue("r" + n);
        g.addNode("relu" + n, "Relu", {y}, {r});
        x = r;
    }
    g.markGraphOutput(x);
    inferShapes(g);
    return g;
}

// x[1, c, h, w] -> Conv 3x3 (groups) -> Conv 1x1 -> output.
Graph convGraph(int64_t c, int64_t hw, int64_t groups, int64_t out)
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, c, hw, hw});
    g.markGraphInput(x);
    ValueId w1 = g.addConstant("w1", filled({c, c / groups, 3, 3}, -1, 1, 5));
    ValueId y1 = g.addValue("y1");
    Attributes a;
    a.set("group", groups);
    a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.addNode("conv3x3", "Conv", {x, w1}, {y1}, a);
    ValueId w2 = g.addConstant("w2", filled({out, c, 1, 1}, -1, 1, 7));
    ValueId y2 = g.addValue("y2");
    g.addNode("conv1x1", "Conv", {y1, w2}, {y2});
    g.markGraphOutput(y2);
    inferShapes(g);
    return g;
}

const LayerPlan& layerNamed(const CompileResult& r, const std::string& name)
{
    for (const LayerPlan& l : r.layers)
        if (l.node == name)
            return l;
    throw std::runtime_error("no layer " + name);
}

int64_t blocksOf(const CompileResult& r, const std::string& name, int replica = 0)
{
    int64_t n = 0;
    for (const BlockPlan& b : r.blocks)
        n += r.layers[b.layer].node == name && b.replica == replica;
    return n;
}

bool overlap(int64_t a0, int64_t an, int64_t b0, int64_t bn) { return a0 < b0 + bn && b0 < a0 + an; }

} // namespace

class TestCompiler : public QObject {
    Q_OBJECT
private slots:
    void gemm600x300OnTest4HasSixBlocks();
    void everyWeightPlacedOnceNoOverlap();
    void concurrentBlocksShareNoRowsOrColumns();
    void smallLayersShareOneArray();
    void everyEdgeRouted();
    void sramLimitsHeld();
    void deterministic();
    void doesNotFitNamesTilesNeeded();
    void depthwiseDecidedByCost();
    void replicationSplitsVectors();
    void sharedRowsTimeMultiplex();
    void swapsLowerTraffic();
};

void TestCompiler::gemm600x300OnTest4HasSixBlocks()
{
    // ceil(600 / 256) = 3 row blocks x ceil(300 / 256) = 2 column blocks.
    const CompileResult r = compileGraph(gemmChain({600, 300}), loadTarget("test4"), nullptr);
    const LayerPlan& l = layerNamed(r, "gemm0");
    QCOMPARE(l.unit, Unit::Analog);
    QCOMPARE(l.rowBlocks, int64_t(3));
    QCOMPARE(l.colBlocks, int64_t(2));
    // Splitting gives 3 x 2 = 6 blocks; packing may cut a block's columns further (free:
    // columns are independent), never its rows (each row block has its own ADC read).
    QVERIFY(blocksOf(r, "gemm0") >= 6);
    std::set<int64_t> rowBlocks;
    for (const BlockPlan& b : r.blocks)
        if (b.layer == 0) {
            QCOMPARE(b.rowBegin, b.rowBlock * 256);
            QCOMPARE(b.rows, std::min<int64_t>(256, 600 - b.rowBegin));
            rowBlocks.insert(b.rowBlock);
        }
    QCOMPARE(rowBlocks.size(), size_t(3));
    CompileOptions o;
    o.replicate = false;
    QCOMPARE(blocksOf(compileGraph(gemmChain({600, 300}), loadTarget("m1076"), nullptr, o), "gemm0"), int64_t(1));
    QCOMPARE(layerNamed(r, "relu0").unit, Unit::Simd);
    QCOMPARE(r.arraysLowerBound, int64_t(3)); // 180000 cells / 65536
}

void TestCompiler::everyWeightPlacedOnceNoOverlap()
{
    for (const Graph& g : {gemmChain({600, 300, 200, 100}), convGraph(64, 8, 2, 96)}) {
        const CompileResult r = compileGraph(g, loadTarget("test4"), nullptr);
        std::map<std::tuple<int, int, int64_t, int64_t, int64_t>, int> weights; // layer, replica, group, k, n
        std::map<std::tuple<int, int64_t, int64_t>, int> cells;                  // array, row, col
        for (const BlockPlan& b : r.blocks) {
            const LayerPlan& l = r.layers[b.layer];
            const int64_t groupCols = l.cols / l.groups;
            const int64_t k1 = b.groupCount > 1 ? l.rows : b.rows, n1 = b.groupCount > 1 ? groupCols : b.cols;
            for (int64_t g0 = 0; g0 < b.groupCount; ++g0)
                for (int64_t k = 0; k < k1; ++k)
                    for (int64_t n = 0; n < n1; ++n) {
                        ++weights[{b.layer, b.replica, b.group0 + g0, b.rowBegin + k, b.colBegin + n}];
                        ++cells[{b.array, b.row0 + g0 * k1 + k, b.col0 + g0 * n1 + n}];
                    }
            QVERIFY(b.row0 + b.rows <= r.target.analog.array.rows && b.col0 + b.cols <= r.target.analog.array.cols);
        }
        int64_t expected = 0;
        for (const LayerPlan& l : r.layers)
            expected += l.unit == Unit::Analog ? l.rows * l.cols * l.replicas : 0;
        QCOMPARE(static_cast<int64_t>(weights.size()), expected);
        for (const auto& [key, count] : weights)
            QCOMPARE(count, 1);
        for (const auto& [key, count] : cells)
            QCOMPARE(count, 1);
    }
}

void TestCompiler::concurrentBlocksShareNoRowsOrColumns()
{
    const CompileResult r = compileGraph(gemmChain({100, 60, 50, 40, 30, 20}), loadTarget("test4"), nullptr);
    QCOMPARE(r.arraysUnreplicated, int64_t(1));
    for (const BlockPlan& a : r.blocks)
        for (const BlockPlan& b : r.blocks)
            if (&a != &b && a.array == b.array && a.phase == b.phase) {
                QVERIFY(!overlap(a.row0, a.rows, b.row0, b.rows));
                QVERIFY(!overlap(a.col0, a.cols, b.col0, b.cols));
            }
}

void TestCompiler::smallLayersShareOneArray()
{
    // Four 128 x 128 weight matrices fill one 256 x 256 array exactly (L0 = 1).
    CompileOptions o;
    o.replicate = false;
    const CompileResult r = compileGraph(gemmChain({128, 128, 128, 128, 128}), loadTarget("test4"), nullptr, o);
    QCOMPARE(r.arraysLowerBound, int64_t(1));
    QCOMPARE(r.arraysUnreplicated, int64_t(1));
    QCOMPARE(r.arrays[0].usedCells, int64_t(256 * 256));
    // Two pairs of blocks on disjoint rows and columns: two phases at best, never four.
    QVERIFY(r.arrays[0].phases <= 3);
}

void TestCompiler::everyEdgeRouted()
{
    const CompileResult r = compileGraph(gemmChain({1024, 1024, 1024, 1024, 10}), loadTarget("m1076"), nullptr);
    std::set<std::pair<int, int>> routed;
    for (const Route& route : r.routes) {
        routed.insert({route.fromLayer, route.toLayer});
        for (size_t i = 1; i < route.path.size(); ++i)
            QCOMPARE(std::abs(route.path[i].row - route.path[i - 1].row) + std::abs(route.path[i].col - route.path[i - 1].col),
                     int64_t(1));
        bool fromOk = false, toOk = false;
        for (int t : r.layers[route.fromLayer].tiles)
            fromOk = fromOk || (r.tiles[t].coord.row == route.path.front().row && r.tiles[t].coord.col == route.path.front().col);
        for (int t : r.layers[route.toLayer].tiles)
            toOk = toOk || (r.tiles[t].coord.row == route.path.back().row && r.tiles[t].coord.col == route.path.back().col);
        QVERIFY(fromOk && toOk);
    }
    for (int i = 0; i < 3; ++i) // gemm_i feeds gemm_{i+1}
        QVERIFY(routed.count({2 * i, 2 * i + 2}));
}

void TestCompiler::sramLimitsHeld()
{
    const CompileResult r = compileGraph(convGraph(32, 28, 1, 64), loadTarget("m1076"), nullptr);
    QVERIFY(r.fits);
    for (const TilePlan& t : r.tiles)
        QVERIFY(t.sramBytes <= r.target.tiles.sramBytes);
    // 3x3 conv on 32 channels x 28 columns: 4 input lines + 2 output rows of 32 x 28 bytes.
    const TilePlan& first = r.tiles[layerNamed(r, "conv3x3").tiles[0]];
    QVERIFY(first.sramBytes >= (4 + 2) * 32 * 28);
}

void TestCompiler::deterministic()
{
    const Graph g = convGraph(64, 16, 1, 128);
    const std::string a = reportJson(compileGraph(g, loadTarget("m1076"), nullptr)).dump();
    const std::string b = reportJson(compileGraph(g, loadTarget("m1076"), nullptr)).dump();
    QCOMPARE(a, b);
}

void TestCompiler::doesNotFitNamesTilesNeeded()
{
    // Five full 256 x 256 matrices need five arrays; test4 has four tiles of one array.
    const CompileResult r = compileGraph(gemmChain({256, 256, 256, 256, 256, 256}), loadTarget("test4"), nullptr);
    QVERIFY(!r.fits);
    QCOMPARE(r.arraysUnreplicated, int64_t(5));
    QVERIFY2(r.fitMessage.find("needs 5 tiles") != std::string::npos, r.fitMessage.c_str());
    QVERIFY2(r.fitMessage.find("m1076") != std::string::npos, r.fitMessage.c_str()); // a bigger preset
}

void TestCompiler::depthwiseDecidedByCost()
{
    const CompileResult r = compileGraph(convGraph(64, 16, 64, 64), loadTarget("m1076"), nullptr);
    const LayerPlan& dw = layerNamed(r, "conv3x3");
    QVERIFY2(dw.reason.find("depthwise") != std::string::npos, dw.reason.c_str());
    if (dw.unit == Unit::Analog) // block-diagonal: 64 groups of 9 rows x 1 column fit one block
        QCOMPARE(blocksOf(r, "conv3x3"), int64_t(1));
}

void TestCompiler::replicationSplitsVectors()
{
    // 3x3 conv over 64 x 64 pixels = 4096 vectors dominates; replicas share them.
    const Graph g = convGraph(16, 64, 1, 16);
    CompileOptions off;
    off.replicate = false;
    const CompileResult base = compileGraph(g, loadTarget("m1076"), nullptr, off);
    const CompileResult r = compileGraph(g, loadTarget("m1076"), nullptr);
    const LayerPlan& conv = layerNamed(r, "conv3x3");
    QVERIFY(conv.replicas > 1);
    QVERIFY(r.fps > 2 * base.fps);
    QCOMPARE(base.fps, r.fpsUnreplicated);
    QCOMPARE(conv.vectors, int64_t(64 * 64));
    // Alone on its array: ceil(4096 / replicas) vectors x (8 bits x 300 ns + ceil(16 / 32) x 125 ns).
    const double perVector = 8 * 300.0 + 125.0;
    QVERIFY(conv.nsPerFrame >= std::ceil(4096.0 / conv.replicas) * perVector - 1e-6);
}

void TestCompiler::sharedRowsTimeMultiplex()
{
    // Two 128 x 128 layers on one 256 x 256 array, one vector each (test4: 8 ADCs of 125 ns,
    // 8 input bits x 300 ns). Sharing rows or columns: two reads of 128 columns; else one
    // read of 256 columns.
    CompileOptions o;
    o.replicate = false;
    const CompileResult r = compileGraph(gemmChain({128, 128, 128}), loadTarget("test4"), nullptr, o);
    QCOMPARE(r.arrays.size(), size_t(1));
    const BlockPlan& a = r.blocks[0];
    const BlockPlan& b = r.blocks[1];
    const bool shared = overlap(a.row0, a.rows, b.row0, b.rows) || overlap(a.col0, a.cols, b.col0, b.cols);
    const double expected = shared ? 2 * (2400.0 + 16 * 125.0) : 2400.0 + 32 * 125.0;
    QCOMPARE(r.arrays[0].phases, shared ? 2 : 1);
    QCOMPARE(r.arrays[0].nsPerFrame, expected);
}

void TestCompiler::swapsLowerTraffic()
{
    const Graph g = gemmChain({1024, 1024, 1024, 1024, 1024, 1024, 10});
    CompileOptions snake;
    snake.swapPasses = 0;
    const CompileResult before = compileGraph(g, loadTarget("m1076"), nullptr, snake);
    const CompileResult after = compileGraph(g, loadTarget("m1076"), nullptr);
    QVERIFY(after.bytesHops <= before.bytesHops);
    QVERIFY(after.bytesHops > 0);
}

QTEST_APPLESS_MAIN(TestCompiler)
#include "test_compiler.moc"

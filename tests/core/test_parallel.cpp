// core/Parallel: each index runs exactly once, worker exceptions reach the caller, and the
// FP32 executor gives bit-identical results for any thread count (the kernels split
// outputs, never sums). Also: packed constant weights cached across runs stay correct.
#include "OpTestHarness.h"

#include "core/Parallel.h"

#include <atomic>
#include <cstring>
#include <random>

using namespace tessera;
using namespace tessera::testing;

namespace {

Tensor randomTensor(Shape shape, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(numElements(shape)));
    for (float& x : v)
        x = dist(rng);
    return floats(v, std::move(shape));
}

// x [2,3,32,32] -> Conv 3x3 (32, bias, fused ReLU) -> depthwise 3x3 stride 2 -> Conv 1x1 (64)
// -> Conv 1x1 stride 2 (256) -> Flatten -> Gemm (10). Each step is big enough for the kernels
// to split it: GEMM column panels (wide outputs), row blocks (the 8x8 one), channels.
Graph smallConvNet()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {2, 3, 32, 32});
    g.markGraphInput(x);
    auto value = [&](const char* name) { return g.addValue(name); };
    ValueId c1 = value("c1"), c1w = value("c1w"), c2 = value("c2"), c3 = value("c3"), c4 = value("c4"), flat = value("flat");
    ValueId y = value("y");
    g.addNode("conv1", "Conv", {x, g.addConstant("w1", randomTensor({32, 3, 3, 3}, 1)), g.addConstant("b1", randomTensor({32}, 2))},
              {c1}, attrs({{"pads", Ints{1, 1, 1, 1}}, {"fused_activation", std::string("Relu")}}));
    // A side output through Winograd (32 -> 256 channels, 3x3, stride 1: core/ops/Winograd.h).
    g.addNode("wino", "Conv", {c1, g.addConstant("w1w", randomTensor({256, 32, 3, 3}, 7)), g.addConstant("b1w", randomTensor({256}, 8))},
              {c1w}, attrs({{"pads", Ints{1, 1, 1, 1}}, {"fused_activation", std::string("Relu")}}));
    g.addNode("dw", "Conv", {c1, g.addConstant("w2", randomTensor({32, 1, 3, 3}, 3))}, {c2},
              attrs({{"group", int64_t{32}}, {"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}));
    g.addNode("pw", "Conv", {c2, g.addConstant("w3", randomTensor({64, 32, 1, 1}, 4))}, {c3}, {});
    g.addNode("down", "Conv", {c3, g.addConstant("w4", randomTensor({256, 64, 1, 1}, 5))}, {c4},
              attrs({{"strides", Ints{2, 2}}}));
    g.addNode("flatten", "Flatten", {c4}, {flat}, {});
    g.addNode("fc", "Gemm", {flat, g.addConstant("w5", randomTensor({10, 256 * 8 * 8}, 6))}, {y},
              attrs({{"transB", int64_t{1}}}));
    g.markGraphOutput(c3);
    g.markGraphOutput(y);
    g.markGraphOutput(c1w);
    inferShapes(g);
    return g;
}

bool bitIdentical(const Tensor& a, const Tensor& b)
{
    return a.shape() == b.shape() && std::memcmp(a.rawData(), b.rawData(), a.byteSize()) == 0;
}

} // namespace

class TestParallel : public QObject {
    Q_OBJECT
private slots:
    void cleanup() { setThreadCount(1); }

    void eachIndexRunsOnceInGrainAlignedChunks()
    {
        setThreadCount(3);
        QCOMPARE(threadCount(), 3);
        std::vector<std::atomic<int>> hits(1000);
        std::atomic<int> misaligned{0};
        parallelFor(5, 1000, 7, [&](int64_t lo, int64_t hi) {
            misaligned += (lo - 5) % 7 != 0;
            for (int64_t i = lo; i < hi; ++i)
                ++hits[static_cast<size_t>(i)];
        });
        QCOMPARE(misaligned.load(), 0);
        for (size_t i = 0; i < hits.size(); ++i)
            QCOMPARE(hits[i].load(), i < 5 ? 0 : 1);
    }

    void workerExceptionReachesTheCaller()
    {
        setThreadCount(2);
        bool thrown = false;
        try {
            parallelFor(0, 2, 1, [](int64_t lo, int64_t) {
                if (lo == 1)
                    fail("chunk 1 failed");
            });
        } catch (const Error& e) {
            thrown = QString(e.what()).contains("chunk 1 failed");
        }
        QVERIFY(thrown);
    }

    void convNetIsBitIdenticalForOneAndTwoThreads()
    {
        const Graph g = smallConvNet();
        const Tensor x = randomTensor({2, 3, 32, 32}, 9);
        setThreadCount(1);
        const std::vector<Tensor> one = Executor(g).run({x});
        setThreadCount(2);
        const std::vector<Tensor> two = Executor(g).run({x});
        QCOMPARE(one.size(), size_t{3});
        QCOMPARE(one[1].shape(), (Shape{2, 10}));
        for (size_t i = 0; i < one.size(); ++i)
            QVERIFY2(bitIdentical(one[i], two[i]), qPrintable(QString("output %1 differs").arg(i)));
    }

    void cachedWeightsServeLaterRuns()
    {
        // The second run of one executor reuses the packed weights; a fresh executor packs anew.
        const Graph g = smallConvNet();
        const Tensor a = randomTensor({2, 3, 32, 32}, 10), b = randomTensor({2, 3, 32, 32}, 11);
        Executor exec(g);
        exec.run({a});
        const std::vector<Tensor> again = exec.run({b});
        const std::vector<Tensor> fresh = Executor(g).run({b});
        for (size_t i = 0; i < fresh.size(); ++i)
            QVERIFY(bitIdentical(again[i], fresh[i]));
    }
};

QTEST_APPLESS_MAIN(TestParallel)
#include "test_parallel.moc"

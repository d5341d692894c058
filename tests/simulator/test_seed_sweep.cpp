// Noise over seeds (simulator/SeedSweep.h), shared by `tessera simulate --seeds` and the
// studio's simulation dock: what each --noise choice names, the spread statistics against
// values computed by hand, each seed's score equal to one Machine::run with that seed
// whatever the chunking, and cancellation between chunks.
#include "SimFixture.h"

#include "core/ShapeInference.h"
#include "core/io/FileIO.h"
#include "simulator/SeedSweep.h"

#include "../core/OpTestHarness.h"

#include <QTemporaryDir>

using namespace tessera;
using namespace tessera::testing;

namespace {

// One Gemm layer [1, 16] x [16, 8], quantized on 6 random samples and compiled for m1076.
package::Package gemmPackage(const analog::NonIdealities& noise = {})
{
    Graph g;
    g.name = "gemm";
    ValueId x = g.addValue("x", DType::Float32, {1, 16});
    g.markGraphInput(x);
    ValueId y = g.addValue("y");
    g.addNode("layer", "Gemm", {x, g.addConstant("w", filled({16, 8}, -1, 1, 5))}, {y}, {});
    g.markGraphOutput(y);
    inferShapes(g);
    quant::ModelGraphs model{Graph(g)};
    const QuantSpec spec = quantizeFor(model, filled({6, 16}, -1, 1, 11), "m1076", noise);
    return compileFor(model.forBatch(1), spec, "m1076");
}

double sumOf(const Tensor& t)
{
    double s = 0;
    for (float v : t.toFloatVector())
        s += v;
    return s;
}

} // namespace

class TestSeedSweep : public QObject {
    Q_OBJECT
private slots:
    void noiseChoicesNameTheirModel()
    {
        const package::Package quiet = gemmPackage();
        QVERIFY(!sim::noiseModel("off", quiet).any());
        const analog::NonIdealities d = sim::noiseModel("default", quiet); // the package has none
        QCOMPARE(d.readNoise, 0.06);
        QCOMPARE(d.weightProgramNoise, 0.02);
        QCOMPARE(d.adcOffset, 0.5);
        analog::NonIdealities own;
        own.readNoise = 0.03;
        own.seed = 11;
        const analog::NonIdealities p = sim::noiseModel("default", gemmPackage(own));
        QCOMPARE(p.readNoise, 0.03);
        QCOMPARE(p.weightProgramNoise, 0.0);
        QCOMPARE(p.seed, uint64_t(11));

        QTemporaryDir dir;
        const std::string bare = dir.filePath("bare.json").toStdString(), spec = dir.filePath("spec.json").toStdString(),
                          none = dir.filePath("none.json").toStdString();
        writeFileAtomic(bare, R"({"read_noise": 0.1, "seed": 9})");
        writeFileAtomic(spec, R"({"config": {"non_idealities": {"adc_offset_lsb": 2, "seed": 3}}})");
        writeFileAtomic(none, R"({"seed": 9})");
        QCOMPARE(sim::noiseModel(bare, quiet).readNoise, 0.1);
        QCOMPARE(sim::noiseModel(bare, quiet).seed, uint64_t(9));
        QCOMPARE(sim::noiseModel(spec, quiet).adcOffset, 2.0);
        try {
            sim::noiseModel(none, quiet);
            QFAIL("a noise file without noise was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("none.json") != std::string::npos, e.what());
        }
    }

    void spreadIsMeanAndSampleDeviation()
    {
        const sim::SeedSpread s = sim::spreadOf(4, {0.5, 0.7, 0.9});
        QCOMPARE(s.firstSeed, uint64_t(4));
        QVERIFY(std::abs(s.mean - 0.7) < 1e-12);
        QVERIFY(std::abs(s.spread - 0.2) < 1e-12); // sqrt((0.04 + 0 + 0.04) / 2)
        QCOMPARE(s.min, 0.5);
        QCOMPARE(s.max, 0.9);
        QCOMPARE(sim::spreadOf(0, {0.8}).spread, 0.0);
    }

    void eachSeedScoresAsOneRunWithThatSeed()
    {
        package::Package pkg = gemmPackage();
        pkg.nonIdealities = analog::defaultNonIdealities(20);
        const sim::Machine machine(std::move(pkg));
        const Tensor x = filled({5, 16}, -1, 1, 12);
        sim::SeedSweepOptions o;
        o.firstSeed = 20;
        o.seeds = 3;
        o.chunkFrames = 2; // 2 + 2 + 1 frames per seed
        const sim::SeedSpread s = sim::sweepSeeds(machine, x, o, sumOf);
        QCOMPARE(s.values.size(), size_t(3));
        for (int i = 0; i < 3; ++i) {
            sim::RunOptions ro;
            ro.noise = ro.overrideSeed = true;
            ro.seed = 20 + static_cast<uint64_t>(i);
            QCOMPARE(s.values[i], sumOf(machine.run({x}, ro)[0]));
        }
        QVERIFY(s.values[0] != s.values[1]); // the seeds draw different noise
    }

    void cancelStopsBetweenChunks()
    {
        package::Package pkg = gemmPackage();
        pkg.nonIdealities = analog::defaultNonIdealities();
        const sim::Machine machine(std::move(pkg));
        SilentProgress progress;
        progress.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, sim::sweepSeeds(machine, filled({4, 16}, -1, 1, 12), {}, sumOf, &progress));
    }
};

QTEST_MAIN(TestSeedSweep)
#include "test_seed_sweep.moc"

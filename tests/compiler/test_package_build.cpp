// The compiler's package: it passes the package reader's validation (every block inside
// its array, no cell used twice, every weight placed once per replica, instruction
// operands and SRAM ranges valid), round-trips, holds the programmed levels where the
// blocks say, and is byte-identical across compiles.
#include "compiler/PackageBuilder.h"
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/package/PackageIO.h"

#include "../core/OpTestHarness.h"

#include <QtTest>

using namespace tessera;
using namespace tessera::compiler;
using tessera::testing::filled;

namespace {

// x[1, k] -> Gemm [k, n] -> Relu -> Gemm [n, 10].
Graph twoGemms(int64_t k, int64_t n)
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, k});
    g.markGraphInput(x);
    ValueId y = g.addValue("y"), r = g.addValue("r"), z = g.addValue("z");
    g.addNode("fc1", "Gemm", {x, g.addConstant("w1", filled({k, n}, -1, 1, 3))}, {y});
    g.addNode("relu", "Relu", {y}, {r});
    g.addNode("fc2", "Gemm", {r, g.addConstant("w2", filled({n, 10}, -1, 1, 5))}, {z});
    g.markGraphOutput(z);
    inferShapes(g);
    return g;
}

// x[1, 8, 6, 6] -> grouped 3x3 Conv (4 groups, 16 outputs).
Graph groupedConv()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 8, 6, 6});
    g.markGraphInput(x);
    ValueId y = g.addValue("y");
    Attributes a;
    a.set("group", int64_t(4));
    g.addNode("conv", "Conv", {x, g.addConstant("w", filled({16, 2, 3, 3}, -1, 1, 9))}, {y}, a);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

std::string packageBytes(const Graph& g, const std::string& target)
{
    const CompileResult r = compileGraph(g, loadTarget(target), nullptr);
    return package::serializePackage(buildPackage(g, r, nullptr, {"model", "xxh3-64:0000000000000000", ""}));
}

} // namespace

class TestPackageBuild : public QObject {
    Q_OBJECT
private slots:
    void validatesAndRoundTrips();
    void levelsWhereBlocksSay();
    void identicalBytesAcrossCompiles();
    void refusesWhenItDoesNotFit();
};

void TestPackageBuild::validatesAndRoundTrips()
{
    for (const Graph& g : {twoGemms(600, 300), groupedConv()}) {
        const std::string bytes = packageBytes(g, "test4"); // serializePackage validates
        const package::Package p = package::parsePackage(bytes, "built.tpkg");
        QVERIFY(!p.programs.empty());
        for (const package::TileProgram& prog : p.programs)
            QCOMPARE(prog.code.back().op, package::Opcode::Halt);
        QCOMPARE(p.inputs.size(), size_t(1));
        QCOMPARE(p.outputs.size(), size_t(1));
    }
}

void TestPackageBuild::levelsWhereBlocksSay()
{
    const Graph g = twoGemms(600, 300);
    const CompileResult r = compileGraph(g, loadTarget("test4"), nullptr);
    const package::Package p = buildPackage(g, r, nullptr, {"model", "", ""});
    int64_t placed = 0;
    for (const package::ArrayImage& a : p.arrays)
        for (const package::PlacedBlock& b : a.blocks) {
            const analog::ProgrammedLayer& prog = p.layers[b.layer].programmed;
            for (int64_t n = b.colBegin; n < b.colEnd; ++n)
                for (int64_t k = b.rowBegin; k < b.rowEnd; ++k) {
                    QCOMPARE(package::cellLevel(p, a, b.row0 + k - b.rowBegin, b.col0 + n - b.colBegin),
                             prog.levels[n * prog.params.rows + k]);
                    ++placed;
                }
        }
    int64_t expected = 0;
    for (const package::PackageLayer& l : p.layers)
        expected += l.programmed.params.rows * l.programmed.params.cols * l.replicas;
    QCOMPARE(placed, expected);
}

void TestPackageBuild::identicalBytesAcrossCompiles()
{
    const Graph g = twoGemms(600, 300);
    QCOMPARE(packageBytes(g, "test4"), packageBytes(g, "test4"));
    QCOMPARE(packageBytes(g, "m1076"), packageBytes(g, "m1076"));
}

void TestPackageBuild::refusesWhenItDoesNotFit()
{
    const Graph g = twoGemms(2048, 1024); // 2M cells; test4 holds 4 x 65536
    const CompileResult r = compileGraph(g, loadTarget("test4"), nullptr);
    QVERIFY(!r.fits);
    QVERIFY_THROWS_EXCEPTION(Error, buildPackage(g, r, nullptr, {"model", "", ""}));
}

QTEST_APPLESS_MAIN(TestPackageBuild)
#include "test_package_build.moc"

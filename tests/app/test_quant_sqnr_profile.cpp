// SqnrProfile on a hand-made branching graph: per-node drops against the lowest listed
// input, nodes fed only by the graph input have none, the worst drop, nodes missing from
// the studio's graph. Expected values are computed by hand from the numbers below.
#include "app/controllers/SqnrProfile.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace tessera;
using namespace tessera::studio;

namespace {

// x -> a (Relu) -> b (Relu) and a -> c (Relu); d = Add(b, c). "extra" and "f" are nodes
// the studio's graph lacks.
Graph branchGraph()
{
    Graph g;
    const ValueId x = g.addValue("x", DType::Float32, {1, 4});
    g.markGraphInput(x);
    const ValueId a = g.addValue("a.out", DType::Float32, {1, 4});
    const ValueId b = g.addValue("b.out", DType::Float32, {1, 4});
    const ValueId c = g.addValue("c.out", DType::Float32, {1, 4});
    const ValueId d = g.addValue("d.out", DType::Float32, {1, 4});
    g.addNode("a", "Relu", {x}, {a});
    g.addNode("b", "Relu", {a}, {b});
    g.addNode("c", "Relu", {a}, {c});
    g.addNode("d", "Add", {b, c}, {d});
    g.markGraphOutput(d);
    return g;
}

} // namespace

class TestQuantSqnrProfile : public QObject {
    Q_OBJECT
private slots:
    void dropsAgainstLowestListedInput()
    {
        const Graph g = branchGraph();
        const double inf = std::numeric_limits<double>::infinity();
        const std::vector<quant::LayerError> layers{
            {"a", "Relu", "a.out", false, 40.0}, {"b", "Relu", "b.out", true, 38.0}, {"c", "Relu", "c.out", true, 25.0},
            {"d", "Add", "d.out", false, 24.0},  {"extra", "Mul", "e.out", false, 30.0}, {"f", "Relu", "f.out", false, inf}};
        const SqnrProfile p = buildSqnrProfile(layers, g);
        QCOMPARE(p.points.size(), size_t(6));
        QVERIFY(std::isnan(p.points[0].dropDb)); // fed by the graph input only
        QCOMPARE(p.points[1].dropDb, 2.0);       // 40 - 38
        QCOMPARE(p.points[2].dropDb, 15.0);      // 40 - 25
        QCOMPARE(p.points[3].dropDb, 1.0);       // min(38, 25) - 24
        QCOMPARE(p.points[0].id, *g.findNode("a"));
        QCOMPARE(p.points[3].id, *g.findNode("d"));
        QCOMPARE(p.points[4].id, kNoNode); // not in the studio's graph: listed, not clickable
        QVERIFY(std::isnan(p.points[4].dropDb));
        QVERIFY(std::isnan(p.points[5].dropDb));
        QCOMPARE(p.worst, 2);
        QCOMPARE(p.indexOf("d"), 3);
        QCOMPARE(p.sqnrOf("c"), 25.0);
        QVERIFY(std::isnan(p.sqnrOf("missing")));
    }

    void noWorstWithoutARealDrop()
    {
        const Graph g = branchGraph();
        // Every node at least as good as its inputs (requantization can even gain).
        const std::vector<quant::LayerError> layers{{"a", "Relu", "a.out", false, 30.0}, {"b", "Relu", "b.out", true, 31.0},
                                                    {"c", "Relu", "c.out", true, 30.0}};
        const SqnrProfile p = buildSqnrProfile(layers, g);
        QCOMPARE(p.points[1].dropDb, -1.0);
        QCOMPARE(p.points[2].dropDb, 0.0);
        QCOMPARE(p.worst, -1);
    }
};

QTEST_APPLESS_MAIN(TestQuantSqnrProfile)
#include "test_quant_sqnr_profile.moc"

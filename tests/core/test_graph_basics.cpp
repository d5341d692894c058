// Graph IR basics: building, topological order, cycles, verifier messages, executor.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/Verifier.h"

#include <QtTest>

using namespace tessera;

class TestGraphBasics : public QObject {
    Q_OBJECT
private slots:
    void addBroadcastsAndRuns()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3});
        ValueId b = g.addConstant("b", Tensor::fromVector<float>({10, 20, 30}, {3}));
        ValueId y = g.addValue("y");
        g.addNode("add", "Add", {x, b}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        inferShapes(g);
        QCOMPARE(g.value(y).shape, Shape({2, 3}));
        QVERIFY(verifyGraph(g).empty());
        Executor exec(g);
        Tensor out = exec.run({Tensor::fromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})})[0];
        QCOMPARE(out.toFloatVector(), std::vector<float>({11, 22, 33, 14, 25, 36}));
    }

    void cycleIsReportedWithNodeNames()
    {
        Graph g;
        ValueId a = g.addValue("a", DType::Float32, {1});
        ValueId b = g.addValue("b", DType::Float32, {1});
        g.addNode("first", "Add", {b, b}, {a});  // reads b, writes a
        g.addNode("second", "Add", {a, a}, {b}); // reads a, writes b: a cycle
        try {
            g.topologicalOrder();
            QFAIL("expected a cycle error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("first"), e.what());
        }
    }

    void unknownOpNamesTheNode()
    {
        Graph g;
        ValueId a = g.addValue("a", DType::Float32, {1});
        ValueId b = g.addValue("b");
        try {
            g.addNode("mystery", "FancyOp", {a}, {b});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("mystery"));
            QVERIFY(QString(e.what()).contains("FancyOp"));
        }
    }

    void overflowingShapeIsAnError()
    {
        const int64_t big = int64_t(1) << 40;
        QVERIFY_THROWS_EXCEPTION(Error, numElements({big, big}));
        QCOMPARE(numElements({big, 4}), big * 4);
    }

    void verifierFindsUndefinedInput()
    {
        Graph g;
        ValueId a = g.addValue("dangling", DType::Float32, {1});
        ValueId b = g.addValue("b");
        g.addNode("user", "Add", {a, a}, {b});
        g.markGraphOutput(b);
        auto problems = verifyGraph(g);
        QCOMPARE(problems.size(), size_t(1));
        QVERIFY(QString::fromStdString(problems[0]).contains("user"));
        QVERIFY(QString::fromStdString(problems[0]).contains("dangling"));
    }
};

QTEST_APPLESS_MAIN(TestGraphBasics)
#include "test_graph_basics.moc"

// Studio logic without widgets: project file, undo, job framework, layout engines,
// search/navigation controllers, tensor statistics.
#include "app/controllers/NavigationController.h"
#include "app/controllers/SearchController.h"
#include "app/jobs/JobManager.h"
#include "app/layout/GraphLayout.h"
#include "app/model/NodeDetails.h"
#include "app/model/ProjectModel.h"
#include "app/model/SyntheticGraph.h"
#include "core/Error.h"

#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <atomic>

using namespace tessera;
using namespace tessera::studio;

namespace {

// a -> b -> d, a -> c -> d: a diamond with hand-known producers/consumers.
DocumentPtr diamond()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 4});
    g.markGraphInput(x);
    ValueId a = g.addValue("a.out", DType::Float32, {1, 4});
    ValueId b = g.addValue("b.out", DType::Float32, {1, 4});
    ValueId c = g.addValue("c.out", DType::Float32, {1, 4});
    ValueId d = g.addValue("d.out", DType::Float32, {1, 4});
    g.addNode("a", "Relu", {x}, {a}, {}, true);
    g.addNode("b", "Relu", {a}, {b}, {}, true);
    g.addNode("c", "Sigmoid", {a}, {c}, {}, true);
    g.addNode("d", "Add", {b, c}, {d}, {}, true);
    g.markGraphOutput(d);
    return std::make_shared<GraphDocument>(std::move(g), ImportReport{}, "diamond");
}

} // namespace

class TestStudioLogic : public QObject {
    Q_OBJECT
private slots:
    void displayGraphHasPillsAndEdges()
    {
        DocumentPtr doc = diamond();
        // 4 ops + 1 input pill + 1 output pill; edges x->a, a->b, a->c, b->d, c->d, d->out.
        QCOMPARE(doc->displayNodes().size(), size_t(6));
        QCOMPARE(doc->displayEdges().size(), size_t(6));
        QCOMPARE(doc->totals().nodes, 4);
        QCOMPARE(doc->totals().nodesByOp.at("Relu"), 2);
    }

    void projectFileRoundTripsWithRelativePaths()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QDir(dir.path()).mkpath("models");
        ProjectFile p;
        p.modelPath = dir.filePath("models/net.onnx");
        p.datasetPath = dir.filePath("data/calib.npy");
        p.hardwareTarget = "amp-m1076";
        p.layers["conv1"] = QJsonObject{{"bits", 4}};
        p.layers["fc"] = QJsonObject{{"bits", 8}, {"keepDigital", true}};
        p.panels["quant"] = QJsonObject{{"metric", "kl"}};
        const QString path = dir.filePath("proj.tessera");
        writeProjectFile(path, p);

        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(json["model"].toString(), QString("models/net.onnx")); // stored relative
        QCOMPARE(json["format"].toString(), QString("tessera-project"));
        QCOMPARE(readProjectFile(path), p);
    }

    void projectFileErrorsNameTheFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.tessera");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"format\": \"tessera-project\", \"version\": 1, \"model\": 3}");
        f.close();
        try {
            readProjectFile(path);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("bad.tessera"), e.what());
            QVERIFY2(QString(e.what()).contains("model"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, readProjectFile(dir.filePath("missing.tessera")));
    }

    void setLayerBitsUndoRedo()
    {
        ProjectModel model;
        QSignalSpy changed(&model, &ProjectModel::layerChoiceChanged);
        QCOMPARE(model.layerBits("conv1", 8), 8);
        model.undoStack()->push(new SetLayerBits(&model, "conv1", 4));
        QCOMPARE(model.layerBits("conv1", 8), 4);
        QVERIFY(model.isModified());
        model.undoStack()->push(new SetLayerBits(&model, "conv1", 2));
        QCOMPARE(model.layerBits("conv1", 8), 2);
        model.undoStack()->undo();
        QCOMPARE(model.layerBits("conv1", 8), 4);
        model.undoStack()->undo();
        QCOMPARE(model.layerBits("conv1", 8), 8); // key removed again, not set to 8
        QVERIFY(!model.project().layers.contains("conv1"));
        model.undoStack()->redo();
        QCOMPARE(model.layerBits("conv1", 8), 4);
        QCOMPARE(changed.count(), 5);
    }

    void jobDeliversResultOnUiThread()
    {
        JobManager jobs;
        QSignalSpy ok(&jobs, &JobManager::jobSucceeded);
        Qt::HANDLE workerThread = nullptr, applyThread = nullptr;
        jobs.start("compute", "test", [&](ProgressSink& p) -> JobApply {
            workerThread = QThread::currentThreadId();
            p.checkpoint(0.5, "half");
            return [&] { applyThread = QThread::currentThreadId(); };
        });
        QVERIFY(jobs.waitForIdle(5000));
        QCOMPARE(ok.count(), 1);
        QVERIFY(workerThread != QThread::currentThreadId());
        QCOMPARE(applyThread, QThread::currentThreadId());
    }

    void cancelStopsLongJob()
    {
        JobManager jobs;
        QSignalSpy cancelled(&jobs, &JobManager::jobCancelled);
        QSignalSpy progress(&jobs, &JobManager::jobProgress);
        std::atomic<int> steps{0};
        bool applied = false;
        int id = jobs.start("long", "test", [&](ProgressSink& p) -> JobApply {
            for (int i = 0; i < 100000; ++i) { // ~100 s if never cancelled
                p.checkpoint(i / 100000.0, "working");
                steps++;
                QThread::msleep(1);
            }
            return [&] { applied = true; };
        });
        QTRY_VERIFY_WITH_TIMEOUT(steps.load() > 20, 5000);
        QVERIFY(jobs.isRunning(id));
        jobs.cancel(id);
        QVERIFY(jobs.waitForIdle(2000));
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!applied);
        QVERIFY(steps.load() < 5000);
        QVERIFY(progress.count() > 0);
    }

    void failingJobReportsError()
    {
        JobManager jobs;
        QSignalSpy failed(&jobs, &JobManager::jobFailed);
        jobs.start("bad", "test", [](ProgressSink&) -> JobApply { fail("model 'x.onnx': broken"); });
        QVERIFY(jobs.waitForIdle(5000));
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(2).toString(), QString("model 'x.onnx': broken"));
    }

    void newerJobOfSameKindCancelsOlder()
    {
        JobManager jobs;
        QSignalSpy cancelled(&jobs, &JobManager::jobCancelled);
        QSignalSpy ok(&jobs, &JobManager::jobSucceeded);
        std::atomic<bool> firstRunning{false};
        int first = jobs.start("layout 1", "layout", [&](ProgressSink& p) -> JobApply {
            firstRunning = true;
            for (;;) {
                p.checkpoint(0, "spin");
                QThread::msleep(1);
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(firstRunning.load(), 5000);
        int second = jobs.start("layout 2", "layout", [](ProgressSink&) -> JobApply { return {}; });
        QVERIFY(jobs.waitForIdle(5000));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).toInt(), first);
        QCOMPARE(ok.count(), 1);
        QCOMPARE(ok.at(0).at(0).toInt(), second);
    }

    void layoutEnginesPlaceEveryNodeTopToBottom_data()
    {
        QTest::addColumn<int>("engine");
        QTest::newRow("graphviz") << int(LayoutEngine::Graphviz);
        QTest::newRow("igraph") << int(LayoutEngine::Igraph);
    }

    void layoutEnginesPlaceEveryNodeTopToBottom()
    {
        QFETCH(int, engine);
        DocumentPtr doc = makeSyntheticDocument(200);
        LayoutInput input;
        for (size_t i = 0; i < doc->displayNodes().size(); ++i)
            input.sizes.emplace_back(120, 50);
        for (const DisplayEdge& e : doc->displayEdges())
            input.edges.emplace_back(e.from, e.to);
        SilentProgress quiet;
        LayoutResult r = computeLayout(input, static_cast<LayoutEngine>(engine), quiet);
        QCOMPARE(r.centers.size(), input.sizes.size());
        QCOMPARE(r.edgePaths.size(), input.edges.size());
        for (const auto& [from, to] : input.edges) // layered: every edge points down
            QVERIFY(r.centers[to].y() > r.centers[from].y());
        for (size_t i = 0; i < r.centers.size(); ++i) // no two boxes overlap
            for (size_t j = i + 1; j < r.centers.size(); ++j)
                QVERIFY(std::abs(r.centers[i].x() - r.centers[j].x()) >= 120 ||
                        std::abs(r.centers[i].y() - r.centers[j].y()) >= 50);
        for (const QPointF& c : r.centers)
            QVERIFY(r.bounds.contains(c));
    }

    void cancelledLayoutThrows()
    {
        LayoutInput input{{QSizeF(10, 10), QSizeF(10, 10)}, {{0, 1}}};
        SilentProgress cancelled;
        cancelled.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, layoutWithGraphviz(input, cancelled));
        QVERIFY_THROWS_EXCEPTION(Cancelled, layoutWithIgraph(input, cancelled));
    }

    void searchRanksExactNameThenOpThenPartial()
    {
        ProjectModel model;
        model.setDocument(diamond());
        SearchController search(&model);
        const Graph& g = model.document()->graph();
        QCOMPARE(search.findNext("c"), *g.findNode("c")); // exact name beats "contains"
        QCOMPARE(model.selection()->current(), *g.findNode("c"));
        QCOMPARE(search.matches("relu"), QVector<NodeId>({*g.findNode("a"), *g.findNode("b")}));
        QCOMPARE(search.findNext("relu"), *g.findNode("a"));
        QCOMPARE(search.findNext("relu"), *g.findNode("b")); // repeated search cycles
        QCOMPARE(search.status(), QString("2 of 2"));
        QCOMPARE(search.findNext("nothing-like-this"), kNoNode);
        QCOMPARE(model.selection()->current(), *g.findNode("b"));
    }

    void navigationWalksProducersAndConsumers()
    {
        ProjectModel model;
        model.setDocument(diamond());
        NavigationController nav(&model);
        const Graph& g = model.document()->graph();
        model.selection()->select(*g.findNode("d"));
        QCOMPARE(nav.goToProducer(), *g.findNode("b"));
        QCOMPARE(nav.goToSibling(+1), *g.findNode("c"));
        QCOMPARE(nav.goToSibling(+1), *g.findNode("b")); // wraps
        QCOMPARE(nav.goToProducer(), *g.findNode("a"));
        QCOMPARE(nav.goToConsumer(), *g.findNode("b")); // back where we came from
        QCOMPARE(nav.goToConsumer(), *g.findNode("d"));
        QCOMPARE(nav.goToConsumer(), kNoNode); // d feeds only the graph output
        QCOMPARE(model.selection()->current(), *g.findNode("d"));
    }

    void tensorStatsMatchHandComputedValues()
    {
        // 1,2,3,4: mean 2.5, population std sqrt(1.25); 4 bins of width 0.75.
        TensorStats s = tensorStats(Tensor::fromVector<float>({4, 1, 3, 2}, {2, 2}), 4);
        QCOMPARE(s.count, int64_t(4));
        QCOMPARE(s.min, 1.0);
        QCOMPARE(s.max, 4.0);
        QCOMPARE(s.mean, 2.5);
        QVERIFY(qFuzzyCompare(s.std, std::sqrt(1.25)));
        QCOMPARE(s.binCounts, std::vector<double>({1, 1, 1, 1}));
        QCOMPARE(s.binCenters.front(), 1.375);
    }

    void smallConstantsShowTheirValues()
    {
        // A 2x3 constant reads row by row; one value past the limit shows nothing.
        const Tensor t = Tensor::fromVector<float>({1, -2.5f, 0.125f, 4, 5, 6}, {2, 3});
        QCOMPARE(tensorValuesText(t), QString("1, -2.5, 0.125\n4, 5, 6"));
        QCOMPARE(tensorValuesText(Tensor::fromVector<float>({7, 8}, {2})), QString("7, 8"));
        QVERIFY(tensorValuesText(t, 5).isEmpty());
    }

    void syntheticGraphReachesTargetSize()
    {
        DocumentPtr doc = makeSyntheticDocument(8000);
        QVERIFY(doc->totals().nodes >= 8000);
        QVERIFY(doc->totals().nodes < 8010);
        // Residual adds and concats join two paths: more edges than nodes.
        QVERIFY(doc->displayEdges().size() > doc->displayNodes().size());
    }
};

QTEST_GUILESS_MAIN(TestStudioLogic)
#include "test_studio_logic.moc"

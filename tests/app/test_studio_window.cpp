// The studio window driven offscreen: open bundled models, search, inspector, shared
// selection, corrupt files, project save/reopen, big graphs.
// Expected node counts come from the model files themselves, counted with
// `protoc --decode=onnx.ModelProto onnx.proto`: digits_resnet has 36 nodes of which 5 are
// Constant (31 ops), mnist_mobile 30 nodes of which 8 are Constant (22 ops).
#include "app/MainWindow.h"
#include "app/model/SyntheticGraph.h"
#include "app/panels/InspectorPanel.h"
#include "app/panels/LogPanel.h"
#include "app/panels/SearchResults.h"
#include "app/panels/SummaryPanel.h"
#include "app/views/GraphScene.h"
#include "app/views/GraphView.h"
#include "core/io/Npy.h"

#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QToolButton>
#include <QTreeWidget>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kModels = QStringLiteral(TESSERA_TEST_DATA "/models");

// Opens `path` and waits until the graph is in the scene (or the jobs end).
bool openAndWait(MainWindow& w, const QString& path, int timeoutMs = 20000)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openPath(path);
    return shown.wait(timeoutMs) || shown.count() > 0;
}

QString attributeValue(QTreeWidget* tree, const QString& name)
{
    for (int s = 0; s < tree->topLevelItemCount(); ++s)
        for (int i = 0; i < tree->topLevelItem(s)->childCount(); ++i)
            if (tree->topLevelItem(s)->child(i)->text(0) == name)
                return tree->topLevelItem(s)->child(i)->text(1);
    return {};
}

} // namespace

class TestStudioWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // keep QSettings away from the user's
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("StudioTest");
    }

    void opensBundledModels_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("ops");
        // Op nodes after the engines' cleanup (Relu fused into the conv before it), as
        // `tessera inspect --optimize` lists them: 31 and 22 in the files.
        QTest::newRow("digits_resnet") << kModels + "/digits/digits_resnet.onnx" << 26;
        QTest::newRow("mnist_mobile") << kModels + "/mnist/mnist_mobile.onnx" << 18;
    }

    void opensBundledModels()
    {
        QFETCH(QString, path);
        QFETCH(int, ops);
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, path));
        // One box per op plus one pill per graph input and output (one each here).
        QCOMPARE(w.graphScene()->nodeItemCount(), ops + 2);
        QCOMPARE(w.projectModel()->document()->totals().nodes, ops);
        QCOMPARE(w.log()->errorCount(), 0);
        QVERIFY(w.windowTitle().contains(QFileInfo(path).fileName()));
        QVERIFY(w.recentFiles().contains(QFileInfo(path).absoluteFilePath()));
    }

    // File > Close leaves the empty studio (no model, untitled, summary empty) and another
    // model opens after it; Open Recent > Clear Recent Files empties the list.
    void closeThenOpenAnotherAndClearRecent()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.graphView()->emptyStateText().contains("Open a model")); // the empty studio says what to do
        QVERIFY(openAndWait(w, kModels + "/mnist/mnist_lenet.onnx"));
        QVERIFY(w.graphView()->emptyStateText().isEmpty());
        w.projectModel()->selection()->select(w.projectModel()->document()->graph().topologicalOrder().front());
        w.findChild<QAction*>("actionClose")->trigger();
        QVERIFY(!w.projectModel()->hasDocument());
        QVERIFY(w.projectModel()->project().modelPath.isEmpty());
        QVERIFY(w.windowTitle().contains("untitled"));
        QCOMPARE(w.graphScene()->nodeItemCount(), 0);
        QVERIFY(!w.graphView()->emptyStateText().isEmpty());
        QCOMPARE(w.summary()->totalsText(), QString("No model loaded"));
        QVERIFY(openAndWait(w, kModels + "/digits/digits_cnn.onnx"));
        QVERIFY(w.windowTitle().contains("digits_cnn.onnx"));
        QVERIFY(w.recentFiles().size() >= 2);
        QAction* clear = w.findChild<QAction*>("actionClearRecent");
        QVERIFY(clear);
        clear->trigger();
        QVERIFY(w.recentFiles().isEmpty());
        QCOMPARE(w.log()->errorCount(), 0);
    }

    void searchSelectsAndCentresNode()
    {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
        // The last node: the view scrolls to the bottom, so it is visible though not centred.
        QTest::keyClicks(w.searchField(), "/m/fc/Gemm");
        QTest::keyClick(w.searchField(), Qt::Key_Return);
        NodeId sel = w.projectModel()->selection()->current();
        QVERIFY(sel != kNoNode);
        QCOMPARE(QString::fromStdString(w.projectModel()->document()->graph().node(sel).name), QString("/m/fc/Gemm"));
        NodeItem* item = w.graphScene()->itemForNode(sel);
        QVERIFY(item && item->isSelected());
        QVERIFY(w.graphView()->viewport()->rect().contains(
            w.graphView()->mapFromScene(item->sceneBoundingRect()).boundingRect()));
        // A node in the middle of the graph ends up centred. Search by op type: one Concat.
        w.searchField()->clear();
        QTest::keyClicks(w.searchField(), "concat");
        QTest::keyClick(w.searchField(), Qt::Key_Return);
        sel = w.projectModel()->selection()->current();
        QCOMPARE(QString::fromStdString(w.projectModel()->document()->graph().node(sel).name), QString("/m/Concat"));
        item = w.graphScene()->itemForNode(sel);
        QVERIFY(item && item->isSelected());
        const QPoint centre = w.graphView()->mapFromScene(item->sceneBoundingRect().center());
        const QRect vp = w.graphView()->viewport()->rect();
        QVERIFY2(std::abs(centre.x() - vp.center().x()) < 40 && std::abs(centre.y() - vp.center().y()) < 40,
                 qPrintable(QString("node at %1,%2").arg(centre.x()).arg(centre.y())));
    }

    void searchResultsListTheMatches()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
        QTest::keyClicks(w.searchField(), "conv");
        // Every match, ranked as Find steps through them; picking one selects it.
        const QVector<NodeId> found = w.searchController()->matches("conv");
        QVERIFY(found.size() > 3);
        QCOMPARE(w.searchResults()->rowCount(), static_cast<int>(found.size()));
        for (int i = 0; i < static_cast<int>(found.size()); ++i)
            QCOMPARE(w.searchResults()->nodeAt(i), found[i]);
        w.searchResults()->pick(2);
        QCOMPARE(w.projectModel()->selection()->current(), found[2]);
        QVERIFY(w.graphScene()->itemForNode(found[2])->isSelected());
    }

    void inspectorShowsAttributesAndWeights()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
        const Graph& g = w.projectModel()->document()->graph();
        const NodeId dw = *g.findNode("/m/block1/dw/Conv");
        w.projectModel()->selection()->select(dw);
        QCOMPARE(w.inspector()->shownNode(), dw);
        QVERIFY(w.inspector()->headerText().contains("/m/block1/dw/Conv"));
        // From the file: group 16 (depthwise), kernel 3x3, input onnx::Conv_98 as weight.
        QCOMPARE(attributeValue(w.inspector()->tree(), "group"), QString("16"));
        QVERIFY(attributeValue(w.inspector()->tree(), "kernel_shape").contains("3"));
        QVERIFY(attributeValue(w.inspector()->tree(), "input 1 (const)").startsWith("onnx::Conv_98"));
        QCOMPARE(QString::fromStdString(g.value(w.inspector()->shownTensor()).name), QString("onnx::Conv_98"));
        // Histogram statistics describe that weight: 16 filters of 1x3x3.
        QCOMPARE(w.inspector()->shownStats().count, int64_t(16 * 9));
        QVERIFY(w.inspector()->shownValuesText().isEmpty()); // 144 values: the histogram only

        QTemporaryDir dir;
        const QString npy = dir.filePath("w.npy");
        w.inspector()->exportShownTensor(npy);
        const Tensor back = readNpy(npy.toStdString());
        QCOMPARE(back.shape(), g.value(w.inspector()->shownTensor()).shape);
        QCOMPARE(back.toFloatVector(), g.value(w.inspector()->shownTensor()).constant.toFloatVector());
    }

    void selectionIsSharedAcrossViews()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/mnist/mnist_mobile.onnx"));
        const Graph& g = w.projectModel()->document()->graph();
        // Select in the graph scene: model, inspector and summary follow.
        const NodeId first = w.projectModel()->document()->orderedNodes().at(3);
        w.graphScene()->itemForNode(first)->setSelected(true);
        QCOMPARE(w.projectModel()->selection()->current(), first);
        QCOMPARE(w.inspector()->shownNode(), first);
        QCOMPARE(w.summary()->placementTree()->currentItem(), w.summary()->itemForNode(first));
        // Click in the summary list: scene and inspector follow.
        const NodeId second = w.projectModel()->document()->orderedNodes().at(7);
        QTreeWidgetItem* entry = w.summary()->itemForNode(second);
        QVERIFY(entry);
        emit w.summary()->placementTree()->itemClicked(entry, 0);
        QCOMPARE(w.projectModel()->selection()->current(), second);
        QVERIFY(w.graphScene()->itemForNode(second)->isSelected());
        QVERIFY(!w.graphScene()->itemForNode(first)->isSelected());
        QVERIFY(w.inspector()->headerText().contains(QString::fromStdString(g.node(second).name)));
    }

    void corruptFileShowsErrorAndStudioSurvives()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/mnist/mnist_mobile.onnx"));
        QTemporaryDir dir;
        const QString bad = dir.filePath("corrupt.onnx");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QFile good(kModels + "/digits/digits_resnet.onnx");
        QVERIFY(good.open(QIODevice::ReadOnly));
        f.write(good.read(5000)); // truncated protobuf
        f.write("\xff\xff\xff\xff garbage");
        f.close();
        QSignalSpy failed(w.jobs(), &JobManager::jobFailed);
        w.openPath(bad);
        QVERIFY(w.jobs()->waitForIdle(20000));
        QCOMPARE(failed.count(), 1);
        QCOMPARE(w.log()->errorCount(), 1);
        QVERIFY2(w.log()->plainText().contains("corrupt.onnx"), qPrintable(w.log()->plainText()));
        // The previous model is still shown, and the studio still opens models.
        QCOMPARE(w.graphScene()->nodeItemCount(), 20);
        QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
        QCOMPARE(w.graphScene()->nodeItemCount(), 28);
    }

    void unsupportedModelDrawsRedNodes()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/unsupported/silero_vad_legacy.onnx"));
        const DocumentPtr& doc = w.projectModel()->document();
        QVERIFY(doc->isLenient());
        QVERIFY(doc->totals().nodesByPlacement[int(Placement::Unsupported)] > 0);
        QTreeWidgetItem* group = w.summary()->placementTree()->topLevelItem(0);
        QVERIFY(group->text(0).startsWith("unsupported"));
        QVERIFY(!group->child(0)->text(1).isEmpty()); // the reason
    }

    void projectSaveAndReopenRoundTrips()
    {
        QTemporaryDir dir;
        const QString projectPath = dir.filePath("digits.tessera");
        {
            MainWindow w;
            w.show();
            QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
            ProjectModel* m = w.projectModel();
            m->undoStack()->push(new SetLayerBits(m, "/m/stem/Conv", 4));
            m->undoStack()->push(new SetLayerBits(m, "/m/fc/Gemm", 6));
            m->setHardwareTarget("amp-m1076");
            QVERIFY(m->isModified());
            QVERIFY(w.windowTitle().contains("*") || w.isWindowModified());
            QVERIFY(w.saveProjectTo(projectPath));
            QVERIFY(!m->isModified());
        }
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, projectPath));
        ProjectModel* m = w.projectModel();
        QCOMPARE(m->projectPath(), QFileInfo(projectPath).absoluteFilePath());
        QCOMPARE(m->layerBits("/m/stem/Conv", 8), 4);
        QCOMPARE(m->layerBits("/m/fc/Gemm", 8), 6);
        QCOMPARE(m->project().hardwareTarget, QString("amp-m1076"));
        QCOMPARE(QFileInfo(m->project().modelPath).canonicalFilePath(),
                 QFileInfo(kModels + "/digits/digits_resnet.onnx").canonicalFilePath());
        QCOMPARE(w.graphScene()->nodeItemCount(), 28);
        QVERIFY(!m->isModified());
    }

    void keyboardWalksTheGraph()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/digits/digits_resnet.onnx"));
        const Graph& g = w.projectModel()->document()->graph();
        // From the file: /m/Concat reads /m/Relu_2 (fused into /m/down/Conv by the cleanup) and
        // /m/down_pool/MaxPool, feeds /m/block2/dw/Conv.
        w.projectModel()->selection()->select(*g.findNode("/m/Concat"));
        w.graphView()->setFocus();
        QTest::keyClick(w.graphView(), Qt::Key_Down);
        QCOMPARE(w.projectModel()->selection()->current(), *g.findNode("/m/block2/dw/Conv"));
        QTest::keyClick(w.graphView(), Qt::Key_Up);
        QCOMPARE(w.projectModel()->selection()->current(), *g.findNode("/m/Concat"));
        QTest::keyClick(w.graphView(), Qt::Key_Up);
        const QString producer = QString::fromStdString(g.node(w.projectModel()->selection()->current()).name);
        QVERIFY2(producer == "/m/down/Conv" || producer == "/m/down_pool/MaxPool", qPrintable(producer));
        const double before = w.graphView()->zoom();
        QTest::keyClick(w.graphView(), Qt::Key_Plus);
        QVERIFY(w.graphView()->zoom() > before);
    }

    void newerLayoutReplacesOlder()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, kModels + "/mnist/mnist_mobile.onnx"));
        QSignalSpy ready(w.layoutController(), &LayoutController::layoutReady);
        QSignalSpy cancelled(w.jobs(), &JobManager::jobCancelled);
        w.showDocument(makeSyntheticDocument(3000));
        w.showDocument(makeSyntheticDocument(500)); // arrives while the first layout runs
        QVERIFY(w.jobs()->waitForIdle(60000));
        QCOMPARE(ready.count(), 1);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(w.graphScene()->document(), w.projectModel()->document());
        QVERIFY(w.graphScene()->nodeItemCount() < 600);
    }

    void statusBarCancelStopsJob()
    {
        MainWindow w;
        w.show();
        std::atomic<bool> started{false};
        QSignalSpy cancelled(w.jobs(), &JobManager::jobCancelled);
        w.jobs()->start("long work", "test", [&](ProgressSink& p) -> JobApply {
            started = true;
            for (int i = 0; i < 60000; ++i) {
                p.checkpoint(i / 60000.0, "working");
                QThread::msleep(1);
            }
            return {};
        });
        QTRY_VERIFY(started.load());
        auto* cancel = w.findChild<QToolButton*>("cancelJobButton");
        QVERIFY(cancel);
        QTRY_VERIFY(cancel->isVisible());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(w.jobs()->waitForIdle(3000));
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(w.log()->plainText().contains("long work: cancelled"));
    }

    void bigSyntheticGraphOpensAndStaysResponsive()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QSignalSpy shown(&w, &MainWindow::documentShown);
        QElapsedTimer clock;
        clock.start();
        w.showDocument(makeSyntheticDocument(8000));
        // While the layout runs on a worker thread the UI thread keeps serving events.
        int ticks = 0;
        QTimer timer;
        connect(&timer, &QTimer::timeout, [&] { ++ticks; });
        timer.start(10);
        QVERIFY(shown.wait(60000));
        timer.stop();
        QVERIFY(ticks > 0);
        QVERIFY(w.graphScene()->nodeItemCount() > 8000);
        qInfo("8,000-node graph: layout + scene in %lld ms", static_cast<long long>(clock.elapsed()));
        w.graphView()->fitToWindow();
        QVERIFY(!w.graphView()->grab().isNull());
    }
};

QTEST_MAIN(TestStudioWindow)
#include "test_studio_window.moc"

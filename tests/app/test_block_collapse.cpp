// Collapsed blocks in the studio window (offscreen): on by default above 500 nodes, one
// box per layer, double-click and "+" expand, a hidden node selected elsewhere selects its
// block and is revealed (its block expanded) by search, the View toggle brings every node
// back. Screenshots (TESSERA_SCREENSHOT_DIR, with TESSERA_REAL_MODELS for the real
// exports): collapsed-transformer100.png, collapsed-resnet50.png, collapsed-resnet50-layer1.png.
#include "app/MainWindow.h"
#include "app/model/ProjectFile.h"
#include "app/views/GraphScene.h"
#include "app/views/GraphView.h"
#include "tests/app/ScopedGraphs.h"
#include "tests/app/WaitFor.h"

#include <QAction>
#include <QApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;
using namespace tessera::studio::testing;

namespace {

constexpr int kLayers = 130; // 4 ops each: 521 op nodes, above the collapse threshold

bool showAndWait(MainWindow& w, DocumentPtr doc)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.showDocument(std::move(doc));
    return shown.wait(30000) || shown.count() > 0;
}

// Runs `action` (which changes the collapsed blocks) and waits for the new layout.
template <class Action> bool relaidOut(MainWindow& w, Action action)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    action();
    return shown.wait(30000) || shown.count() > 0;
}

QAction* collapseAction(MainWindow& w)
{
    return w.findChild<QAction*>("actionCollapseBlocks");
}

NodeId nodeNamed(MainWindow& w, const std::string& name)
{
    return *w.projectModel()->document()->graph().findNode(name);
}

QPoint viewPosOf(GraphView* view, const QPointF& scenePos)
{
    view->centerOn(scenePos);
    return view->mapFromScene(scenePos);
}

} // namespace

class TestBlockCollapse : public QObject {
    Q_OBJECT
private slots:
    void bigGraphOpensWithOneBoxPerLayer()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(showAndWait(w, transformerLike(kLayers)));
        QVERIFY(collapseAction(w)->isChecked());
        QCOMPARE(w.graphScene()->groupItemCount(), kLayers);
        QCOMPARE(w.graphScene()->nodeItemCount(), 3); // input, head, output
        QVERIFY(w.graphScene()->groupForScope(0)->label().name.startsWith("4 nodes"));
        // A small model opens with every node.
        QVERIFY(showAndWait(w, resnetLike()));
        QVERIFY(!collapseAction(w)->isChecked());
        QCOMPARE(w.graphScene()->groupItemCount(), 0);
        QCOMPARE(w.graphScene()->nodeItemCount(), static_cast<int>(w.projectModel()->document()->displayNodes().size()));
    }

    void expandingRestoresTheMembers()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(showAndWait(w, transformerLike(kLayers)));
        GraphScene* scene = w.graphScene();
        GraphView* view = w.graphView();
        const NodeId add = nodeNamed(w, "/layers.5/Add");
        QVERIFY(!scene->itemForNode(add) && scene->groupForNode(add));
        const QPointF center = scene->groupForNode(add)->sceneBoundingRect().center();
        QVERIFY(relaidOut(w, [&] { QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, viewPosOf(view, center)); }));
        // layers.5 is open: its Add and linear1 have cards, self_attn (2 nodes) is a block.
        QCOMPARE(scene->nodeItemCount(), 3 + 2);
        QCOMPARE(scene->groupItemCount(), kLayers);
        QVERIFY(scene->itemForNode(add) && scene->itemForNode(nodeNamed(w, "/layers.5/linear1/MatMul")));
        GroupItem* attn = scene->groupForNode(nodeNamed(w, "/layers.5/self_attn/MatMul"));
        QVERIFY(attn && attn->path() == "layers.5/self_attn");
        // Its "+" opens it too.
        const QPointF plus = attn->mapToScene(attn->expandButtonRect().center());
        QVERIFY(relaidOut(w, [&] { QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, viewPosOf(view, plus)); }));
        QCOMPARE(scene->nodeItemCount(), 3 + 4);
        QVERIFY(scene->itemForNode(nodeNamed(w, "/layers.5/self_attn/Softmax")));
        // The open block is framed; its "−" collapses it again.
        ScopeFrameItem* frame = scene->frameForScope(scene->blocks().tree->findPath("layers.5"));
        QVERIFY(frame && frame->boundingRect().contains(scene->itemForNode(add)->sceneBoundingRect()));
        const QPointF minus = frame->collapseButtonRect().center();
        QVERIFY(relaidOut(w, [&] { QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, viewPosOf(view, minus)); }));
        QCOMPARE(scene->nodeItemCount(), 3);
        QCOMPARE(scene->frameItemCount(), 0);
        QVERIFY(scene->groupForNode(add));
        // View > Collapse Blocks off: every node.
        QVERIFY(relaidOut(w, [&] { collapseAction(w)->trigger(); }));
        QCOMPARE(scene->groupItemCount(), 0);
        QCOMPARE(scene->nodeItemCount(), static_cast<int>(w.projectModel()->document()->displayNodes().size()));
        // On again: the default overview.
        QVERIFY(relaidOut(w, [&] { collapseAction(w)->trigger(); }));
        QCOMPARE(scene->groupItemCount(), kLayers);
    }

    void selectionReachesNodesInsideBlocks()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(showAndWait(w, transformerLike(kLayers)));
        GraphScene* scene = w.graphScene();
        SelectionModel* selection = w.projectModel()->selection();
        const NodeId hidden = nodeNamed(w, "/layers.77/linear1/MatMul");
        // Selected without reveal (a rubber band, another panel): its block is selected.
        selection->setSelection({hidden});
        QVERIFY(scene->groupForNode(hidden)->isSelected());
        // Clicking a block selects its nodes everywhere.
        GroupItem* block = scene->groupForNode(nodeNamed(w, "/layers.3/Add"));
        scene->clearSelection();
        block->setSelected(true);
        QCOMPARE(selection->selected().size(), 4);
        QVERIFY(selection->isSelected(nodeNamed(w, "/layers.3/self_attn/Softmax")));
        // Search (select with reveal) opens the blocks around the match and centres it.
        QVERIFY(relaidOut(w, [&] { w.searchController()->findNext("/layers.90/self_attn/Softmax"); }));
        const NodeId found = nodeNamed(w, "/layers.90/self_attn/Softmax");
        QCOMPARE(selection->current(), found);
        NodeItem* card = scene->itemForNode(found);
        QVERIFY(card && card->isSelected());
        GraphView* view = w.graphView();
        const QRectF visible = view->mapToScene(view->viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(card->sceneBoundingRect().center()));
        QCOMPARE(scene->groupItemCount(), kLayers - 1); // only layers.90 and its self_attn opened
    }

    void choiceIsPartOfTheProject()
    {
        ProjectFile saved;
        {
            MainWindow w;
            w.show();
            QVERIFY(showAndWait(w, transformerLike(kLayers)));
            const int scope = w.graphScene()->blocks().tree->findPath("layers.5");
            QVERIFY(relaidOut(w, [&] { w.layoutController()->blocks()->setCollapsed(scope, false); }));
            QVERIFY(!w.projectModel()->isModified()); // view state: saved, but not an edit
            saved = w.projectModel()->project();
        }
        // Reopened: layers.5 open again (its self_attn a block), the other layers collapsed.
        MainWindow w;
        w.show();
        w.projectModel()->adoptProject(saved, "reopened.tessera");
        QVERIFY(relaidOut(w, [&] { w.projectModel()->setDocument(transformerLike(kLayers)); }));
        QVERIFY(!w.graphScene()->groupForNode(nodeNamed(w, "/layers.5/Add")));
        QVERIFY(w.graphScene()->groupForNode(nodeNamed(w, "/layers.6/Add")));
        QCOMPARE(w.graphScene()->groupItemCount(), kLayers);
        QVERIFY(!w.projectModel()->isModified());
        // Switched off, it opens whole.
        QVERIFY(relaidOut(w, [&] { collapseAction(w)->trigger(); }));
        saved = w.projectModel()->project();
        MainWindow again;
        again.show();
        again.projectModel()->adoptProject(saved, "reopened.tessera");
        QVERIFY(relaidOut(again, [&] { again.projectModel()->setDocument(transformerLike(kLayers)); }));
        QVERIFY(!collapseAction(again)->isChecked());
        QCOMPARE(again.graphScene()->groupItemCount(), 0);
    }

    // Looking at a model is not editing it: a search that expands a block, Colour by Bits and
    // Collapse Blocks leave a saved project unmodified (no "Save changes?" on close) and the
    // undo stack clean, and are saved with it all the same. A real edit still modifies it.
    void viewStateLeavesTheProjectUnmodified()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("view.tessera");
        MainWindow w;
        w.show();
        QVERIFY(showAndWait(w, transformerLike(kLayers)));
        QVERIFY(w.saveProjectTo(path));
        QVERIFY(relaidOut(w, [&] { w.searchController()->findNext("/layers.90/self_attn/Softmax"); }));
        w.findChild<QAction*>("actionColourByBits")->trigger();
        ProjectModel* model = w.projectModel();
        QVERIFY(!model->isModified());
        QVERIFY(!w.isWindowModified());
        QVERIFY(model->undoStack()->isClean());
        QVERIFY(w.saveProjectTo(path));
        QVERIFY(!model->isModified());
        const QJsonObject view = readProjectFile(path).panels.value("view").toObject();
        QVERIFY(view.value("colourByBits").toBool());
        QVERIFY(view.value("blockOverrides").toObject().contains("layers.90")); // expanded by the search
        QVERIFY(relaidOut(w, [&] { collapseAction(w)->trigger(); }));
        QVERIFY(!model->isModified());
        QVERIFY(!w.workspace()->quant()->layers().isEmpty());
        w.workspace()->quant()->setBits(w.workspace()->quant()->layers()[0].name, 4);
        QVERIFY(model->isModified());
        QVERIFY(w.isWindowModified());
    }

    void edgeShapesAreOptionalLabels()
    {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(showAndWait(w, resnetLike()));
        GraphView* view = w.graphView();
        view->setTransform(QTransform());
        const QImage before = view->viewport()->grab().toImage();
        auto* action = w.findChild<QAction*>("actionEdgeShapes");
        QVERIFY(action && !action->isChecked());
        action->trigger();
        for (EdgeItem* edge : w.graphScene()->edgeItems())
            QVERIFY(edge->shapeLabelShown());
        QVERIFY(view->viewport()->grab().toImage() != before); // "1×4" next to the edges
        // Kept when the graph is laid out again.
        QVERIFY(relaidOut(w, [&] { w.layoutController()->relayout(); }));
        QVERIFY(w.graphScene()->edgeItems().front()->shapeLabelShown());
    }

    void screenshotsOfCollapsedRealExports()
    {
        const QString shots = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        const QString models = qEnvironmentVariable("TESSERA_REAL_MODELS");
        if (shots.isEmpty() || models.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR and TESSERA_REAL_MODELS for the screenshots");
        const bool dark = qEnvironmentVariable("TESSERA_STUDIO_THEME") == "dark"; // as main() does
        if (dark)
            QApplication::setPalette(style::darkPalette());
        const QString suffix = dark ? "-dark.png" : ".png";
        MainWindow w;
        w.resize(1500, 920);
        w.show();
        QSignalSpy shown(&w, &MainWindow::documentShown);
        w.openPath(models + "/deep/transformer_encoder_100.onnx");
        QVERIFY(shown.wait(60000));
        QVERIFY(collapseAction(w)->isChecked());
        QVERIFY(w.graphScene()->groupItemCount() >= 100);
        QTest::qWait(200);
        QVERIFY(w.grab().save(shots + "/collapsed-transformer100" + suffix));
        w.openPath(models + "/resnet50.onnx");
        QVERIFY(shown.wait(60000));
        QVERIFY(relaidOut(w, [&] { collapseAction(w)->trigger(); }));
        QCOMPARE(w.graphScene()->groupItemCount(), 4);
        QTest::qWait(200);
        QVERIFY(w.grab().save(shots + "/collapsed-resnet50" + suffix));
        // Its first stage opened: a frame around the three bottleneck blocks.
        const int stage = w.graphScene()->blocks().tree->findPath("layer1");
        QVERIFY(relaidOut(w, [&] { w.layoutController()->blocks()->setCollapsed(stage, false); }));
        QCOMPARE(w.graphScene()->groupItemCount(), 6);
        QTest::qWait(200);
        QVERIFY(w.grab().save(shots + "/collapsed-resnet50-layer1" + suffix));
    }
};

QTEST_MAIN(TestBlockCollapse)
#include "test_block_collapse.moc"

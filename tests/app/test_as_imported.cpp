// The cleaned graph by default and View > Show As Imported (offscreen): on a small export
// whose weights arrive through Identity nodes (written here with the importer tests' ONNX
// writer), the default view draws no Identity and as many op cards as the file has nodes
// minus its Identity nodes (both counted from the ModelProto); the toggle draws every file
// node; a raw Identity names the weight it forwarded in the Inspector; selection carries
// across the toggle; counts and placement stay the cleaned graph's; the choice is saved. The
// cleaned graph is the engines' (BatchNorm folded, Relu fused): a fused or folded node selects the
// node it became and the Inspector quotes the pass.
// Screenshots (TESSERA_SCREENSHOT_DIR with TESSERA_REAL_MODELS): as-imported-transformer*.png.
#include "app/MainWindow.h"
#include "app/panels/InspectorPanel.h"
#include "app/panels/QuantPanel.h"
#include "app/views/GraphItems.h"
#include "app/views/GraphScene.h"
#include "quant/Dataset.h"
#include "tests/core/test_onnx_import_util.h"

#include <QAction>
#include <QElapsedTimer>
#include <QGraphicsView>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace tessera;
using namespace tessera::studio;

namespace {

// x[1,4] @ Identity(W1[4,8]) -> Relu -> @ Identity(Identity(W2[8,3])), as torch.onnx writes
// shared parameters.
testing::OnnxModel identityExport()
{
    testing::OnnxModel m(13);
    m.input("x", {1, 4});
    m.initializer("W1", {4, 8}, std::vector<float>(32, 0.25f));
    m.initializer("W2", {8, 3}, std::vector<float>(24, -0.5f));
    m.node("Identity", {"W1"}, {"w1_alias"}, "Identity_0");
    m.node("Identity", {"W2"}, {"w2_a"}, "Identity_1");
    m.node("Identity", {"w2_a"}, {"w2_b"}, "Identity_2");
    m.node("MatMul", {"x", "w1_alias"}, {"h"}, "fc1");
    m.node("Relu", {"h"}, {"r"}, "relu");
    m.node("MatMul", {"r", "w2_b"}, {"y"}, "fc2");
    m.output("y");
    return m;
}

// x[1,2,6,6] -> Conv(Identity(Wc)) -> BatchNormalization -> Relu -> Flatten -> MatMul(Identity(W)):
// a torchvision block in training-mode export, weights through Identity nodes.
testing::OnnxModel convBnReluExport()
{
    testing::OnnxModel m(13);
    m.input("x", {1, 2, 6, 6});
    m.initializer("Wc", {3, 2, 3, 3}, std::vector<float>(54, 0.125f));
    for (const char* p : {"gamma", "beta", "mean", "var"})
        m.initializer(p, {3}, {0.5f, 1.0f, 1.5f});
    m.initializer("W", {48, 5}, std::vector<float>(240, -0.25f));
    m.node("Identity", {"Wc"}, {"wc_alias"}, "Identity_0");
    m.node("Identity", {"W"}, {"w_alias"}, "Identity_1");
    m.node("Conv", {"x", "wc_alias"}, {"c"}, "conv");
    m.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"b"}, "bn");
    m.node("Relu", {"b"}, {"r"}, "relu");
    m.node("Flatten", {"r"}, {"f"}, "flatten");
    m.node("MatMul", {"f", "w_alias"}, {"y"}, "fc");
    m.output("y");
    return m;
}

// The model written to `name` in `dir`; its path.
QString written(const QTemporaryDir& dir, const QString& name, testing::OnnxModel& model)
{
    const QString path = dir.filePath(name);
    std::ofstream(path.toStdString(), std::ios::binary) << model.bytes();
    return path;
}

int countOps(const onnx::ModelProto& model, const std::string& opType)
{
    int n = 0;
    for (const onnx::NodeProto& node : model.graph().node())
        n += opType.empty() || node.op_type() == opType;
    return n;
}

// Op cards drawn, and how many of them are Identity nodes.
std::pair<int, int> drawnOps(GraphScene* scene)
{
    int ops = 0, identities = 0;
    for (NodeItem* item : scene->boxItems())
        if (item->displayNode().kind == DisplayKind::Op) {
            ++ops;
            identities += scene->document()->graph().node(item->nodeId()).opType == "Identity";
        }
    return {ops, identities};
}

NodeItem* drawnNamed(GraphScene* scene, const std::string& name)
{
    for (NodeItem* item : scene->boxItems())
        if (item->nodeId() != kNoNode && scene->document()->graph().node(item->nodeId()).name == name)
            return item;
    return nullptr;
}

bool toggled(MainWindow& w)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.findChild<QAction*>("actionShowAsImported")->trigger();
    return shown.wait(30000) || shown.count() > 0;
}

bool opened(MainWindow& w, const QString& path)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openPath(path);
    return shown.wait(60000) || shown.count() > 0;
}

} // namespace

class TestAsImported : public QObject {
    Q_OBJECT
private slots:
    void cleanedByDefaultAsImportedOnToggle()
    {
        testing::OnnxModel model = identityExport();
        const int fileNodes = countOps(model.proto(), ""), identities = countOps(model.proto(), "Identity");
        const int relus = countOps(model.proto(), "Relu"); // fused into fc1 by the engines' cleanup
        QTemporaryDir dir;
        const QString path = written(dir, "identity_export.onnx", model);
        MainWindow w;
        w.show();
        QVERIFY(opened(w, path));
        QCOMPARE(drawnOps(w.graphScene()), std::make_pair(fileNodes - identities - relus, 0));
        const ModelTotals totals = w.projectModel()->document()->totals();
        QCOMPARE(totals.nodesByPlacement[int(Placement::Analog)], 2); // fc1 and fc2 see constant weights
        QVERIFY(toggled(w));
        QVERIFY(w.findChild<QAction*>("actionShowAsImported")->isChecked());
        QCOMPARE(drawnOps(w.graphScene()), std::make_pair(fileNodes, identities));
        const DocumentPtr& shown = w.graphScene()->document();
        QCOMPARE(shown->totals().nodes, totals.nodes); // counts stay the cleaned graph's
        QCOMPARE(shown->analysis(*shown->graph().findNode("fc2")).placement.placement, Placement::Analog);
        // A folded Identity names the weight it forwarded (through the chain).
        drawnNamed(w.graphScene(), "Identity_2")->setSelected(true);
        QVERIFY(w.inspector()->shownText().contains("removed as Identity of weight W2 (now a constant input of fc2)"));
        QCOMPARE(w.projectModel()->selection()->current(), kNoNode);
        w.graphScene()->clearSelection();
        drawnNamed(w.graphScene(), "relu")->setSelected(true);
        QVERIFY(w.inspector()->shownText().contains("became: fused into fc1 as its activation"));
        QCOMPARE(w.projectModel()->selection()->current(), *w.projectModel()->document()->graph().findNode("fc1"));
        w.graphScene()->clearSelection();
        drawnNamed(w.graphScene(), "fc1")->setSelected(true);
        QVERIFY(w.inspector()->shownText().contains("became: unchanged"));
        // Selection carries across the toggle, and the choice is a project view option.
        QVERIFY(w.projectModel()->project().panels.value("view").toObject().value("showAsImported").toBool());
        QVERIFY(toggled(w));
        const NodeId fc1 = *w.projectModel()->document()->graph().findNode("fc1");
        QCOMPARE(w.projectModel()->selection()->current(), fc1);
        QVERIFY(w.graphScene()->itemForNode(fc1)->isSelected());
        QVERIFY(toggled(w));
        QVERIFY(drawnNamed(w.graphScene(), "fc1")->isSelected());
    }

    // The engines' cleanup by default (BatchNorm folded, Relu fused), and Show As Imported
    // maps each file node through what the passes recorded.
    void foldedAndFusedNodesSayWhatTheyBecame()
    {
        testing::OnnxModel model = convBnReluExport();
        const onnx::ModelProto& proto = model.proto();
        QTemporaryDir dir;
        const QString path = written(dir, "conv_bn_relu.onnx", model);
        MainWindow w;
        w.show();
        QVERIFY(opened(w, path));
        const int removed = countOps(proto, "Identity") + countOps(proto, "BatchNormalization") + countOps(proto, "Relu");
        QCOMPARE(drawnOps(w.graphScene()).first, countOps(proto, "") - removed);
        const Graph& cleaned = w.projectModel()->document()->graph();
        QCOMPARE(cleaned.node(*cleaned.findNode("conv")).attrs.getString("fused_activation", ""), std::string("Relu"));
        // The same graph the engines quantize.
        quant::ModelGraphs graphs(path.toStdString());
        const Graph& engines = graphs.forBatch(1);
        QCOMPARE(engines.liveNodeCount(), cleaned.liveNodeCount());
        for (NodeId id : engines.liveNodes())
            QVERIFY2(cleaned.findNode(engines.node(id).name), engines.node(id).name.c_str());
        QVERIFY(toggled(w));
        QCOMPARE(drawnOps(w.graphScene()).first, countOps(proto, ""));
        const NodeId conv = *cleaned.findNode("conv");
        const struct {
            const char* node;
            NodeId selects;
            const char* text;
        } cases[] = {
            {"relu", conv, "became: fused into conv as its activation"},
            {"bn", conv, "became: folded into conv (BatchNormalization"},
            {"Identity_1", kNoNode, "became: removed as Identity of weight W (now a constant input of fc)"},
            {"flatten", *cleaned.findNode("flatten"), "became: unchanged"},
        };
        for (const auto& c : cases) {
            w.graphScene()->clearSelection();
            drawnNamed(w.graphScene(), c.node)->setSelected(true);
            QVERIFY2(w.inspector()->shownText().contains(c.text), qPrintable(w.inspector()->shownText()));
            QCOMPARE(w.projectModel()->selection()->current(), c.selects);
        }
        const DocumentPtr& shown = w.graphScene()->document();
        QCOMPARE(shown->analysis(*shown->graph().findNode("relu")).placement.placement, Placement::Analog); // the conv's
        QCOMPARE(shown->totals().macs, w.projectModel()->document()->totals().macs);
    }

    // The cleaned graph says what became of the file's nodes without the Inspector: the conv
    // box reads "Conv + BN + Relu" (file order). As imported, the fused Relu is placed and
    // counted with the conv, and its Inspector says so instead of "MACs: 0".
    void fusedBoxesSayWhatTheyAbsorbed()
    {
        testing::OnnxModel model = convBnReluExport();
        QTemporaryDir dir;
        const QString path = written(dir, "conv_bn_relu.onnx", model);
        MainWindow w;
        w.show();
        QVERIFY(opened(w, path));
        QCOMPARE(drawnNamed(w.graphScene(), "conv")->label().title, QString("Conv + BN + Relu"));
        QCOMPARE(drawnNamed(w.graphScene(), "fc")->label().title, QString("MatMul"));
        const DocumentPtr cleaned = w.projectModel()->document();
        const std::string convReason = cleaned->analysis(*cleaned->graph().findNode("conv")).placement.reason;
        QVERIFY(toggled(w));
        QCOMPARE(drawnNamed(w.graphScene(), "conv")->label().title, QString("Conv")); // the Relu has its own box
        drawnNamed(w.graphScene(), "relu")->setSelected(true);
        const QString text = w.inspector()->shownText();
        QVERIFY2(text.contains("as part of conv: " +
                               QString::fromStdString(convReason).toHtmlEscaped()),
                 qPrintable(text));
        QVERIFY2(text.contains("counted in: conv") && !text.contains("MACs:"), qPrintable(text));
        QVERIFY(text.indexOf("became: fused into conv") < text.indexOf("Cost")); // its own line, first
    }

    // The quantization table keeps the end of long exported names ("…/layer1.0/conv2/Conv")
    // in a 920 px window (it was cut to "/…" on ResNet-50), and the tooltip has the whole name.
    void quantTableKeepsTheEndOfLayerNames()
    {
        testing::OnnxModel m(13);
        m.input("x", {1, 2, 6, 6});
        m.initializer("W1", {3, 2, 3, 3}, std::vector<float>(54, 0.125f));
        m.initializer("W2", {3, 3, 3, 3}, std::vector<float>(81, 0.25f));
        const QString conv2 = "/layer1/layer1.0/conv2/Conv";
        m.node("Conv", {"x", "W1"}, {"a"}, "/layer1/layer1.0/conv1/Conv");
        m.node("Conv", {"a", "W2"}, {"y"}, conv2.toStdString());
        m.output("y");
        QTemporaryDir dir;
        MainWindow w;
        w.resize(1500, 920);
        w.show();
        QVERIFY(opened(w, written(dir, "long_names.onnx", m)));
        w.findChild<QAction*>("actionResetLayout")->trigger();
        QTest::qWait(50);
        QTableWidget* table = w.quantPanel()->table();
        const QList<QTableWidgetItem*> found = table->findItems(conv2, Qt::MatchExactly);
        QCOMPARE(found.size(), 1);
        QCOMPARE(found[0]->toolTip(), conv2);
        QVERIFY(!table->wordWrap()); // wrapped, the first line "/layer1/layer1.0/…" is what shows
        const int room = table->columnWidth(0) - 12; // the item's margins
        const QString shown = table->fontMetrics().elidedText(conv2, table->textElideMode(), room);
        QVERIFY2(shown.endsWith("conv2/Conv") && shown.size() >= 16, qPrintable(shown));
    }

    // Node counts and open times of the real exports, and ResNet-50 cleaned and as imported
    // with its stem Relu selected (fused into /conv1/Conv).
    void realExportsCleanedAndAsImported()
    {
        const QString shots = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        const QString models = qEnvironmentVariable("TESSERA_REAL_MODELS");
        if (shots.isEmpty() || models.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR and TESSERA_REAL_MODELS for the screenshots");
        for (const char* name : {"mobilenet_v3_small", "transformer_encoder", "resnet50"}) {
            MainWindow w;
            w.resize(1500, 920);
            w.show();
            QElapsedTimer timer;
            timer.start();
            QVERIFY(opened(w, models + "/" + name + ".onnx"));
            const qint64 ms = timer.elapsed();
            const DocumentPtr& doc = w.projectModel()->document();
            qInfo("%s: %zu nodes cleaned, %zu as imported, %d analog, opened and drawn in %lld ms", name,
                  doc->graph().liveNodeCount(), doc->asImported()->graph().liveNodeCount(),
                  doc->totals().nodesByPlacement[int(Placement::Analog)], ms);
            if (std::string(name) != "resnet50")
                continue;
            QTest::qWait(200);
            QVERIFY(w.grab().save(shots + "/resnet50-cleaned.png"));
            QVERIFY(toggled(w));
            NodeItem* relu = drawnNamed(w.graphScene(), "/relu/Relu");
            QVERIFY(relu);
            relu->setSelected(true);
            w.graphScene()->views().first()->centerOn(relu);
            QVERIFY(w.inspector()->shownText().contains("fused into /conv1/Conv as its activation"));
            QTest::qWait(200);
            QVERIFY(w.grab().save(shots + "/resnet50-as-imported.png"));
        }
    }

    void screenshotsOfTheTransformerExport()
    {
        const QString shots = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        const QString models = qEnvironmentVariable("TESSERA_REAL_MODELS");
        if (shots.isEmpty() || models.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR and TESSERA_REAL_MODELS for the screenshots");
        MainWindow w;
        w.resize(1500, 920);
        w.show();
        QVERIFY(opened(w, models + "/transformer_encoder.onnx"));
        QTest::qWait(200);
        QVERIFY(w.grab().save(shots + "/cleaned-transformer.png"));
        const auto cleaned = drawnOps(w.graphScene());
        QVERIFY(toggled(w));
        const auto raw = drawnOps(w.graphScene());
        qInfo("transformer_encoder: %d op nodes cleaned (%d Identity), %d as imported (%d Identity)", cleaned.first,
              cleaned.second, raw.first, raw.second);
        QCOMPARE(cleaned.second, 0);
        const DocumentPtr& doc = w.projectModel()->document();
        QCOMPARE(cleaned.first, int(doc->graph().liveNodeCount()));
        QCOMPARE(raw.first, int(doc->asImported()->graph().liveNodeCount())); // Identity, shape arithmetic too
        for (NodeItem* item : w.graphScene()->boxItems())
            if (item->nodeId() != kNoNode && w.graphScene()->document()->graph().node(item->nodeId()).opType == "Identity") {
                item->setSelected(true);
                w.graphScene()->views().first()->centerOn(item);
                break;
            }
        QTest::qWait(200);
        QVERIFY(w.grab().save(shots + "/as-imported-transformer.png"));
    }
};

QTEST_MAIN(TestAsImported)
#include "test_as_imported.moc"

// Graph inputs and outputs are selectable, offscreen on mnist_lenet (input float32 [1,1,28,28],
// output float32 [1,10], as `tessera inspect` and the ONNX file declare them): selecting
// the input's pill or the value in the selection model shows its name, dtype, dims, role
// and consumers in the inspector. TESSERA_SCREENSHOT_DIR=dir saves dir/inspector-graph-input.png.
#include "app/MainWindow.h"
#include "app/model/NodeDetails.h"
#include "app/panels/InspectorPanel.h"
#include "app/panels/SummaryPanel.h"
#include "app/model/ModelLoader.h"
#include "app/views/GraphScene.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {
// mnist_lenet (input float32 [1,1,28,28], output float32 [1,10]) in a shown 1500x900 window.
bool openLenet(MainWindow& w)
{
    QStandardPaths::setTestModeEnabled(true);
    w.resize(1500, 900);
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openPath(QStringLiteral(TESSERA_TEST_DATA "/models/mnist/mnist_lenet.onnx"));
    return shown.wait(30000) || shown.count() > 0;
}
} // namespace

class TestIoSelection : public QObject {
    Q_OBJECT
private slots:
    void inspectorShowsGraphInputAndOutput()
    {
        MainWindow w;
        QVERIFY(openLenet(w));
        const Graph& g = w.projectModel()->document()->graph();

        // Clicking the input's pill selects the value everywhere.
        NodeItem* pill = w.graphScene()->itemForValue(g.inputs().at(0));
        QVERIFY(pill);
        pill->setSelected(true);
        QCOMPARE(w.projectModel()->selection()->currentValue(), g.inputs().at(0));
        QString text = w.inspector()->shownText();
        QVERIFY2(text.contains("name: input") && text.contains("float32") && text.contains("1×1×28×28"), qPrintable(text));
        QVERIFY(text.contains("graph input") && text.contains("(Conv)"));
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            QTest::qWait(200); // let the dock lay out the new header
            QVERIFY(w.grab().save(dir + "/inspector-graph-input.png"));
        }

        w.projectModel()->selection()->selectValue(g.outputs().at(0));
        QVERIFY(w.graphScene()->itemForValue(g.outputs().at(0))->isSelected() && !pill->isSelected());
        text = w.inspector()->shownText();
        QVERIFY2(text.contains("name: output") && text.contains("float32") && text.contains("1×10"), qPrintable(text));
        QVERIFY(text.contains("graph output") && text.contains("Producer"));

        w.projectModel()->selection()->select(g.value(g.outputs().at(0)).producer);
        QCOMPARE(w.projectModel()->selection()->currentValue(), kNoValue);
        QVERIFY(!w.inspector()->shownText().contains("graph output"));
    }

    // The Model Summary lists the graph's inputs and outputs; clicking one selects the value
    // (graph pill and inspector follow), and a value selected elsewhere is current there.
    void summaryListsInputsAndOutputs()
    {
        MainWindow w;
        QVERIFY(openLenet(w));
        const Graph& g = w.projectModel()->document()->graph();
        QTreeWidgetItem* in = w.summary()->itemForValue(g.inputs().at(0));
        QVERIFY(in);
        QCOMPARE(in->text(0), QString("input  input"));
        QCOMPARE(in->text(1), QString("float32 1×1×28×28"));
        QTreeWidget* tree = w.summary()->placementTree();
        emit tree->itemClicked(in, 0);
        QCOMPARE(w.projectModel()->selection()->currentValue(), g.inputs().at(0));
        QVERIFY(w.graphScene()->itemForValue(g.inputs().at(0))->isSelected());
        QVERIFY(w.inspector()->shownText().contains("graph input"));
        w.projectModel()->selection()->selectValue(g.outputs().at(0));
        QCOMPARE(tree->currentItem(), w.summary()->itemForValue(g.outputs().at(0)));
        QCOMPARE(tree->currentItem()->text(1), QString("float32 1×10"));
        // Node 0 gets its own row, not the input's (whose unset node role reads as 0).
        QVERIFY(w.projectModel()->document()->displayIndexOf(0) >= 0);
        w.projectModel()->selection()->select(0, true);
        QVERIFY(tree->currentItem() && tree->currentItem() != in);
        QVERIFY(tree->currentItem()->text(0).endsWith(QString::fromStdString(g.node(0).name)));
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            QTest::qWait(200);
            QVERIFY(w.grab().save(dir + "/summary-inputs-outputs.png"));
        }
    }

    // Model properties as the file declares them (python3-onnx reads mnist_lenet.onnx as
    // producer pytorch 1.13.0, IR version 7, opset 13).
    void summaryShowsModelProperties()
    {
        ProjectModel model;
        SummaryPanel panel(&model);
        SilentProgress quiet;
        model.setDocument(loadModelDocument(TESSERA_TEST_DATA "/models/mnist/mnist_lenet.onnx", quiet));
        QTreeWidget* tree = panel.placementTree();
        QTreeWidgetItem* props = nullptr;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            if (tree->topLevelItem(i)->text(0) == "Model properties")
                props = tree->topLevelItem(i);
        QVERIFY(props);
        QMap<QString, QString> rows;
        for (int i = 0; i < props->childCount(); ++i)
            rows[props->child(i)->text(0)] = props->child(i)->text(1);
        QCOMPARE(rows.value("producer"), QString("pytorch 1.13.0"));
        QCOMPARE(rows.value("opset"), QString("13"));
        QCOMPARE(rows.value("IR version"), QString("7"));
        QVERIFY(rows.value("content hash").startsWith("xxh3-64:"));
    }

    void symbolicDimsAreNamed()
    {
        // The OCR detector's input x is declared [?, 3, ?, ?]; the import sets H and W to 1.
        const std::string path = TESSERA_TEST_DATA "/models/ocr/ch_PP-OCRv4_det_infer.onnx";
        ImportedModel m = importOnnxFile(path);
        GraphDocument doc(std::move(m.graph), std::move(m.report), path);
        const GraphValueDetails d = describeGraphValue(doc, doc.graph().inputs().at(0));
        QVERIFY2(d.symbolicDims.size() == 2, qPrintable(d.symbolicDims.join("; ")));
        QVERIFY(d.symbolicDims[0].startsWith("axis 2 '") && d.symbolicDims[0].endsWith("set to 1"));
        QVERIFY(d.isInput && !d.isOutput && d.producer.isEmpty() && !d.consumers.isEmpty());
    }
};

QTEST_MAIN(TestIoSelection)
#include "test_io_selection.moc"

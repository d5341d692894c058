// The chip view on mnist_lenet for m1076, offscreen: the compile job through the controller,
// one scene item per placed block (against compiler::compileGraph run here), clicking a
// block selects its layer, selecting a layer highlights exactly its blocks, the target is
// saved and restored by the project file, changing bits marks the result stale, export
// writes the package and the report. TESSERA_SCREENSHOT_DIR=dir [TESSERA_CHIP_MODEL=x.onnx]
// saves dir/chip-view-<model>.png.
#include "app/MainWindow.h"
#include "app/controllers/QuantController.h"
#include "app/panels/ChipPanel.h"
#include "app/panels/QuantPanel.h"
#include "compiler/Compiler.h"
#include "core/target/Target.h"
#include "quant/QuantizeApi.h"

#include <QComboBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QGraphicsRectItem>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

bool waitIdle(const std::function<int()>& running, int timeoutMs = 120000)
{
    QElapsedTimer t;
    t.start();
    while (running() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return running() == 0;
}

} // namespace

class TestChipView : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    ChipPanel* m_panel = nullptr;
    CompileController* m_ctl = nullptr;

    QString modelPath() const
    {
        const QString custom = qEnvironmentVariable("TESSERA_CHIP_MODEL");
        return custom.isEmpty() ? kMnist + "/mnist_lenet.onnx" : custom;
    }
    bool waitCompile() { return waitIdle([this] { return m_ctl->runningJob(); }); }
    QPoint viewPoint(QGraphicsItem* item) const
    {
        return m_panel->view()->mapFromScene(item->sceneBoundingRect().center());
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("ChipViewTest");
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        m_window->resize(1500, 950);
        m_window->show();
        QSignalSpy shown(m_window.get(), &MainWindow::documentShown);
        m_window->openPath(modelPath());
        QVERIFY(shown.wait(60000) || shown.count() > 0);
        m_panel = m_window->chipPanel();
        m_ctl = m_panel->controller();
        QDockWidget* dock = m_window->findChild<QDockWidget*>("chip");
        QVERIFY(dock);
        dock->show();
        dock->raise();
    }

    void compilesOneItemPerBlock()
    {
        QCOMPARE(m_ctl->targetName(), QString("m1076"));
        QVERIFY(m_panel->targetBox()->findText("m1076") >= 0);
        QVERIFY(m_ctl->compile() > 0);
        QVERIFY(waitCompile());
        QVERIFY(m_ctl->result());
        quant::ModelGraphs graphs(modelPath().toStdString());
        const compiler::CompileResult ref =
            compiler::compileGraph(graphs.forBatch(graphs.declaredBatch()), loadTarget("m1076"), nullptr);
        QCOMPARE(m_ctl->result()->blocks.size(), ref.blocks.size());
        int blockItems = 0;
        for (QGraphicsItem* item : m_panel->scene()->items())
            blockItems += item->data(ChipScene::kBlockRole).isValid();
        QCOMPARE(blockItems, static_cast<int>(ref.blocks.size()));
        QCOMPARE(m_panel->scene()->tileItems().size(), static_cast<int>(ref.tiles.size()));
        QVERIFY(!m_ctl->isStale());
    }

    void clickingABlockSelectsItsLayer()
    {
        QTest::qWait(50);
        QGraphicsRectItem* item = m_panel->scene()->blockItems().last();
        QVERIFY(item);
        const int block = item->data(ChipScene::kBlockRole).toInt();
        const std::string layer = m_ctl->result()->layers[m_ctl->result()->blocks[block].layer].node;
        QTest::mouseClick(m_panel->view()->viewport(), Qt::LeftButton, {}, viewPoint(item));
        const NodeId node = m_window->projectModel()->selection()->current();
        QVERIFY(node != kNoNode);
        QCOMPARE(m_window->projectModel()->document()->graph().node(node).name, layer);
    }

    void selectingALayerHighlightsExactlyItsBlocks()
    {
        const compiler::CompileResult& r = *m_ctl->result();
        for (int l = 0; l < static_cast<int>(r.layers.size()); ++l) {
            if (r.layers[l].unit != compiler::Unit::Analog)
                continue;
            const NodeId node = *m_window->projectModel()->document()->graph().findNode(r.layers[l].node);
            m_window->projectModel()->selection()->select(node, false);
            QVector<int> expected;
            for (int b = 0; b < static_cast<int>(r.blocks.size()); ++b)
                if (r.blocks[b].layer == l)
                    expected << b;
            QVERIFY(!expected.isEmpty());
            QCOMPARE(m_panel->scene()->highlighted(), expected);
            const auto& items = m_panel->scene()->blockItems();
            for (int b = 0; b < items.size(); ++b) // drawn outlined: exactly those
                QCOMPARE(items[b]->pen().widthF() > 2.0, expected.contains(b));
        }
    }

    void targetSavedAndRestored()
    {
        const QString path = m_dir.filePath("chip.tessera");
        m_ctl->setTarget("m1108");
        QCOMPARE(m_panel->targetBox()->currentText(), QString("m1108"));
        QVERIFY(m_ctl->isStale()); // target changed
        QVERIFY(waitCompile());    // small model: recompiled by itself
        QVERIFY(!m_ctl->isStale());
        QCOMPARE(QString::fromStdString(m_ctl->result()->target.name), QString::fromStdString(loadTarget("m1108").name));
        QVERIFY(m_window->saveProjectTo(path));
        const ProjectFile saved = readProjectFile(path);
        QCOMPARE(saved.hardwareTarget, QString("m1108"));
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::documentShown);
        other.openPath(path);
        QVERIFY(shown.wait(60000) || shown.count() > 0);
        QCOMPARE(other.chipPanel()->controller()->targetName(), QString("m1108"));
        QCOMPARE(other.chipPanel()->targetBox()->currentText(), QString("m1108"));
        m_ctl->setTarget("m1076");
        QVERIFY(waitCompile());
    }

    void versionOneTargetsRead()
    {
        auto read = [](int version, const QString& target) {
            const QJsonObject json{{"format", "tessera-project"}, {"version", version}, {"model", "m.onnx"},
                                   {"hardware", QJsonObject{{"target", target}}}};
            return projectFromJson(json, "/p", "p.tessera").hardwareTarget;
        };
        QCOMPARE(read(1, "amp-m1076"), QString("m1076")); // product id of version 1
        QCOMPARE(read(1, "amp-generic"), QString());       // had no target: the default
        QCOMPARE(read(2, "m1108"), QString("m1108"));
        QCOMPARE(projectToJson(ProjectFile{}, "/p").value("version").toInt(), 2);
    }

    void changingBitsMarksStale()
    {
        QuantController* quant = m_window->quantPanel()->controller();
        QVERIFY(!quant->layers().isEmpty());
        // Calibrated, so the chosen bits are compiled in.
        m_window->projectModel()->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        quant->setSampleLimits(32, 32);
        quant->setWorkDir(m_dir.filePath("work"));
        QVERIFY(quant->calibrate() > 0);
        QVERIFY(waitIdle([quant] { return quant->runningJob(); }));
        QVERIFY(quant->isCalibrated());
        QVERIFY(waitCompile());
        QVERIFY(m_ctl->compile() > 0);
        QVERIFY(waitCompile());
        QVERIFY(!m_ctl->isStale());
        m_ctl->setAutoRecompileSeconds(0); // behave like a big model
        const QString layer = quant->layers().first().name;
        quant->setBits(layer, 4);
        QVERIFY(m_ctl->isStale());
        QTest::qWait(100);
        QVERIFY(m_ctl->isStale() && m_ctl->runningJob() == 0); // no automatic recompile
        QVERIFY(m_panel->statusLabel()->text().contains("stale: recompile"));
        m_ctl->setAutoRecompileSeconds(1.0);
        quant->setBits(layer, 3); // small model: recompiles by itself
        QVERIFY(waitCompile());
        QVERIFY(!m_ctl->isStale());
        const int b = m_ctl->blocksOfNode(quant->layers().first().node).first();
        QCOMPARE(m_ctl->result()->layers[m_ctl->result()->blocks[b].layer].weightBits, 3);
    }

    void exportWritesPackageAndReport()
    {
        const QString pkg = m_dir.filePath("lenet.tpkg");
        QVERIFY(m_ctl->exportPackage(pkg) > 0);
        QVERIFY(waitCompile());
        QVERIFY(QFileInfo(pkg).size() > 0);
        QVERIFY(QFileInfo(m_dir.filePath("lenet.report.json")).size() > 0);
        // A path that cannot be written: error logged, nothing else lost.
        QSignalSpy failed(m_window->jobs(), &JobManager::jobFailed);
        QVERIFY(m_ctl->exportPackage(m_dir.filePath("missing/dir/x.tpkg")) > 0);
        QVERIFY(waitCompile());
        QCOMPARE(failed.count(), 1);
        QVERIFY(QFileInfo(pkg).size() > 0);
    }

    void screenshot()
    {
        const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("TESSERA_SCREENSHOT_DIR not set");
        QVERIFY(m_ctl->result());
        m_window->resize(1600, 1000);
        const auto& layers = m_ctl->result()->layers; // the layer holding the most cells
        const auto biggest = std::max_element(layers.begin(), layers.end(),
                                              [](const auto& a, const auto& b) { return a.weightCells < b.weightCells; });
        m_window->projectModel()->selection()->select(m_ctl->nodeOfLayer(static_cast<int>(biggest - layers.begin())), true);
        QTest::qWait(300);
        const QString name = QFileInfo(modelPath()).completeBaseName();
        QVERIFY(m_window->grab().save(QDir(dir).filePath("chip-window-" + name + ".png")));
        QVERIFY(m_panel->grab().save(QDir(dir).filePath("chip-view-" + name + ".png")));
        QPalette dark; // a dark desktop: the scene follows the palette
        dark.setColor(QPalette::Window, QColor("#202124"));
        dark.setColor(QPalette::Base, QColor("#2b2c30"));
        dark.setColor(QPalette::AlternateBase, QColor("#35363a"));
        dark.setColor(QPalette::Text, QColor("#e8eaed"));
        dark.setColor(QPalette::WindowText, QColor("#e8eaed"));
        dark.setColor(QPalette::Mid, QColor("#5f6368"));
        const QPalette old = m_panel->palette();
        m_panel->setPalette(dark);
        QTest::qWait(100);
        QVERIFY(m_panel->grab().save(QDir(dir).filePath("chip-view-" + name + "-dark.png")));
        m_panel->setPalette(old);
        for (int mode : {1, 2}) { // bit depth, NoC traffic
            m_panel->modeBox()->setCurrentIndex(mode);
            QVERIFY(m_panel->grab().save(QDir(dir).filePath(QString("chip-view-%1-mode%2.png").arg(name).arg(mode))));
        }
        m_panel->modeBox()->setCurrentIndex(0);
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestChipView)
#include "test_chip_view.moc"

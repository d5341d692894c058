// A project owns its results, offscreen: calibrate and evaluate mnist_lenet without
// choosing a work folder, save the project, calibrate another model, reopen the project:
// the calibration, the evaluation, the chosen bits and "colour nodes by bits" are as saved,
// and the files live next to the project. A cache made for another model is refused.
#include "app/MainWindow.h"
#include "app/controllers/QuantArtifacts.h"
#include "app/panels/LogPanel.h"
#include "app/panels/QuantLayerDetail.h"
#include "app/panels/QuantPanel.h"
#include "app/views/GraphScene.h"

#include "core/io/Npy.h"

#include <QAction>
#include <QImage>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

// Hidden while opening: unsaved work is discarded without the "Save changes?" question.
bool openAndWait(MainWindow& w, const QString& path)
{
    w.hide();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openPath(path);
    const bool ok = shown.wait(20000) || shown.count() > 0;
    w.show();
    return ok;
}

bool waitQuant(QuantController* ctl)
{
    QElapsedTimer t;
    t.start();
    while (ctl->runningJob() && t.elapsed() < 60000)
        QTest::qWait(20);
    return ctl->runningJob() == 0;
}

// Opens `model` in a fresh project with the data given (MNIST .npy files by default),
// calibrates and evaluates it.
void calibrateAndEvaluate(MainWindow& w, const QString& model, const QString& calibration = kMnist + "/mnist_calib_x.npy",
                          const QString& eval = kMnist + "/mnist_test_x.npy",
                          const QString& labels = kMnist + "/mnist_test_y.npy")
{
    QVERIFY(openAndWait(w, model));
    QuantController* ctl = w.quantPanel()->controller();
    w.projectModel()->setDatasetPath(calibration);
    ctl->setEvalData(eval, labels);
    ctl->setSampleLimits(64, 64);
    QVERIFY(ctl->calibrate() > 0);
    QVERIFY(waitQuant(ctl));
    QVERIFY(ctl->isCalibrated());
    QVERIFY(ctl->evaluate() > 0);
    QVERIFY(waitQuant(ctl));
    QVERIFY(ctl->lastMeasurement().has_value());
}

} // namespace

class TestProjectCaches : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("ProjectCachesTest");
        QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).removeRecursively();
    }

    void unsavedModelsHaveTheirOwnCacheFolders()
    {
        QVERIFY(modelCacheDir(kMnist + "/mnist_lenet.onnx") != modelCacheDir(kMnist + "/mnist_wide.onnx"));
        QVERIFY(isInAppCache(modelCacheDir(kMnist + "/mnist_lenet.onnx")));
        QVERIFY(!isInAppCache(kMnist + "/mnist_lenet.onnx"));
    }

    void projectReopensAsSavedAfterOtherModels()
    {
        QTemporaryDir dir;
        const QString projectPath = dir.filePath("lenet.tessera");
        MainWindow w;
        w.show();
        QuantController* ctl = w.quantPanel()->controller();
        calibrateAndEvaluate(w, kMnist + "/mnist_lenet.onnx");
        const QString layer = ctl->layers()[1].name;
        ctl->setBits(layer, 3);
        w.findChild<QAction*>("actionColourByBits")->setChecked(true);
        QVERIFY(w.saveProjectTo(projectPath));
        const double agreement = ctl->lastMeasurement()->agreement;
        const int64_t samples = ctl->lastMeasurement()->samples;
        // The results moved next to the project.
        for (const QString& path : {ctl->quantResultPath(), ctl->workDir()})
            QVERIFY2(path.startsWith(dir.filePath("lenet.quant")), qPrintable(path));

        calibrateAndEvaluate(w, kMnist + "/mnist_wide.onnx"); // another model, unsaved
        QVERIFY(!w.findChild<QAction*>("actionColourByBits")->isChecked());
        QVERIFY(openAndWait(w, kMnist + "/mnist_mobile.onnx"));

        QVERIFY(openAndWait(w, projectPath));
        QVERIFY(waitQuant(ctl));
        QVERIFY(ctl->isCalibrated());
        QCOMPARE(ctl->bitsOf(layer), 3);
        QVERIFY(ctl->lastMeasurement().has_value());
        QCOMPARE(ctl->lastMeasurement()->agreement, agreement);
        QCOMPARE(ctl->lastMeasurement()->samples, samples);
        QVERIFY(!ctl->lastMeasurement()->sqnr.points.empty());
        QVERIFY(w.findChild<QAction*>("actionColourByBits")->isChecked());
        QVERIFY(!w.projectModel()->isModified());
    }

    // mnist_wide (Conv+ReLU x4, Gemm+ReLU): the studio draws the engines' cleaned graph, so every
    // per-node SQNR point of an evaluation is a node on the canvas, and the file's five Relu
    // nodes (fused, so they never get points) are only in View > Show As Imported.
    void sqnrPointsLandOnDrawnNodes()
    {
        MainWindow w;
        w.show();
        QuantController* ctl = w.quantPanel()->controller();
        calibrateAndEvaluate(w, kMnist + "/mnist_wide.onnx");
        const SqnrProfile& profile = ctl->lastMeasurement()->sqnr;
        QVERIFY(!profile.points.empty());
        const Graph& raw = w.projectModel()->document()->asImported()->graph();
        int drawn = 0;
        for (const SqnrPoint& p : profile.points) {
            if (p.id == kNoNode) { // a node the engine adds (e.g. a smoothing scale), not of the file
                QVERIFY2(!raw.findNode(p.node.toStdString()), qPrintable(p.node));
                continue;
            }
            QVERIFY2(w.graphScene()->itemForNode(p.id), qPrintable(p.node));
            ++drawn;
        }
        QCOMPARE(drawn, int(w.projectModel()->document()->graph().liveNodeCount()));
        int foldedInFile = 0;
        for (NodeId id : raw.liveNodes())
            foldedInFile += raw.node(id).opType == "BatchNormalization" || raw.node(id).opType == "Relu";
        QCOMPARE(foldedInFile, 5);
        QCOMPARE(raw.liveNodeCount(), w.projectModel()->document()->graph().liveNodeCount() + foldedInFile);
    }

    // PNG folders as calibration and evaluation data, loaded like `quantize --images`: the
    // images are the first MNIST samples written as 8-bit grayscale PNGs.
    void imageFoldersCalibrateAndEvaluate()
    {
        QTemporaryDir dir;
        const Tensor x = readNpy((kMnist + "/mnist_calib_x.npy").toStdString());
        const std::vector<float> v = x.toFloatVector();
        for (int i = 0; i < 12; ++i) {
            QImage image(28, 28, QImage::Format_Grayscale8);
            for (int p = 0; p < 28 * 28; ++p)
                image.bits()[(p / 28) * image.bytesPerLine() + p % 28] =
                    static_cast<uchar>(std::clamp(v[i * 784 + p], 0.0f, 1.0f) * 255.0f + 0.5f);
            QVERIFY(image.save(dir.filePath(QString("img%1.png").arg(i, 2, 10, QChar('0')))));
        }
        MainWindow w;
        w.show();
        calibrateAndEvaluate(w, kMnist + "/mnist_lenet.onnx", dir.path(), dir.path(), {});
        QuantController* ctl = w.quantPanel()->controller();
        QCOMPARE(ctl->dataSource(dir.path(), {}, 0).preprocess.channels, 1);
        QCOMPARE(ctl->lastMeasurement()->samples, int64_t{12});
    }

    void staleCacheIsSaidNotLoaded()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QuantController* ctl = w.quantPanel()->controller();
        calibrateAndEvaluate(w, kMnist + "/mnist_lenet.onnx");
        QVERIFY(w.saveProjectTo(dir.filePath("p.tessera")));
        const QString wide = modelCacheDir(kMnist + "/mnist_wide.onnx") + "/quant.json"; // from the test above
        QVERIFY(QFileInfo::exists(wide));
        QFile::remove(ctl->quantResultPath());
        QVERIFY(QFile::copy(wide, ctl->quantResultPath())); // the model changed under the project
        QVERIFY(openAndWait(w, dir.filePath("p.tessera")));
        QVERIFY(waitQuant(ctl));
        QVERIFY(!ctl->isCalibrated());
        QVERIFY(w.log()->plainText().contains("made for another model"));
        QVERIFY(w.log()->plainText().contains("calibrate again to replace it")); // the studio has no --force
        QVERIFY(!w.log()->plainText().contains("--force"));
    }
    // A project whose results cannot be read (corrupt files), opened after another model was
    // calibrated, evaluated and had a layer's histograms on screen: nothing of that model stays
    // (the layer names are the same in both MNIST models, so a leftover would look plausible).
    void failedLoadLeavesNoStaleResults()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QuantController* ctl = w.quantPanel()->controller();
        QuantLayerDetail* detail = w.quantPanel()->layerDetail();
        calibrateAndEvaluate(w, kMnist + "/mnist_lenet.onnx");
        const QString project = dir.filePath("broken.tessera");
        QVERIFY(w.saveProjectTo(project));
        const QString evaluation = w.projectModel()->panelState("quant").value("evaluationPath").toString();
        for (const QString& path : {ctl->quantResultPath(), evaluation}) {
            QFile f(path);
            QVERIFY2(path.contains("broken.quant") && f.open(QIODevice::WriteOnly), qPrintable(path));
            f.write("{ not json");
        }
        calibrateAndEvaluate(w, kMnist + "/mnist_wide.onnx");
        w.projectModel()->selection()->select(ctl->layers()[0].node, true);
        QCOMPARE(detail->shownLayer(), ctl->layers()[0].name);
        QVERIFY(!detail->weightPlot()->gridLinePositions().empty()); // the wide model's grid is drawn

        QVERIFY(openAndWait(w, project));
        QVERIFY(waitQuant(ctl));
        QVERIFY(w.log()->plainText().contains("broken.quant"));
        QVERIFY(!ctl->isCalibrated());
        QVERIFY(!ctl->sensitivity());
        QVERIFY(!ctl->lastMeasurement());
        QVERIFY(detail->weightPlot()->gridLinePositions().empty());
        QVERIFY(detail->activationPlot()->gridLinePositions().empty());
        QVERIFY(!detail->inspector()->hasActivations());
        w.projectModel()->selection()->select(ctl->layers()[0].node, true); // same name as before
        QVERIFY(detail->weightPlot()->gridLinePositions().empty());
        QVERIFY(detail->weightPlot()->caption()->text().contains("Calibrate"));
        QVERIFY(!detail->weightPlot()->plot()->yAxis->tickLabels()); // an empty plot shows no numbers
    }
};

QTEST_MAIN(TestProjectCaches)
#include "test_project_caches.moc"

// Symbolic input dims, offscreen, on the OCR detector (input x [N, 3, H, W]): the import says
// which dims it set to 1 and the Model Summary warns; Model > Input Shapes… re-imports with
// the chosen shape (undoable, saved in the project, restored on reopen). The MACs grow with
// the image (`tessera inspect --shape x=1,3,64,96` gives 36.9 M against 4.4 M for the guess).
#include "app/MainWindow.h"
#include "app/controllers/Workspace.h"
#include "app/model/InputShapes.h"
#include "app/model/ShapesFromData.h"
#include "app/panels/InputShapeDialog.h"
#include "app/panels/LogPanel.h"
#include "core/io/Npy.h"

#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kDetector = QStringLiteral(TESSERA_TEST_DATA "/models/ocr/ch_PP-OCRv4_det_infer.onnx");
const QString kFixedBatch = QStringLiteral(TESSERA_TEST_DATA "/models/fixedbatch/digits_cnn_b4_reshape.onnx");

QString writeZeros(const QTemporaryDir& dir, const QString& name, const Shape& shape)
{
    const QString path = dir.filePath(name);
    writeNpy(path.toStdString(), Tensor(DType::Float32, shape));
    return path;
}

// PNGs of the given sizes (width, height) in a new folder `name` under `dir`.
QString writeImages(const QTemporaryDir& dir, const QString& name, const QList<QSize>& sizes)
{
    QDir(dir.path()).mkdir(name);
    const QString folder = dir.filePath(name);
    for (int i = 0; i < sizes.size(); ++i) {
        QImage image(sizes[i], QImage::Format_RGB888);
        image.fill(Qt::gray);
        image.save(QDir(folder).filePath(QString("img%1.png").arg(i)));
    }
    return folder;
}

bool waitShown(MainWindow& w, const std::function<void()>& action)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    action();
    return shown.wait(30000) || shown.count() > 0;
}

Shape inputShape(MainWindow& w)
{
    const Graph& g = w.projectModel()->document()->graph();
    return g.value(g.inputs().at(0)).shape;
}

bool summaryWarns(MainWindow& w);

// Checks that choosing `data` as calibration data leaves the shapes and the
// undo stack alone; `text` gets the log line (a misfit names the data and the input).
// Chooses `data` as calibration data: true when the shapes and the undo stack stay, and the
// dataset becomes `data` when it fits (`taken`) or stays what it was when it does not.
bool unchangedByData(MainWindow& w, const QString& data, QString& text, bool taken = true)
{
    const Shape before = inputShape(w);
    const int edits = w.projectModel()->undoStack()->count();
    const QString dataset = w.projectModel()->project().datasetPath;
    text = w.workspace()->chooseCalibrationData(data);
    return inputShape(w) == before && w.projectModel()->undoStack()->count() == edits &&
           w.projectModel()->project().datasetPath == (taken ? data : dataset);
}

bool summaryWarns(MainWindow& w)
{
    for (QLabel* label : w.findChildren<QLabel*>())
        if (label->isVisibleTo(&w) && label->text().contains("Symbolic dims set to 1"))
            return true;
    return false;
}

} // namespace

class TestInputShapes : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("InputShapesTest");
    }

    void parseDimsAcceptsCommonSpellings()
    {
        QCOMPARE(parseDims("1, 3, 640, 640", "x"), (Shape{1, 3, 640, 640}));
        QCOMPARE(parseDims("1x3x32x32", "x"), (Shape{1, 3, 32, 32}));
        QVERIFY_THROWS_EXCEPTION(Error, parseDims("1, 0, 3", "x"));
        QVERIFY_THROWS_EXCEPTION(Error, parseDims("1, h", "x"));
    }

    void shapeDialogReimportsUndoesAndIsSaved()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        QVERIFY(!w.projectModel()->document()->report().defaultedDims.empty());
        QVERIFY(summaryWarns(w));
        const int64_t guessedMacs = w.projectModel()->document()->totals().macs;

        InputShapeDialog dialog(w.projectModel());
        dialog.dimsEdit("x")->setText("1, 3, 64");
        QVERIFY(dialog.apply().contains("rank")); // refused, nothing pushed
        dialog.dimsEdit("x")->setText("1, 3, 64, 96");
        QVERIFY(waitShown(w, [&] { QVERIFY(dialog.apply().isEmpty()); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 64, 96}));
        QVERIFY(w.projectModel()->document()->report().defaultedDims.empty());
        QVERIFY(!summaryWarns(w));
        QVERIFY(w.projectModel()->document()->totals().macs > 4 * guessedMacs);

        QVERIFY(waitShown(w, [&] { w.projectModel()->undoStack()->undo(); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        QVERIFY(waitShown(w, [&] { w.projectModel()->undoStack()->redo(); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 64, 96}));

        const QString project = dir.filePath("det.tessera");
        QVERIFY(w.saveProjectTo(project));
        MainWindow reopened;
        reopened.show();
        QVERIFY(waitShown(reopened, [&] { reopened.openPath(project); }));
        QCOMPARE(inputShape(reopened), (Shape{1, 3, 64, 96}));
    }
    // The OCR detector (input x [N, 3, H, W], opened as 1x3x1x1 with a warning): calibration
    // data of 64x96 samples sets H and W (one undoable edit, the model imported again).
    void calibrationDataSetsSymbolicDims()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        QVERIFY(summaryWarns(w));
        const QString npy = writeZeros(dir, "det_calib.npy", {5, 3, 64, 96});
        QString text;
        QVERIFY(waitShown(w, [&] { text = w.workspace()->chooseCalibrationData(npy); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 64, 96}));
        QVERIFY2(text.contains("det_calib.npy") && text.contains("'x'"), qPrintable(text));
        QVERIFY(!summaryWarns(w));
        QCOMPARE(w.projectModel()->undoStack()->count(), 1);
        QVERIFY(waitShown(w, [&] { w.projectModel()->undoStack()->undo(); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        QVERIFY(summaryWarns(w));
        QVERIFY(waitShown(w, [&] { w.projectModel()->undoStack()->redo(); }));
        // Other data of the same sample shape fits the shapes now given; of another, resets them.
        QString text2;
        QVERIFY(unchangedByData(w, writeZeros(dir, "more.npy", {2, 3, 64, 96}), text2));
        QVERIFY2(text2.contains("fits"), qPrintable(text2));
        QVERIFY(waitShown(w, [&] { w.workspace()->chooseCalibrationData(writeZeros(dir, "big.npy", {1, 3, 128, 32})); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 128, 32}));
    }

    void imageFolderSetsSymbolicDims()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        const QString mixed = writeImages(dir, "mixed", {QSize(40, 56), QSize(48, 56)});
        QString text;
        QVERIFY(unchangedByData(w, mixed, text, false));
        QVERIFY2(text.contains("different sizes") && text.contains("'x'") && text.contains(mixed), qPrintable(text));
        QVERIFY(summaryWarns(w));
        const QString same = writeImages(dir, "same", {QSize(40, 56), QSize(40, 56)});
        QVERIFY(waitShown(w, [&] { w.workspace()->chooseCalibrationData(same); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 56, 40})); // N, C, height, width
    }

    // Data that cannot feed the model changes nothing and says why, naming the file and input.
    void dataThatCannotFitIsNamed()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        const QString flat = writeZeros(dir, "flat.npy", {4, 64, 96});
        QString text;
        QVERIFY(unchangedByData(w, flat, text, false));
        QVERIFY2(text.contains(flat) && text.contains("'x'") && text.contains("64×96") && text.contains("3×?×?"),
                 qPrintable(text));
        QVERIFY(summaryWarns(w)); // still the guessed 1x3x1x1
    }

    // The dock's Eval Data… / Eval Images… take shapes from their samples the same way, and
    // data that cannot feed the model is not made the evaluation data.
    void evaluationDataSetsSymbolicDims()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        const QString flat = writeZeros(dir, "flat_eval.npy", {2, 64, 96});
        const QString text = w.workspace()->chooseEvaluationData(flat);
        QVERIFY2(text.contains("Not set as the evaluation data"), qPrintable(text));
        QVERIFY(w.workspace()->quant()->evalInputs() != QFileInfo(flat).absoluteFilePath());
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        const QString npy = writeZeros(dir, "det_eval.npy", {2, 3, 64, 96});
        QVERIFY(waitShown(w, [&] { w.workspace()->chooseEvaluationData(npy); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 64, 96}));
        QCOMPARE(w.workspace()->quant()->evalInputs(), QFileInfo(npy).absoluteFilePath());
        QCOMPARE(w.projectModel()->undoStack()->count(), 1);
        const QString images = writeImages(dir, "eval_png", {QSize(40, 56), QSize(40, 56)});
        QVERIFY(waitShown(w, [&] { w.workspace()->chooseEvaluationData(images); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 56, 40}));
    }

    // A fixed batch of 4 takes any number of 1x8x8 samples; the batch is never taken from data.
    void fixedBatchKeepsItsBatch()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kFixedBatch); }));
        QCOMPARE(inputShape(w), (Shape{4, 1, 8, 8}));
        QString text;
        QVERIFY(unchangedByData(w, writeZeros(dir, "one.npy", {1, 1, 8, 8}), text));
        QVERIFY2(text.contains("fits"), qPrintable(text));
        QVERIFY(unchangedByData(w, writeZeros(dir, "nine.npy", {3, 1, 9, 9}), text, false));
        QVERIFY2(text.contains("Not set as the calibration dataset"), qPrintable(text));
        QVERIFY2(text.contains("nine.npy") && text.contains("'input'") && text.contains("1×8×8"), qPrintable(text));
    }

    // Shapes the model refuses (the detector declares 3 channels): the import fails, the edit
    // is undone, the project keeps no shapes (so it still reopens) and the log says why.
    void refusedShapesAreUndone()
    {
        MainWindow w;
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        InputShapeDialog dialog(w.projectModel());
        dialog.dimsEdit("x")->setText("1, 4, 64, 64");
        QSignalSpy ended(w.jobs(), &JobManager::jobEnded);
        QVERIFY(dialog.apply().isEmpty()); // the rank is right: the import decides
        QVERIFY(ended.wait(30000));
        QCOMPARE(inputShape(w), (Shape{1, 3, 1, 1}));
        QVERIFY(inputShapesOf(w.projectModel()->project()).empty());
        QVERIFY(!w.projectModel()->undoStack()->canUndo());
        QVERIFY(w.projectModel()->undoStack()->canRedo());
        QVERIFY(summaryWarns(w));
        const QString log = w.log()->plainText();
        QVERIFY2(log.contains("Input shapes not applied") && log.contains("declared with dimension 3"), qPrintable(log));
    }

    // docs/screenshots/ocr-det-shape-from-data.png (with TESSERA_SCREENSHOT_DIR): the detector
    // after choosing 640x640 calibration samples, the Log saying what was set.
    void screenshotOfTheDetectorShapedByData()
    {
        const QString shots = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        if (shots.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR for the screenshot");
        QTemporaryDir dir;
        MainWindow w;
        w.resize(1500, 920);
        w.show();
        QVERIFY(waitShown(w, [&] { w.openPath(kDetector); }));
        QVERIFY(w.grab().save(shots + "/ocr-det-before-data.png"));
        const QString npy = writeZeros(dir, "det_calib_640.npy", {2, 3, 640, 640});
        QVERIFY(waitShown(w, [&] { w.workspace()->chooseCalibrationData(npy); }));
        QCOMPARE(inputShape(w), (Shape{1, 3, 640, 640}));
        QTest::qWait(300);
        QVERIFY(w.grab().save(shots + "/ocr-det-shape-from-data.png"));
    }
};

QTEST_MAIN(TestInputShapes)
#include "test_input_shapes.moc"

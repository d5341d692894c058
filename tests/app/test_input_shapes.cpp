// Symbolic input dims, offscreen, on the OCR detector (input x [N, 3, H, W]): the import says
// which dims it set to 1 and the Model Summary warns; Model > Input Shapes… re-imports with
// the chosen shape (undoable, saved in the project, restored on reopen). The MACs grow with
// the image (`tessera inspect --shape x=1,3,64,96` gives 36.9 M against 4.4 M for the guess).
#include "app/MainWindow.h"
#include "app/model/InputShapes.h"
#include "app/panels/InputShapeDialog.h"

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
};

QTEST_MAIN(TestInputShapes)
#include "test_input_shapes.moc"

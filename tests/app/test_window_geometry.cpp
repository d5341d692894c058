// The window does not fight the user, offscreen: its size stays what it was given while
// nodes with long names are selected and after Evaluate, it fits the screen, a saved
// geometry larger than the screen is clamped on restore, and the default dock layout leaves
// the graph at least half the window.
#include "app/MainWindow.h"
#include "app/views/WindowFit.h"
#include "app/panels/QuantPanel.h"
#include "app/views/GraphView.h"

#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

bool openAndWait(MainWindow& w, const QString& path)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openPath(path);
    return shown.wait(20000) || shown.count() > 0;
}

bool waitQuant(QuantController* ctl)
{
    QElapsedTimer t;
    t.start();
    while (ctl->runningJob() && t.elapsed() < 60000)
        QTest::qWait(20);
    return ctl->runningJob() == 0;
}

QRect available(const QWidget& w)
{
    return w.screen()->availableGeometry();
}

} // namespace

class TestWindowGeometry : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("WindowGeometryTest");
        QSettings().clear();
    }

    void fitRectClampsSizeAndPosition()
    {
        const QRect screen(0, 0, 1600, 1000);
        QCOMPARE(fitToScreen(QRect(100, 50, 800, 600), screen), QRect(100, 50, 800, 600));
        QCOMPARE(fitToScreen(QRect(-40, -10, 2400, 1500), screen), screen);
        QCOMPARE(fitToScreen(QRect(1200, 700, 800, 600), screen), QRect(800, 400, 800, 600));
        QCOMPARE(fitToScreen(QRect(0, 0, 800, 600), QRect(1600, 0, 1280, 1024)), QRect(1600, 0, 800, 600));
    }

    void sizeStaysOnSelectionAndEvaluate()
    {
        MainWindow w;
        const QSize given = available(w).size() - QSize(40, 40);
        w.resize(given);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, kMnist + "/mnist_lenet.onnx"));
        QTest::qWait(50);
        QCOMPARE(w.size(), given);
        const DocumentPtr doc = w.projectModel()->document();
        for (const DisplayNode& n : doc->displayNodes()) { // every node's details in the inspector
            if (n.kind != DisplayKind::Op)
                continue;
            w.projectModel()->selection()->select(n.node, true);
            QCoreApplication::processEvents();
        }
        QTest::qWait(50);
        QCOMPARE(w.size(), given);

        QTemporaryDir dir;
        QuantController* ctl = w.quantPanel()->controller();
        w.projectModel()->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        ctl->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        ctl->setSampleLimits(64, 64);
        ctl->setWorkDir(dir.filePath("work"));
        QVERIFY(ctl->calibrate() > 0);
        QVERIFY(waitQuant(ctl));
        QVERIFY(ctl->evaluate() > 0);
        QVERIFY(waitQuant(ctl));
        QTest::qWait(50);
        QCOMPARE(w.size(), given);
        QVERIFY(available(w).contains(w.frameGeometry()));
    }

    void defaultLayoutGivesTheGraphHalfTheWindow()
    {
        QSettings().clear();
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(available(w).contains(w.frameGeometry()));
        QVERIFY2(w.graphView()->height() * 2 >= w.height(),
                 qPrintable(QString("graph %1 px of %2").arg(w.graphView()->height()).arg(w.height())));
        QVERIFY(w.graphView()->width() * 2 >= w.width());
    }

    void restoreClampsAnOversizedGeometry()
    {
        {
            QWidget big; // a geometry saved on a larger screen (or at another scale)
            big.setGeometry(QRect(-200, -100, 4000, 3000));
            QSettings().setValue("window/geometry", big.saveGeometry());
        }
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(available(w).contains(w.frameGeometry()),
                 qPrintable(QString("%1x%2").arg(w.frameGeometry().width()).arg(w.frameGeometry().height())));
        QSettings().clear();
    }
};

QTEST_MAIN(TestWindowGeometry)
#include "test_window_geometry.moc"

// File > Export Graph Image…: the whole graph of mnist_lenet (14 boxes) as PNG and SVG. The
// PNG holds the analog teal of the node headers on the canvas colour and is larger than the
// view; the SVG is a drawing naming every node; a wrong extension or an unwritable path is
// an error naming the file, and an existing file is left whole.
#include "app/MainWindow.h"
#include "app/views/GraphExport.h"
#include "app/views/GraphScene.h"
#include "app/views/NodeStyle.h"
#include "core/Error.h"

#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

class TestGraphExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void writesPngAndSvg()
    {
        MainWindow w;
        w.show();
        QSignalSpy shown(&w, &MainWindow::documentShown);
        w.openPath(QStringLiteral(TESSERA_TEST_DATA "/models/mnist/mnist_lenet.onnx"));
        QVERIFY(shown.wait(30000) || shown.count() > 0);
        QTemporaryDir dir;
        const QString png = dir.filePath("lenet.png"), svg = dir.filePath("lenet.svg");
        exportGraphImage(*w.graphScene(), png);
        exportGraphImage(*w.graphScene(), svg);

        const QImage image(png);
        QVERIFY(!image.isNull());
        const QRectF scene = w.graphScene()->itemsBoundingRect();
        QVERIFY(image.height() >= scene.height()); // the whole graph, at least at 1x
        const QColor teal = style::placementColor(Placement::Analog);
        int tealPixels = 0;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2)
                tealPixels += image.pixelColor(x, y) == teal;
        QVERIFY2(tealPixels > 100, qPrintable(QString::number(tealPixels)));
        QCOMPARE(image.pixelColor(0, 0).name(), style::canvasColor().name());

        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        for (const char* node : {"/c1/Conv", "/c2/Conv", "/f3/Gemm"})
            QVERIFY2(text.contains(node), node);
        if (const QString shots = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(QFile::copy(png, shots + "/graph-export-lenet.png") || QFile::exists(shots + "/graph-export-lenet.png"));
    }

    void badPathsAreErrorsNamingTheFile()
    {
        MainWindow w;
        QSignalSpy shown(&w, &MainWindow::documentShown);
        w.openPath(QStringLiteral(TESSERA_TEST_DATA "/models/digits/digits_cnn.onnx"));
        QVERIFY(shown.wait(30000) || shown.count() > 0);
        QTemporaryDir dir;
        const QString jpg = dir.filePath("g.jpg");
        QVERIFY_THROWS_EXCEPTION(Error, exportGraphImage(*w.graphScene(), jpg));
        try {
            exportGraphImage(*w.graphScene(), dir.filePath("missing/sub/g.png"));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("missing/sub/g.png") != std::string::npos, e.what());
        }
        QVERIFY(!QFile::exists(jpg));
    }
};

QTEST_MAIN(TestGraphExport)
#include "test_graph_export.moc"

// Light and dark desktops, offscreen: with the default (light) and the dark Fusion palette
// the graph canvas, node cards, plots and heat-map cells take their surfaces and inks from
// the palette, so text keeps its contrast. The reference is the palette itself and the
// pixels actually painted (grabbed), never the colour functions under test.
#include "app/MainWindow.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/QuantSqnrChart.h"
#include "app/views/GraphScene.h"
#include "app/views/GraphView.h"
#include "app/views/NodeStyle.h"

#include <QApplication>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>
#include <qcustomplot.h>

using namespace tessera;
using namespace tessera::studio;

namespace {

// Mean lightness (0-255) of an image.
double meanLightness(const QImage& image)
{
    double sum = 0;
    int n = 0;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3, ++n)
            sum += QColor(image.pixel(x, y)).lightness();
    return n ? sum / n : 0;
}

} // namespace

class TestPalette : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("PaletteTest");
        QApplication::setStyle("Fusion");
    }

    void surfacesFollowThePalette_data()
    {
        QTest::addColumn<bool>("dark");
        QTest::newRow("light") << false;
        QTest::newRow("dark") << true;
    }

    void surfacesFollowThePalette()
    {
        QFETCH(bool, dark);
        QApplication::setPalette(dark ? style::darkPalette() : QApplication::style()->standardPalette());
        const QPalette palette = QApplication::palette();
        const bool darkBase = palette.color(QPalette::Base).lightness() < 128;
        QCOMPARE(darkBase, dark);
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QSignalSpy shown(&w, &MainWindow::documentShown);
        w.openPath(QStringLiteral(TESSERA_TEST_DATA "/models/mnist/mnist_lenet.onnx"));
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        QTest::qWait(50);

        // The canvas as painted: dark on a dark desktop, light on a light one.
        const double canvas = meanLightness(w.graphView()->viewport()->grab().toImage());
        QVERIFY2(dark ? canvas < 90 : canvas > 190, qPrintable(QString::number(canvas)));
        // Plots paint the palette's base behind their data.
        QCustomPlot* plot = w.quantPanel()->sqnrChart()->plot();
        QVERIFY(plot);
        QCOMPARE(plot->grab().toImage().pixelColor(2, 2), palette.color(QPalette::Base));
        QCOMPARE(plot->xAxis->tickLabelColor(), palette.color(QPalette::Text));
        // Every heat-map cell's text stands out from its background.
        QTableWidget* table = w.quantPanel()->table();
        QVERIFY(table->rowCount() > 0);
        for (int r = 0; r < table->rowCount(); ++r)
            for (int c = 0; c < table->columnCount(); ++c)
                if (QTableWidgetItem* cell = table->item(r, c); cell && cell->background().style() != Qt::NoBrush) {
                    const int contrast = std::abs(cell->background().color().lightness() -
                                                  cell->foreground().color().lightness());
                    QVERIFY2(contrast > 90, qPrintable(QString("cell %1,%2 contrast %3").arg(r).arg(c).arg(contrast)));
                }
    }
};

QTEST_MAIN(TestPalette)
#include "test_palette.moc"

// The simulation dock on mnist_lenet for m1076, offscreen: calibrate (64 samples), the
// controller compiles and simulates 64 labelled test samples; the simulator's outputs are
// bit-identical to the quantized reference, its figures are the performance model's of the
// same package (run here); the chip view's "Tile busy" heat map colours busy tiles; clicking
// a timeline bar selects its layer; noise on (default model, a noise-model file) over several
// seeds gives each seed's accuracy as the simulator run alone gives it, cancels, and is saved
// with the project; a bit change recompiles, simulates again (noise on too) and fills the
// before/after table. TESSERA_SCREENSHOT_DIR=dir saves dir/simulation-panel*.png.
#include "app/MainWindow.h"
#include "app/controllers/QuantController.h"
#include "app/panels/ChipPanel.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/SimulationPanel.h"
#include "app/panels/SimulationTimeline.h"
#include "app/views/NodeStyle.h"
#include "core/TensorRows.h"
#include "core/io/Npy.h"
#include "simulator/Machine.h"

#include <QApplication>
#include <QComboBox>
#include <QStyle>
#include <QDockWidget>
#include <QGraphicsRectItem>
#include <QJsonDocument>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/app/WaitFor.h"

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

using testing::waitFor;

// Top-1 of `scores` [N, classes] against the first N labels: counted here, not by the code
// under test.
double top1(const Tensor& scores, const std::vector<int64_t>& labels)
{
    const int64_t n = scores.dim(0), classes = scores.dim(1);
    const float* p = scores.data<float>();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i)
        correct += std::max_element(p + i * classes, p + (i + 1) * classes) - (p + i * classes) == labels[i];
    return static_cast<double>(correct) / static_cast<double>(n);
}

} // namespace

class TestSimulationPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    SimulationPanel* m_panel = nullptr;
    SimulationController* m_sim = nullptr;
    QuantController* m_quant = nullptr;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("SimulationPanelTest");
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        m_window->resize(1600, 1000);
        m_window->show();
        QSignalSpy shown(m_window.get(), &MainWindow::documentShown);
        m_window->openPath(kMnist + "/mnist_lenet.onnx");
        QVERIFY(shown.wait(60000) || shown.count() > 0);
        m_panel = m_window->findChild<SimulationPanel*>();
        QVERIFY(m_panel);
        m_sim = m_panel->controller();
        m_quant = m_window->quantPanel()->controller();
        m_window->projectModel()->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        m_quant->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        m_quant->setSampleLimits(64, 64);
        m_quant->setWorkDir(m_dir.filePath("work"));
        QVERIFY(m_quant->calibrate() > 0);
        QVERIFY(waitFor([this] { return m_quant->isCalibrated() && !m_quant->runningJob(); }));
        QDockWidget* dock = m_window->findChild<QDockWidget*>("simulation");
        QVERIFY(dock);
        dock->show();
        dock->raise();
    }

    void simulatesMnistBitIdentical()
    {
        m_sim->setSampleLimit(64);
        m_sim->run(); // compiles first
        QVERIFY(waitFor([this] { return m_sim->result() && m_sim->result()->frames > 0 && !m_sim->runningJob(); }));
        const SimulationResult& r = *m_sim->result();
        QCOMPARE(r.frames, int64_t(64));
        QVERIFY(r.bitIdentical.has_value());
        QVERIFY(*r.bitIdentical);
        QVERIFY(r.hasLabels);
        QCOMPARE(r.simTop1, r.quantTop1); // same outputs, same labels
        QVERIFY(r.fp32Top1 > 0.8);
        const sim::PerfReport perf = sim::modelPerformance(packageOf(*r.compiled));
        QCOMPARE(r.perf.latencyNs, perf.latencyNs);
        QCOMPARE(r.perf.energyPjPerFrame, perf.energyPjPerFrame);
        QVERIFY(m_panel->resultsLabel()->text().contains("Bit-identical to the quantized reference</td><td><b>yes"));
    }

    void tileBusyHeatMapColoursBusyTiles()
    {
        ChipPanel* chip = m_window->chipPanel();
        chip->modeBox()->setCurrentIndex(static_cast<int>(ChipColouring::TileBusy));
        const QVector<double> busy = chip->scene()->tileBusy();
        QCOMPARE(busy, m_sim->tileBusy());
        const QColor base = chip->palette().color(QPalette::Base);
        int coloured = 0;
        for (int t = 0; t < busy.size(); ++t) {
            const bool differs = chip->scene()->tileItems()[t]->brush().color() != base;
            if (busy[t] == 0.0 || busy[t] > 0.01)
                QCOMPARE(differs, busy[t] > 0);
            coloured += differs;
        }
        QVERIFY(coloured > 0);
    }

    void clickingATimelineBarSelectsItsLayer()
    {
        QDockWidget* dock = m_window->findChild<QDockWidget*>("simulation");
        dock->setFloating(true); // room for the plot whatever the screen
        dock->resize(1200, 600);
        QTest::qWait(50);
        SimulationTimeline* tl = m_panel->timeline();
        QVERIFY(!tl->bars().isEmpty());
        int pick = -1; // the widest epilogue: it runs on the digital unit and selects its layer
        for (int i = 0; i < tl->bars().size(); ++i) {
            const TimelineBar& b = tl->bars()[i];
            if (b.label.find("epilogue") != std::string::npos &&
                (pick < 0 || b.endUs - b.startUs > tl->bars()[pick].endUs - tl->bars()[pick].startUs))
                pick = i;
        }
        QVERIFY(pick >= 0);
        tl->replot();
        QTest::mouseClick(tl, Qt::LeftButton, {}, tl->barCentre(pick));
        const NodeId node = m_window->projectModel()->selection()->current();
        QVERIFY(node != kNoNode);
        const std::string& name = m_window->projectModel()->document()->graph().node(node).name;
        QCOMPARE(name + " epilogue", tl->bars()[pick].label);
        QCOMPARE(m_panel->selectedTile(), tl->bars()[pick].tile);
        // ... and frames that tile in the chip view: the compiled tile at the perf tile's position
        const int marked = m_window->chipPanel()->scene()->markedTile();
        QVERIFY(marked >= 0);
        const TileCoord at = m_sim->result()->compiled->result.tiles[marked].coord;
        bool same = false;
        for (const sim::TilePerf& t : m_sim->result()->perf.tiles)
            same |= t.tile == tl->bars()[pick].tile && t.row == at.row && t.col == at.col;
        QVERIFY(same);
        dock->setFloating(false);
    }

    void noiseOnOverSeedsScoresEachSeed()
    {
        m_sim->setNoise("default");
        m_sim->setSeeds(3);
        QCOMPARE(m_panel->noiseBox()->currentData().toString(), QString("default"));
        QVERIFY(m_panel->seedsBox()->isEnabled());
        QVERIFY(m_sim->run() > 0); // the compile is current
        QVERIFY(waitFor([this] { return !m_sim->runningJob() && m_sim->result()->noisy.has_value(); }));
        const SimulationResult& r = *m_sim->result();
        QVERIFY(*r.bitIdentical); // the noise-off run is still checked
        // The spec has no non-idealities: "default" is the default analog-noise model.
        QCOMPARE(r.noiseModel.readNoise, 0.06);
        QCOMPARE(r.noiseModel.weightProgramNoise, 0.02);
        QCOMPARE(r.noiseModel.adcOffset, 0.5);
        const sim::SeedSpread& s = *r.noisy;
        QCOMPARE(s.values.size(), size_t(3));
        // Each seed as one simulator call on all 64 frames gives (the controller runs chunks).
        package::Package pkg = packageOf(*r.compiled);
        pkg.nonIdealities = r.noiseModel;
        const sim::Machine machine(std::move(pkg));
        const Tensor x = sliceRows(readNpy((kMnist + "/mnist_test_x.npy").toStdString()), 0, 64);
        const std::vector<int64_t> labels = readNpy((kMnist + "/mnist_test_y.npy").toStdString()).toInt64Vector();
        double sum = 0;
        for (int i = 0; i < 3; ++i) {
            sim::RunOptions o;
            o.noise = o.overrideSeed = true;
            o.seed = s.firstSeed + static_cast<uint64_t>(i);
            QCOMPARE(s.values[i], top1(machine.run({x}, o)[0], labels));
            sum += s.values[i];
        }
        QCOMPARE(s.mean, sum / 3);
        QVERIFY(s.min <= s.mean && s.mean <= s.max && s.spread >= 0);
        QVERIFY(s.values[0] != s.values[1] || s.values[1] != s.values[2] || s.spread == 0);
        const QString html = m_panel->resultsLabel()->text();
        QVERIFY(html.contains(QString("Top-1, noise on (seeds %1–%2)").arg(s.firstSeed).arg(s.firstSeed + 2)));
        QVERIFY(html.contains(QString("%1 ± ").arg(100 * s.mean, 0, 'f', 1)));
    }

    void noiseFileGivesItsModelAndSeed()
    {
        const QString file = m_dir.filePath("noise.json");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"read_noise": 0.2, "seed": 7})");
        f.close();
        m_sim->setNoise("file", file);
        m_sim->setSeeds(2);
        QCOMPARE(m_sim->noiseArgument(), file);
        QVERIFY(m_sim->run() > 0);
        QVERIFY(waitFor([this] { return !m_sim->runningJob() && m_sim->result()->noise == m_sim->noiseArgument().toStdString(); }));
        const SimulationResult& r = *m_sim->result();
        QCOMPARE(r.noiseModel.readNoise, 0.2);
        QCOMPARE(r.noiseModel.weightProgramNoise, 0.0);
        QCOMPARE(r.noisy->firstSeed, uint64_t(7));
        QCOMPARE(r.noisy->values.size(), size_t(2));
        QVERIFY(m_panel->resultsLabel()->text().contains("noise.json: read noise 0.2"));
    }

    void cancelStopsTheSeedRuns()
    {
        m_sim->setNoise("default");
        m_sim->setSeeds(20);
        m_sim->setSampleLimit(0); // every test digit, 20 seeds: long enough to cancel
        const SimulationResult* before = m_sim->result();
        QSignalSpy cancelled(m_window->jobs(), &JobManager::jobCancelled);
        QSignalSpy progress(m_sim, &SimulationController::progress);
        const int job = m_sim->run();
        QVERIFY(job > 0);
        QVERIFY(waitFor([&] { return !progress.isEmpty() && progress.last().at(1).toString().contains("noise seed"); }));
        m_sim->cancel();
        QVERIFY(waitFor([this] { return !m_sim->runningJob(); }, 20000));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(m_sim->result(), before); // the earlier result stays
        m_sim->setSampleLimit(64);
        m_sim->setSeeds(3);
    }

    void noiseSettingsAreSavedWithTheProject()
    {
        m_sim->setNoise("file", m_dir.filePath("noise.json"));
        const QString path = m_dir.filePath("lenet.tessera");
        QVERIFY(m_window->saveProjectTo(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject sim = QJsonDocument::fromJson(f.readAll()).object()["panels"].toObject()["simulation"].toObject();
        QCOMPARE(sim["noise"].toString(), QString("file"));
        QCOMPARE(sim["noiseFilePath"].toString(), QString("noise.json")); // relative to the project
        QCOMPARE(sim["seeds"].toInt(), 3);
        m_sim->setNoise("default");
        QCOMPARE(m_panel->noiseBox()->currentData().toString(), QString("default"));
    }

    void bitChangeUpdatesBeforeAfter()
    {
        m_window->chipPanel()->controller()->setAutoRecompileSeconds(60);
        const QString layer = m_quant->layers().first().name;
        const std::shared_ptr<const CompiledModel> before = m_sim->result()->compiled;
        m_quant->setBits(layer, 4);
        QVERIFY(waitFor([&] {
            return m_sim->previous() && m_sim->result()->compiled != before && m_sim->result()->frames > 0 && !m_sim->runningJob();
        }));
        QCOMPARE(m_sim->previous()->compiled, before);
        QCOMPARE(m_sim->result()->compiled->bits.at(layer.toStdString()), 4);
        QTableWidget* t = m_panel->beforeAfter();
        QCOMPARE(t->item(0, 0)->text(), QString::number(before->result.tilesUsed));
        QCOMPARE(t->item(1, 2)->text(), QString::number(m_sim->result()->perf.latencyNs / 1e3, 'f', 1));
        QVERIFY(t->item(1, 5)->text().endsWith("%"));
        // Noise on: both rows carry the mean ± spread over the seeds.
        QVERIFY(m_sim->previous()->noisy && m_sim->result()->noisy);
        QCOMPARE(t->item(1, 6)->text(), QString("%1 ± %2 %").arg(100 * m_sim->result()->noisy->mean, 0, 'f', 1)
                                            .arg(100 * m_sim->result()->noisy->spread, 0, 'f', 1));
        QVERIFY(t->item(0, 6)->text().contains("±"));
        QVERIFY(*m_sim->result()->bitIdentical);
        QVERIFY(describeBitChanges(*before, *m_sim->result()->compiled).contains(layer + " 8→4 bits"));
    }

    void screenshot()
    {
        const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR to write simulation-panel.png");
        // Noise on (the default model, 5 seeds) and an ADC change: the before/after row then
        // differs in time, energy and noisy accuracy too.
        m_sim->setNoise("default");
        m_sim->setSeeds(5);
        const QString layer = m_quant->layers().first().name;
        const auto before = m_sim->result()->compiled;
        m_quant->setAdcBits(layer, 6);
        QVERIFY(waitFor([&] { return m_sim->result()->compiled != before && !m_sim->runningJob(); }));
        QVERIFY(m_sim->result()->noisy && m_sim->result()->noisy->values.size() == 5);
        QDockWidget* sim = m_window->findChild<QDockWidget*>("simulation");
        m_window->resizeDocks({sim}, {560}, Qt::Vertical);
        sim->raise();
        QTest::qWait(200);
        QVERIFY(m_window->grab().save(dir + "/simulation-panel.png"));
        // The dock alone, light and dark palette.
        sim->setFloating(true);
        sim->resize(1300, 560);
        for (const bool dark : {false, true}) {
            QApplication::setPalette(dark ? style::darkPalette() : QApplication::style()->standardPalette());
            m_panel->timeline()->replot();
            QTest::qWait(200);
            QVERIFY(sim->grab().save(dir + (dark ? "/simulation-panel-noise-dark.png" : "/simulation-panel-noise.png")));
        }
        QApplication::setPalette(QApplication::style()->standardPalette());
        sim->setFloating(false);
        m_window->chipPanel()->modeBox()->setCurrentIndex(static_cast<int>(ChipColouring::TileBusy));
        QDockWidget* chip = m_window->findChild<QDockWidget*>("chip");
        chip->raise();
        QTest::qWait(200);
        QVERIFY(chip->grab().save(dir + "/chip-view-tile-busy.png"));
    }
};

QTEST_MAIN(TestSimulationPanel)
#include "test_simulation_panel.moc"

// The Quantization dock driven offscreen on mnist_lenet: calibrate, sensitivity table,
// heat-map / bar / Pareto clicks (undoable), shared selection, evaluate, cancel, graph
// colouring by bits and the project file round trip; a Pareto point of a report with per-layer
// ADC bits sets weight and ADC bits as one undoable command. Samples are limited (128 calibration,
// 200 evaluation) to keep the whole test well under a minute.
#include "app/MainWindow.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/QuantPlots.h"
#include "app/views/GraphScene.h"
#include "app/views/NodeStyle.h"
#include "compiler/PackageBuilder.h"
#include "core/io/FileIO.h"
#include "core/target/Target.h"
#include "quant/QuantizeApi.h"
#include "simulator/PerfModel.h"

#include <QAction>
#include <QApplication>
#include <QStyle>
#include <QComboBox>
#include <QDir>
#include <QJsonDocument>
#include <QMenu>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

// Waits until the controller's job ends; true when it ended within the timeout.
bool waitIdle(QuantController* c, int timeoutMs = 30000)
{
    QElapsedTimer t;
    t.start();
    while (c->runningJob() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return c->runningJob() == 0;
}

} // namespace

class TestQuantPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    QuantPanel* m_panel = nullptr;
    QuantController* m_ctl = nullptr;
    ProjectModel* m_model = nullptr;

    QPoint cellCenter(int row, int column)
    {
        QTableWidget* t = m_panel->table();
        t->scrollToItem(t->item(row, column));
        return t->visualItemRect(t->item(row, column)).center();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("QuantPanelTest");
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        m_window->resize(1500, 950);
        m_window->show();
        QSignalSpy shown(m_window.get(), &MainWindow::documentShown);
        m_window->openPath(kMnist + "/mnist_lenet.onnx");
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        m_panel = m_window->quantPanel();
        m_ctl = m_panel->controller();
        m_model = m_window->projectModel();
        m_model->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        m_ctl->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        m_ctl->setSampleLimits(128, 200);
        m_ctl->setWorkDir(m_dir.filePath("work"));
    }

    void listsEveryMatrixLayer()
    {
        // Independent of placement: the Conv/Gemm/MatMul nodes of the imported graph.
        const Graph& g = m_model->document()->graph();
        int matrixOps = 0;
        for (NodeId id : m_model->document()->orderedNodes())
            matrixOps += QStringList{"Conv", "Gemm", "MatMul"}.contains(QString::fromStdString(g.node(id).opType));
        QVERIFY(matrixOps >= 2);
        QCOMPARE(m_ctl->layers().size(), matrixOps);
        QCOMPARE(m_panel->table()->rowCount(), matrixOps);
    }

    void actionsNeedCalibrationFirst()
    {
        QSignalSpy msg(m_ctl, &QuantController::message);
        QCOMPARE(m_ctl->analyzeSensitivity(), 0);
        QCOMPARE(msg.count(), 1);
        QVERIFY(msg.at(0).at(0).toString().contains("calibrate"));
    }

    void calibrateJobCompletes()
    {
        QSignalSpy progress(m_window->jobs(), &JobManager::jobProgress);
        QVERIFY(m_ctl->calibrate() > 0);
        QVERIFY(waitIdle(m_ctl));
        QVERIFY(m_ctl->isCalibrated());
        QVERIFY(QFile::exists(m_ctl->quantResultPath()));
        QVERIFY(progress.count() > 0);
        // Cost is cells x weight bits (docs/analog-model.md): all layers at 4 bits cost half.
        const double cost8 = m_ctl->estimatedCost();
        QVERIFY(cost8 > 0);
        std::map<std::string, int> four;
        for (const QuantLayer& l : m_ctl->layers())
            four[l.name.toStdString()] = 4;
        m_ctl->applyConfiguration(four, "all 4");
        QCOMPARE(m_ctl->estimatedCost(), cost8 / 2);
        m_model->undoStack()->undo();
        QCOMPARE(m_ctl->estimatedCost(), cost8);
    }

    void sensitivityJobFillsTable()
    {
        QVERIFY(m_ctl->analyzeSensitivity() > 0);
        QVERIFY(waitIdle(m_ctl));
        const quant::SensitivityReport* s = m_ctl->sensitivity();
        QVERIFY(s);
        QVERIFY(s->hasLabels);
        const auto depths = m_ctl->bitDepths();
        // Weight depths, and the DAC and ADC depths an energy or latency search reuses.
        const size_t perLayer = depths.size() + QuantController::searchDacBits().size() + QuantController::searchAdcBits().size();
        QCOMPARE(s->entries.size(), size_t(m_ctl->layers().size()) * perLayer);
        QVERIFY(s->findDac(m_ctl->layers()[0].name.toStdString(), 4));
        QTableWidget* t = m_panel->table();
        for (int r = 0; r < t->rowCount(); ++r)
            for (int b : depths) {
                QVERIFY(s->find(m_ctl->layers()[r].name.toStdString(), b));
                QVERIFY(t->item(r, m_panel->columnOfBits(b))->text() != QStringLiteral("–"));
            }
        // Every "layer alone at 8 bits" entry is the unchanged base configuration.
        const double base = m_ctl->measuredDrop(m_ctl->layers()[0].name, 8);
        for (const QuantLayer& l : m_ctl->layers())
            QCOMPARE(m_ctl->measuredDrop(l.name, 8), base);
        QCOMPARE(m_ctl->estimatedDrop(), base);
        QVERIFY(QFile::exists(m_ctl->sensitivityCachePath()));
    }

    void heatMapClickSetsBitsAndUndoRestores()
    {
        const QuantLayer layer = m_ctl->layers()[0];
        const int undoBefore = m_model->undoStack()->index();
        const QPoint at = cellCenter(0, m_panel->columnOfBits(2));
        QTest::mouseClick(m_panel->table()->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(m_ctl->bitsOf(layer.name), 2);
        QCOMPARE(m_model->layerBits(layer.name, -1), 2);
        QCOMPARE(m_panel->table()->item(0, QuantPanel::kBitsColumn)->text(), QStringLiteral("2"));
        QCOMPARE(m_model->selection()->current(), layer.node);
        QCOMPARE(m_model->undoStack()->index(), undoBefore + 1);
        // Estimate: only this layer changed, so it is that layer's measured drop at 2 bits.
        QCOMPARE(m_ctl->estimatedDrop(), m_ctl->sensitivity()->find(layer.name.toStdString(), 2)->accuracyDrop);
        QTest::keyClick(m_window.get(), Qt::Key_Z, Qt::ControlModifier); // Edit > Undo
        QCOMPARE(m_ctl->bitsOf(layer.name), 8);
        QVERIFY(m_model->layerChoice(layer.name, "bits").isUndefined());
        QCOMPARE(m_panel->table()->item(0, QuantPanel::kBitsColumn)->text(), QStringLiteral("8"));
    }

    void barClickSetsBits()
    {
        QuantBarChart* bars = m_panel->barChart();
        m_panel->showChart(bars);
        bars->depthBox()->setCurrentIndex(bars->depthBox()->findData(3));
        const QuantLayer layer = m_ctl->layers()[1];
        QTest::mouseClick(bars->plot(), Qt::LeftButton, {}, bars->plot()->mapFrom(bars, bars->barCenter(1)));
        QCOMPARE(m_ctl->bitsOf(layer.name), 3);
        QCOMPARE(m_model->selection()->current(), layer.node);
        m_model->undoStack()->undo();
        QCOMPARE(m_ctl->bitsOf(layer.name), 8);
    }

    void selectionFollowsBothWays()
    {
        const QuantLayer layer = m_ctl->layers().back();
        m_model->selection()->select(layer.node, true);
        QCOMPARE(m_panel->table()->currentRow(), m_ctl->layers().size() - 1);
        QTest::mouseClick(m_panel->table()->viewport(), Qt::LeftButton, {}, cellCenter(0, 0));
        QCOMPARE(m_model->selection()->current(), m_ctl->layers()[0].node);
        QCOMPARE(m_ctl->bitsOf(m_ctl->layers()[0].name), 8); // name column does not set bits
    }

    void paretoClickAppliesConfiguration()
    {
        m_ctl->setMaxAccuracyDrop(0.02);
        QVERIFY(m_ctl->searchMixedPrecision() > 0);
        QVERIFY(waitIdle(m_ctl, 40000));
        const auto& pts = m_ctl->paretoPoints();
        QVERIFY(pts.size() >= 2);
        const int pick = static_cast<int>(pts.size()) - 1; // the most compressed point
        QVERIFY(pts[pick].weightBits != m_ctl->chosenBits());
        QuantParetoPlot* plot = m_panel->paretoPlot();
        m_panel->showChart(plot);
        const int undoBefore = m_model->undoStack()->index();
        QTest::mouseClick(plot->plot(), Qt::LeftButton, {}, plot->plot()->mapFrom(plot, plot->pointCenter(pick)));
        QCOMPARE(m_ctl->chosenBits(), pts[pick].weightBits);
        QCOMPARE(m_model->undoStack()->index(), undoBefore + 1); // one macro
        QCOMPARE(m_ctl->estimatedCost(), pts[pick].cost);
        // Hovering a point names its cost, drop and bit mix; empty space has no tip.
        int lowest = 99, atLowest = 0;
        for (const auto& [layer, bits] : pts[pick].weightBits)
            lowest = std::min(lowest, bits);
        for (const auto& [layer, bits] : pts[pick].weightBits)
            atLowest += bits == lowest;
        const QString tip = plot->toolTipAt(plot->pointCenter(pick));
        QVERIFY2(tip.contains(QString::number(pts[pick].accuracyDrop * 100.0, 'f', 2) + " pp"), qPrintable(tip));
        QVERIFY2(tip.contains(QString("%1 × %2-bit").arg(atLowest).arg(lowest)), qPrintable(tip));
        QVERIFY(plot->toolTipAt(QPoint(-50, -50)).isEmpty());
    }

    void graphColoursNodesByBits()
    {
        QAction* toggle = m_window->findChild<QAction*>("actionColourByBits");
        QVERIFY(toggle);
        toggle->setChecked(true);
        for (const QuantLayer& l : m_ctl->layers())
            QCOMPARE(m_window->graphScene()->itemForNode(l.node)->color(), bitsColour(m_ctl->bitsOf(l.name)));
        toggle->setChecked(false);
        QVERIFY(m_window->graphScene()->itemForNode(m_ctl->layers()[0].node)->color() != bitsColour(2));
        // A 4-bit node stays distinct from the selection outline (amber): RGB distance > 100.
        const QColor four = bitsColour(4), outline = style::highlightColor();
        const int dr = four.red() - outline.red(), dg = four.green() - outline.green(), db = four.blue() - outline.blue();
        QVERIFY(dr * dr + dg * dg + db * db > 100 * 100);
    }

    void evaluateMeasuresChosenBits()
    {
        m_model->undoStack()->undo(); // back to all 8 bits
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitIdle(m_ctl));
        const auto& m = m_ctl->lastMeasurement();
        QVERIFY(m.has_value());
        QCOMPARE(m->samples, int64_t(200));
        QVERIFY(m->hasLabels);
        // Same data and configuration as the sensitivity table's base entries.
        QCOMPARE(m->accuracyDrop, m_ctl->measuredDrop(m_ctl->layers()[0].name, 8));
        QVERIFY(m_panel->estimateLabel()->text().contains("Measured"));
    }

    void cancelStopsSensitivityJob()
    {
        m_ctl->setSampleLimits(128, 0); // all 10,000 test images: long enough to cancel
        const auto before = m_ctl->sensitivity()->entries.size();
        QSignalSpy cancelled(m_window->jobs(), &JobManager::jobCancelled);
        QSignalSpy progress(m_window->jobs(), &JobManager::jobProgress);
        const int job = m_ctl->analyzeSensitivity();
        QVERIFY(job > 0);
        QVERIFY(progress.wait(10000));
        m_ctl->cancel();
        QVERIFY(waitIdle(m_ctl, 10000));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).toInt(), job);
        QCOMPARE(m_ctl->sensitivity()->entries.size(), before); // old table kept
        m_ctl->setSampleLimits(128, 200);
    }

    void failedJobNamesFileAndKeepsResults()
    {
        const QString missing = m_dir.filePath("missing_x.npy");
        m_ctl->setEvalData(missing, {});
        QSignalSpy failed(m_window->jobs(), &JobManager::jobFailed);
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitIdle(m_ctl));
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.at(0).at(2).toString().contains("missing_x.npy"));
        QVERIFY(m_ctl->lastMeasurement().has_value()); // the earlier measurement stays
        m_ctl->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
    }

    void projectStoresBitsAndSensitivityCache()
    {
        m_ctl->setBits(m_ctl->layers()[0].name, 4);
        const QString path = m_dir.filePath("lenet.tessera");
        QVERIFY(m_window->saveProjectTo(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(json["layers"].toObject()[m_ctl->layers()[0].name].toObject()["bits"].toInt(), 4);
        // Stored relative to the project file (like "model"), absolute in memory.
        const QString cache = json["panels"].toObject()["quant"].toObject()["sensitivityCachePath"].toString();
        QVERIFY(QDir::isRelativePath(cache));
        QCOMPARE(QDir::cleanPath(QDir(m_dir.path()).absoluteFilePath(cache)), m_ctl->sensitivityCachePath());

        // A fresh window reads the table from the cache instead of measuring again.
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::documentShown);
        other.openPath(path);
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        QuantController* c = other.quantPanel()->controller();
        QVERIFY(waitIdle(c));
        QVERIFY(c->sensitivity());
        QCOMPARE(c->sensitivity()->entries.size(), m_ctl->sensitivity()->entries.size());
        QVERIFY(c->isCalibrated());
        QCOMPARE(c->bitsOf(c->layers()[0].name), 4);
        QCOMPARE(c->estimatedDrop(), m_ctl->estimatedDrop());
        QCOMPARE(c->paretoPoints().size(), m_ctl->paretoPoints().size());
        for (size_t i = 0; i < c->paretoPoints().size(); ++i) {
            QCOMPARE(c->paretoPoints()[i].weightBits, m_ctl->paretoPoints()[i].weightBits);
            QCOMPARE(c->paretoPoints()[i].accuracyDrop, m_ctl->paretoPoints()[i].accuracyDrop);
        }
    }

    void paretoPointSetsWeightAndAdcBits()
    {
        // A report as `tessera mixed-precision --objective energy --adc-bits-options ...
        // --dac-bits-options ...` writes: point 1 lowers weight, DAC and ADC bits per layer.
        std::map<std::string, int> weights, adc, dac;
        int i = 0;
        for (const QuantLayer& l : m_ctl->layers()) {
            weights[l.name.toStdString()] = i % 2 ? 6 : 3;
            dac[l.name.toStdString()] = 8 - 2 * (i % 3);
            adc[l.name.toStdString()] = 6 + 2 * (i++ % 3);
        }
        const auto point = [](const std::map<std::string, int>& w, const std::map<std::string, int>& a,
                              const std::map<std::string, int>& d, double cost, double drop) {
            return nlohmann::json{{"weight_bits", w}, {"adc_bits", a}, {"dac_bits", d}, {"cost", cost}, {"top1", 0.9},
                                  {"accuracy_drop", drop}, {"agreement", 0.95}, {"output_sqnr_db", 20.0}, {"pareto", true}};
        };
        const std::map<std::string, int> dacBefore = m_ctl->chosenDacBits();
        const nlohmann::json report{{"points", {point(m_ctl->chosenBits(), m_ctl->chosenAdcBits(), dacBefore, 2e6, 0.0),
                                                point(weights, adc, dac, 1e6, 0.01)}},
                                    {"chosen", 1}, {"objective", "energy"}};
        const QString path = m_dir.filePath("energy_search.json");
        writeFileAtomic(path.toStdString(), report.dump());
        m_ctl->loadParetoReport(path);
        QCOMPARE(m_ctl->paretoPoints().size(), size_t(2));
        QCOMPARE(m_ctl->paretoPoints()[1].adcBits, adc);
        const std::map<std::string, int> bitsBefore = m_ctl->chosenBits(), adcBefore = m_ctl->chosenAdcBits();
        QVERIFY(adcBefore != adc);

        QuantParetoPlot* plot = m_panel->paretoPlot();
        m_panel->showChart(plot);
        QCOMPARE(m_ctl->paretoObjective(), quant::CostObjective::Energy);
        QVERIFY(plot->plot()->xAxis->label().contains("energy per frame (µJ"));
        const int undoBefore = m_model->undoStack()->index();
        QTest::mouseClick(plot->plot(), Qt::LeftButton, {}, plot->plot()->mapFrom(plot, plot->pointCenter(1)));
        QCOMPARE(m_model->undoStack()->index(), undoBefore + 1); // one command
        QCOMPARE(m_ctl->chosenBits(), weights);
        QCOMPARE(m_ctl->chosenAdcBits(), adc);
        QCOMPARE(m_ctl->chosenDacBits(), dac);
        // The spec the chip view compiles and Evaluate measures carries them.
        const QuantSpec spec = withChosenBits(*m_ctl->baseResult(), *m_ctl->resultGraph(), m_ctl->chosenBits(),
                                              m_ctl->chosenAdcBits(), m_ctl->chosenDacBits());
        for (const auto& [layer, bits] : adc) {
            QCOMPARE(spec.findLayer(layer)->adcBits, bits);
            QCOMPARE(spec.findLayer(layer)->weightBits, weights.at(layer));
            QCOMPARE(spec.findLayer(layer)->inputBits, dac.at(layer));
        }
        // The table shows them; DAC and ADC depths other than the calibrated ones are tinted.
        QCOMPARE(m_panel->table()->horizontalHeaderItem(QuantPanel::kAdcColumn)->text(), QString("ADC"));
        QCOMPARE(m_panel->table()->horizontalHeaderItem(QuantPanel::kDacColumn)->text(), QString("DAC"));
        for (int r = 0; r < m_ctl->layers().size(); ++r) {
            QTableWidgetItem* cell = m_panel->table()->item(r, QuantPanel::kAdcColumn);
            const std::string name = m_ctl->layers()[r].name.toStdString();
            QCOMPARE(cell->text(), QString::number(adc.at(name)));
            QCOMPARE(cell->font().bold(), adc.at(name) != m_ctl->defaultAdcBitsOf(m_ctl->layers()[r].name));
            QTableWidgetItem* dacCell = m_panel->table()->item(r, QuantPanel::kDacColumn);
            QCOMPARE(dacCell->text(), QString::number(dac.at(name)));
            QCOMPARE(dacCell->font().bold(), dac.at(name) != 8);
        }
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty())
            for (const bool dark : {false, true}) {
                QApplication::setPalette(dark ? style::darkPalette() : QApplication::style()->standardPalette());
                QTest::qWait(150);
                // Dark: the table only (the dock's plots take the palette when they are made,
                // not on a later palette change).
                QWidget* shot = dark ? static_cast<QWidget*>(m_panel->table()) : m_panel;
                QVERIFY(shot->grab().save(dir + (dark ? "/quant-pareto-adc-dark.png" : "/quant-pareto-adc.png")));
            }
        QApplication::setPalette(QApplication::style()->standardPalette());
        m_model->undoStack()->undo();
        QCOMPARE(m_ctl->chosenBits(), bitsBefore);
        QCOMPARE(m_ctl->chosenAdcBits(), adcBefore);
        QCOMPARE(m_ctl->chosenDacBits(), dacBefore);
    }

    // A DAC cell edited in the table: one undo step, saved in the project under
    // layers.<node>.dacBits, refused above the input's 8 bits (the cell shows the bits again).
    void dacCellEditIsUndoableAndSaved()
    {
        const QString name = m_ctl->layers()[1].name;
        QTableWidgetItem* cell = m_panel->table()->item(1, QuantPanel::kDacColumn);
        QVERIFY(cell->flags() & Qt::ItemIsEditable);
        const int undoBefore = m_model->undoStack()->index();
        cell->setData(Qt::EditRole, 5); // what the spin box commits
        QCOMPARE(m_model->undoStack()->index(), undoBefore + 1);
        QCOMPARE(m_ctl->dacBitsOf(name), 5);
        QCOMPARE(m_ctl->chosenLayer(name)->inputBits, 5);
        QVERIFY(m_panel->table()->item(1, QuantPanel::kDacColumn)->font().bold());
        const QString path = m_dir.filePath("dac.tessera");
        QVERIFY(m_window->saveProjectTo(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()["layers"].toObject()[name].toObject()["dacBits"].toInt(), 5);
        QSignalSpy msg(m_ctl, &QuantController::message);
        m_panel->table()->item(1, QuantPanel::kDacColumn)->setData(Qt::EditRole, 12);
        QCOMPARE(msg.count(), 1);
        QCOMPARE(m_ctl->dacBitsOf(name), 5);
        QCOMPARE(m_panel->table()->item(1, QuantPanel::kDacColumn)->text(), QString("5"));
        m_model->undoStack()->undo();
        QCOMPARE(m_ctl->dacBitsOf(name), 8);
    }

    // The dock's objective choice runs the CLI's search (quant::runMixedPrecision) with the
    // DAC and ADC axes on the project's target, reusing the measured table: its points are the
    // CLI's for the same request, number for number, and applying one sets all three bits.
    void energyObjectiveRunsTheCliSearch()
    {
        QComboBox* box = m_panel->objectiveBox();
        box->setCurrentIndex(box->findData(static_cast<int>(quant::CostObjective::Energy)));
        emit box->activated(box->currentIndex());
        QCOMPARE(m_ctl->searchObjective(), quant::CostObjective::Energy);
        const quant::MixedPrecisionRequest req = m_ctl->searchRequest();
        QCOMPARE(req.options.objective, quant::CostObjective::Energy);
        QCOMPARE(req.options.dacBits, QuantController::searchDacBits());
        QCOMPARE(req.options.adcBits, QuantController::searchAdcBits());
        QCOMPARE(req.target, std::string("m1076"));
        QCOMPARE(QString::fromStdString(req.sensitivityPath), m_ctl->sensitivityCachePath());
        QVERIFY(m_ctl->searchMixedPrecision() > 0);
        QVERIFY(waitIdle(m_ctl, 120000));
        QCOMPARE(m_ctl->paretoObjective(), quant::CostObjective::Energy);
        QVERIFY(m_panel->paretoPlot()->plot()->xAxis->label().contains("energy per frame"));
        quant::MixedPrecisionRequest cli = req;
        cli.reportPath = m_dir.filePath("cli_energy.json").toStdString();
        const std::vector<quant::ParetoPoint> want = paretoFromJson(quant::runMixedPrecision(cli), cli.reportPath);
        const std::vector<quant::ParetoPoint>& got = m_ctl->paretoPoints();
        QCOMPARE(got.size(), want.size());
        bool dacLowered = false;
        for (size_t i = 0; i < got.size(); ++i) {
            QVERIFY(got[i].weightBits == want[i].weightBits && got[i].dacBits == want[i].dacBits &&
                    got[i].adcBits == want[i].adcBits);
            QVERIFY(got[i].cost == want[i].cost && got[i].accuracyDrop == want[i].accuracyDrop);
            for (const auto& [layer, bits] : got[i].dacBits)
                dacLowered |= bits < 8;
        }
        QVERIFY(got.size() > 1);
        QVERIFY(dacLowered);
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            m_panel->showChart(m_panel->paretoPlot());
            QTest::qWait(150);
            QVERIFY(m_panel->grab().save(dir + "/quant-pareto-energy.png"));
        }
        m_ctl->setSearchObjective(quant::CostObjective::WeightBits);
    }

    // "Frames/s (simulated)" runs the same CLI search priced by whole frames: every point
    // compiled and run through the performance model; the x axis is frames/s, and the fastest
    // point's figure is the performance model's for its spec compiled here.
    void fpsObjectiveRunsTheCliSearch()
    {
        QComboBox* box = m_panel->objectiveBox();
        box->setCurrentIndex(box->findData(static_cast<int>(quant::CostObjective::Fps)));
        emit box->activated(box->currentIndex());
        const quant::MixedPrecisionRequest req = m_ctl->searchRequest();
        QCOMPARE(req.options.objective, quant::CostObjective::Fps);
        QVERIFY(req.frameCost);
        QVERIFY(m_ctl->searchMixedPrecision() > 0);
        QVERIFY(waitIdle(m_ctl, 240000));
        QCOMPARE(m_ctl->paretoObjective(), quant::CostObjective::Fps);
        QVERIFY(m_panel->paretoPlot()->plot()->xAxis->label().contains("frames/s"));
        const std::vector<quant::ParetoPoint>& pts = m_ctl->paretoPoints();
        QVERIFY(pts.size() > 1);
        const quant::ParetoPoint* fastest = &pts[0];
        for (const quant::ParetoPoint& p : pts) {
            QVERIFY(p.hasFrame && p.cost == 1e6 / p.frame.fps);
            fastest = p.frame.fps > fastest->frame.fps ? &p : fastest;
        }
        QVERIFY(fastest->frame.fps > pts[0].frame.fps);
        const QCPRange x = m_panel->paretoPlot()->plot()->xAxis->range();
        qInfo("x axis %g..%g, base %g, fastest %g fps", x.lower, x.upper, pts[0].frame.fps, fastest->frame.fps);
        QVERIFY(x.contains(fastest->frame.fps) && x.contains(pts[0].frame.fps));
        const QuantSpec base = readQuantSpec(req.quantPath);
        quant::ModelGraphs graphs = quant::openModelFor(req.modelPath, base);
        const Graph& g = graphs.forBatch(graphs.declaredBatch());
        const QuantSpec spec = withChosenBits(base, g, fastest->weightBits, fastest->adcBits, fastest->dacBits);
        const compiler::CompileResult r = compiler::compileGraph(g, loadTarget("m1076"), &spec);
        const sim::PerfReport perf = sim::modelPerformance(compiler::buildPackage(g, r, &spec, {}));
        QCOMPARE(fastest->frame.fps, perf.fps);
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            m_panel->showChart(m_panel->paretoPlot());
            QTest::qWait(150);
            QVERIFY(m_panel->grab().save(dir + "/quant-pareto-fps.png"));
        }
        m_ctl->setSearchObjective(quant::CostObjective::WeightBits);
    }

    void fileMenuLoadsAParetoReport()
    {
        QAction* load = m_window->findChild<QAction*>("actionLoadParetoReport");
        QVERIFY(load);
        QAction* exportPkg = m_window->findChild<QAction*>("actionExportPackage");
        QVERIFY(exportPkg);
        bool sameMenu = false;
        for (QObject* w : load->associatedObjects())
            sameMenu |= qobject_cast<QMenu*>(w) && exportPkg->associatedObjects().contains(w);
        QVERIFY(sameMenu); // in the File menu
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestQuantPanel)
#include "test_quant_panel.moc"

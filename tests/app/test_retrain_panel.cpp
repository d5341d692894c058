// The Retrain dock offscreen on mnist_lenet (calibrated on 64 samples, 200 labelled test
// digits for the comparison): Start is refused with a reason without the engine, without
// calibration or without labels; a run adds one curve point per epoch as it happens; Cancel
// stops it and keeps its result; the before/after tables are filled from the quantizer's own
// evaluation (checked against runQuantEval run here), with accuracy under noise over seeds
// when the tuned spec has a noise model; adopting the tuned model is undoable.
// The runner is injected: a deterministic fake with runRetrain's signature (epochs with
// made-up figures, the tuned model = a copy of the starting one), so the dock is tested
// apart from the engine (tests/train tests the engine).
#include "app/MainWindow.h"
#include "app/controllers/QuantController.h"
#include "app/panels/QuantPanel.h"
#include "app/views/NodeStyle.h"
#include "app/model/ModelLoader.h"
#include "app/panels/RetrainCurve.h"
#include "app/panels/RetrainPanel.h"
#include "core/quantspec/QuantSpec.h"

#include <QApplication>
#include <QSignalSpy>
#include <QDockWidget>
#include <QFile>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/app/WaitFor.h"

#include <qcustomplot.h>

#include <atomic>
#include <thread>

using namespace tessera;
using namespace tessera::studio;

namespace {

const QString kMnist = QStringLiteral(TESSERA_TEST_DATA "/models/mnist");

using testing::waitFor;

// runRetrain's contract, faked: one report per epoch (loss 1/epoch, accuracy rising),
// stops on cancel, "writes" the tuned model as a copy of the starting one and its spec
// (with `noise` as the spec's non-idealities).
struct FakeRunner {
    int msPerEpoch = 0;
    analog::NonIdealities noise;
    std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);

    train::RetrainResult operator()(const train::RetrainRequest& req, ProgressSink* sink, const train::EpochCallback& onEpoch) const
    {
        ++*calls;
        train::RetrainResult r;
        r.stopReason = "epochs";
        r.heldoutBefore = 0.9;
        for (int e = 1; e <= req.options.epochs; ++e) {
            if (sink->isCancelled()) {
                r.stopReason = "cancelled";
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(msPerEpoch));
            sink->report(static_cast<double>(e) / req.options.epochs, "epoch");
            const train::EpochReport rep{e, req.options.epochs, 1.0 / e, 0.9 + 0.01 * e, 1.2 / e, 0.9 + 0.005 * e, 0.01, true};
            r.epochs.push_back(rep);
            r.bestEpoch = e;
            r.heldoutAfter = rep.heldoutAccuracy;
            onEpoch(rep);
        }
        QFile::remove(QString::fromStdString(req.outputModel));
        QFile::copy(QString::fromStdString(req.modelPath), QString::fromStdString(req.outputModel));
        QuantSpec spec = readQuantSpec(req.quantPath);
        spec.config.nonIdealities = noise;
        writeQuantSpec(req.outputQuant, spec);
        r.outputModel = req.outputModel;
        r.outputQuant = req.outputQuant;
        return r;
    }
};

} // namespace

class TestRetrainPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    ProjectModel m_model;
    JobManager m_jobs;
    std::unique_ptr<QuantController> m_quant;
    std::unique_ptr<RetrainController> m_retrain; // outlives its panel
    std::unique_ptr<RetrainPanel> m_panel;
    FakeRunner m_fake;
    RetrainController* ctl() const { return m_panel->controller(); }

    // A fresh controller (empty runner: the engine) and a panel observing it.
    void makePanel(RetrainRunner runner)
    {
        m_panel.reset();
        m_retrain = std::make_unique<RetrainController>(&m_model, &m_jobs, m_quant.get(), std::move(runner));
        m_panel = std::make_unique<RetrainPanel>(&m_model, m_retrain.get());
    }

    void setEpochs(int epochs)
    {
        RetrainSettings s = ctl()->settings();
        s.options.epochs = epochs;
        ctl()->setSettings(s);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        const QString model = kMnist + "/mnist_lenet.onnx";
        SilentProgress quiet;
        m_model.newProject(model);
        m_model.setDocument(loadModelDocument(model.toStdString(), quiet));
        m_quant = std::make_unique<QuantController>(&m_model, &m_jobs);
        makePanel(m_fake);
        m_panel->resize(1500, 360);
        m_panel->show();
        m_quant->setWorkDir(m_dir.filePath("work"));
        m_quant->setSampleLimits(64, 200);
    }

    void refusesWithAReason()
    {
        ProjectModel empty;
        RetrainController none(&empty, &m_jobs, m_quant.get()); // no runner: as without the engine
        if (!none.available())
            QCOMPARE(none.blocker(), RetrainController::trainingMissingText());
        QVERIFY(ctl()->blocker().contains("calibrate"));
        QVERIFY(!m_panel->startButton()->isEnabled());
        QCOMPARE(m_panel->startButton()->toolTip(), ctl()->blocker());
        QCOMPARE(ctl()->start(), 0);
        m_model.setDatasetPath(kMnist + "/mnist_calib_x.npy");
        QVERIFY(m_quant->calibrate() > 0);
        QVERIFY(waitFor([this] { return m_quant->isCalibrated() && !m_quant->runningJob(); }));
        QVERIFY(ctl()->blocker().contains("no labels")); // the calibration data has none
        QVERIFY(!m_panel->startButton()->isEnabled());
        m_quant->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        QCOMPARE(ctl()->blocker(), QString());
        QVERIFY(m_panel->startButton()->isEnabled());
    }

    void curveGetsOnePointPerEpoch()
    {
        setEpochs(3);
        RetrainSettings s = ctl()->settings();
        s.noiseSeeds = 0; // under noise: accuracyUnderNoiseOverSeeds
        ctl()->setSettings(s);
        int seen = 0;
        connect(ctl(), &RetrainController::epochAdded, this, [&] { QCOMPARE(m_panel->curve()->pointCount(), ++seen); });
        QVERIFY(ctl()->start() > 0);
        QVERIFY(!m_panel->startButton()->isEnabled());
        QVERIFY(m_panel->cancelButton()->isEnabled());
        QVERIFY(waitFor([this] { return !ctl()->runningJob(); }));
        disconnect(ctl(), &RetrainController::epochAdded, this, nullptr);
        QCOMPARE(seen, 3);
        QCOMPARE(m_panel->curve()->pointCount(), 3);
        QVERIFY(ctl()->outcome());
        QCOMPARE(QString::fromStdString(ctl()->outcome()->result.stopReason), QString("epochs"));
    }

    void beforeAfterTableMatchesTheQuantizersEvaluation()
    {
        const RetrainOutcome& o = *ctl()->outcome();
        QVERIFY(o.comparison.before.measured && o.comparison.after.measured);
        quant::EvalRequest req; // the independent reference: the CLI's quant-eval path
        req.modelPath = (kMnist + "/mnist_lenet.onnx").toStdString();
        req.quantPath = o.startQuant.toStdString();
        req.data = m_quant->dataSource(m_quant->evalInputs(), m_quant->evalLabels(), 200);
        req.nonIdealities = false;
        const nlohmann::json ref = quant::runQuantEval(req);
        QCOMPARE(o.comparison.before.report.quantTop1, ref.at("quant_top1").get<double>());
        QCOMPARE(o.comparison.after.report.quantTop1, o.comparison.before.report.quantTop1); // the fake's tuned model is the same
        QTableWidget* t = m_panel->overallTable();
        QCOMPARE(t->item(RetrainPanel::EvalTop1, 0)->text(), QString::number(100.0 * ref.at("quant_top1").get<double>(), 'f', 2) + " %");
        QCOMPARE(t->item(RetrainPanel::HeldOut, 1)->text(), QString("91.50 %"));
        QCOMPARE(t->item(RetrainPanel::UnderNoise, 0)->text(), QString("—")); // noise seeds 0
        QCOMPARE(m_panel->layerTable()->rowCount(), m_quant->layers().size());
        QVERIFY(m_panel->adoptButton()->isEnabled());
    }

    void cancelStopsAndKeepsTheResult()
    {
        m_fake.msPerEpoch = 40;
        m_panel.reset();
        makePanel(m_fake);
        setEpochs(200);
        QVERIFY(ctl()->start() > 0);
        QVERIFY(waitFor([this] { return ctl()->epochs().size() >= 2; }));
        m_panel->cancelButton()->click();
        QVERIFY(ctl()->isStopping());
        QVERIFY(waitFor([this] { return !ctl()->runningJob(); }));
        QVERIFY(ctl()->outcome());
        const train::RetrainResult& r = ctl()->outcome()->result;
        QCOMPARE(QString::fromStdString(r.stopReason), QString("cancelled"));
        QVERIFY(r.epochs.size() < 200);
        QCOMPARE(static_cast<size_t>(m_panel->curve()->pointCount()), r.epochs.size());
        QVERIFY(ctl()->outcome()->comparison.after.measured); // best weights kept and compared
        QVERIFY(!m_panel->overallTable()->item(RetrainPanel::EvalTop1, 1)->text().isEmpty());
    }

    // The status bar's Cancel (JobManager::stopAll) is the dock's Cancel: the run stops after
    // the batch and its best weights are kept and compared, not dropped.
    void statusBarCancelKeepsTheResult()
    {
        m_fake.msPerEpoch = 40;
        makePanel(m_fake);
        setEpochs(200);
        QVERIFY(ctl()->start() > 0);
        QVERIFY(waitFor([this] { return ctl()->epochs().size() >= 2; }));
        m_jobs.stopAll();
        QVERIFY(ctl()->isStopping());
        QVERIFY(waitFor([this] { return !ctl()->runningJob(); }));
        QVERIFY(ctl()->outcome());
        QCOMPARE(QString::fromStdString(ctl()->outcome()->result.stopReason), QString("cancelled"));
        QVERIFY(ctl()->outcome()->comparison.after.measured);
    }

    // At the studio's default size the Retrain dock shows its curve whole: the epoch axis
    // and its labels inside the visible dock. TESSERA_SCREENSHOT_DIR: retrain-dock-default.png.
    void dockShowsTheWholeCurveAtTheDefaultSize()
    {
        QApplication::setStyle("Fusion");
        MainWindow window; // restores the default size and layout (test-mode settings)
        window.show();
        QSignalSpy shown(&window, &MainWindow::documentShown);
        window.openPath(kMnist + "/mnist_mobile.onnx");
        QVERIFY(shown.wait(60000) || shown.count() > 0);
        auto* dock = window.findChild<QDockWidget*>("retrain");
        auto* panel = window.findChild<RetrainPanel*>();
        QVERIFY(dock && panel);
        dock->raise();
        panel->curve()->clear(3);
        for (int e = 1; e <= 3; ++e)
            panel->curve()->addEpoch({e, 3, 0.1 / e, 0.97 + 0.005 * e, 0.12 / e, 0.97 + 0.004 * e, 1.0, e == 3});
        QTest::qWait(100);
        QCustomPlot* plot = panel->curve()->plot();
        plot->replot();
        const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            window.grab().save(dir + "/retrain-dock-default.png");
        const int outerBottom = plot->axisRect()->outerRect().bottom(); // the epoch axis' labels included
        QVERIFY2(outerBottom < plot->height(), qPrintable(QString("axis ends at %1 of %2").arg(outerBottom).arg(plot->height())));
        const QPoint axisInDock = plot->mapTo(dock, QPoint(0, outerBottom));
        QVERIFY2(axisInDock.y() < dock->height(), qPrintable(QString("axis at %1, dock %2 high").arg(axisInDock.y()).arg(dock->height())));
        // Room for the curve itself: offscreen the default size is bounded by an 800x800
        // screen (a 238-pixel dock); the studio's own default (1500x920) leaves more.
        QVERIFY2(plot->axisRect()->height() >= 60, qPrintable(QString::number(plot->axisRect()->height())));
    }

    void accuracyUnderNoiseOverSeeds()
    {
        m_fake.msPerEpoch = 0;
        m_fake.noise.readNoise = 0.06;
        makePanel(m_fake);
        setEpochs(1);
        RetrainSettings s = ctl()->settings();
        s.noiseSeeds = 3;
        ctl()->setSettings(s);
        QVERIFY(ctl()->start() > 0);
        QVERIFY(waitFor([this] { return !ctl()->runningJob() && ctl()->outcome(); }));
        const RetrainComparison& c = ctl()->outcome()->comparison;
        QCOMPARE(c.before.noisy.size(), size_t(3));
        QCOMPARE(c.after.noisy, c.before.noisy); // same weights, same seeds, same draws
        QVERIFY(c.before.noisySpread() >= 0.0);
        QVERIFY(m_panel->overallTable()->item(RetrainPanel::UnderNoise, 1)->text().contains("±"));
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            m_panel->resize(1150, 330); // the bottom dock of the default window
            QVERIFY(m_panel->grab().save(dir + "/retrain-panel-fake.png"));
        }
    }

    void adoptingIsUndoable()
    {
        const QString original = m_model.project().modelPath;
        const QString tuned = QString::fromStdString(ctl()->outcome()->result.outputModel);
        QVERIFY(ctl()->adopt());
        QCOMPARE(m_model.project().modelPath, QFileInfo(tuned).absoluteFilePath());
        QCOMPARE(m_quant->quantResultPath(), QFileInfo(QString::fromStdString(ctl()->outcome()->result.outputQuant)).absoluteFilePath());
        QVERIFY(ctl()->isAdopted());
        QVERIFY(!ctl()->adopt()); // already adopted
        m_model.undoStack()->undo();
        QCOMPARE(m_model.project().modelPath, original);
        QVERIFY(!ctl()->isAdopted());
    }

#if TESSERA_HAVE_TRAINING
    // The engine itself (runRetrain): quantization-aware, 2 epochs on 256 labelled digits.
    void retrainsWithTheEngine()
    {
        makePanel({}); // default runner
        QVERIFY(ctl()->available());
        RetrainSettings s = ctl()->settings();
        s.options.epochs = 2;
        s.options.batchSize = 32;
        s.options.holdout = 0.25;
        s.options.patience = 0;
        s.trainSamples = 256;
        s.noiseSeeds = 2;
        ctl()->setSettings(s);
        QVERIFY(ctl()->start() > 0);
        QVERIFY(waitFor([this] { return !ctl()->runningJob(); }, 300000));
        QVERIFY(ctl()->outcome());
        const RetrainOutcome& o = *ctl()->outcome();
        QCOMPARE(o.result.epochs.size(), size_t(2));
        QCOMPARE(m_panel->curve()->pointCount(), 2);
        QVERIFY(QFileInfo::exists(QString::fromStdString(o.result.outputModel)));
        QVERIFY(o.comparison.after.measured);
        QCOMPARE(o.comparison.after.noisy.size(), size_t(2)); // the default analog-noise model
        QVERIFY(o.comparison.after.report.quantTop1 > 0.5);
    }

    // TESSERA_SCREENSHOT_DIR=dir: the studio window with a finished run on mnist_mobile, every
    // analog layer at 3 bits, 2,000 test digits for the comparison; training data from
    // TESSERA_MNIST_TRAIN_DIR (mnist_train_x.npy / mnist_train_y.npy, first 1,000), else the
    // test digits; 5 epochs (TESSERA_SHOT_EPOCHS, TESSERA_SHOT_SAMPLES, TESSERA_SHOT_EVAL
    // evaluation samples; minutes on a busy 2-core machine: set QTEST_FUNCTION_TIMEOUT). TESSERA_STUDIO_THEME=dark writes retrain-panel-dark.png.
    void screenshot()
    {
        const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set TESSERA_SCREENSHOT_DIR to write retrain-panel.png");
        const bool dark = qEnvironmentVariable("TESSERA_STUDIO_THEME") == "dark";
        QApplication::setStyle("Fusion");
        if (dark)
            QApplication::setPalette(style::darkPalette());
        MainWindow window;
        window.resize(1600, 1000);
        window.show();
        QSignalSpy shown(&window, &MainWindow::documentShown);
        window.openPath(kMnist + "/mnist_mobile.onnx");
        QVERIFY(shown.wait(60000) || shown.count() > 0);
        QuantController* quant = window.quantPanel()->controller();
        window.projectModel()->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        quant->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        quant->setWorkDir(m_dir.filePath("shot"));
        quant->setSampleLimits(0, qEnvironmentVariableIntValue("TESSERA_SHOT_EVAL")); // 0: all
        QVERIFY(quant->calibrate() > 0);
        QVERIFY(waitFor([quant] { return quant->isCalibrated() && !quant->runningJob(); }));
        std::map<std::string, int> bits;
        for (const QuantLayer& l : quant->layers())
            bits[l.name.toStdString()] = 3;
        quant->applyConfiguration(bits, "all layers at 3 bits");
        auto* panel = window.findChild<RetrainPanel*>();
        const QString train = qEnvironmentVariable("TESSERA_MNIST_TRAIN_DIR");
        if (!train.isEmpty())
            panel->controller()->setTrainingData(train + "/mnist_train_x.npy", train + "/mnist_train_y.npy");
        RetrainSettings s = panel->controller()->settings();
        s.options.epochs = qEnvironmentVariableIntValue("TESSERA_SHOT_EPOCHS") ? qEnvironmentVariableIntValue("TESSERA_SHOT_EPOCHS") : 5;
        s.options.learningRate = 5e-4;
        s.options.patience = 0;
        s.trainSamples = qEnvironmentVariableIntValue("TESSERA_SHOT_SAMPLES") ? qEnvironmentVariableIntValue("TESSERA_SHOT_SAMPLES") : 1000;
        panel->controller()->setSettings(s);
        window.quantPanel()->retrainButton()->click();
        QVERIFY(panel->controller()->start() > 0);
        QVERIFY(waitFor([panel] { return !panel->controller()->runningJob(); }, 1200000));
        QVERIFY(panel->controller()->outcome());
        window.resizeDocks({window.findChild<QDockWidget*>("retrain")}, {380}, Qt::Vertical);
        QTest::qWait(200);
        QVERIFY(window.grab().save(dir + (dark ? "/retrain-panel-dark.png" : "/retrain-panel.png")));
    }
#endif
};

QTEST_MAIN(TestRetrainPanel)
#include "test_retrain_panel.moc"

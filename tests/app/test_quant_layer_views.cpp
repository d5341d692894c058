// The quantization dock's per-layer views on mnist_lenet, offscreen: per-node SQNR after
// Evaluate (chart and table against quant::evaluate run here), clicking an SQNR point,
// ADC bits (undo/redo, project file, used by Evaluate), the selected layer's histograms
// (grid lines and clipped fraction against values computed here with the FP32 executor),
// the bits legend and relative cache paths in the project file.
#include "app/MainWindow.h"
#include "app/panels/QuantLayerDetail.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/QuantSqnrChart.h"
#include "app/views/GraphItems.h"
#include "app/views/GraphView.h"
#include "app/views/NodeStyle.h"
#include "core/Executor.h"
#include "core/analog/AnalogLowering.h"
#include "quant/Calibrator.h"
#include "quant/QuantizeApi.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
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
constexpr int64_t kEvalSamples = 200;

bool darkTheme()
{
    return qEnvironmentVariable("TESSERA_STUDIO_THEME") == "dark";
}

bool waitIdle(const std::function<int()>& running, int timeoutMs = 30000)
{
    QElapsedTimer t;
    t.start();
    while (running() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return running() == 0;
}

// Every value of `valueName` over the first `count` samples of `npy` (FP32 executor, on
// the graph `result` was made for).
std::vector<float> fp32Values(const std::string& model, const QuantSpec& result, const std::string& npy, int64_t count,
                              const std::string& valueName)
{
    const quant::Dataset all = quant::loadNpyDataset({npy});
    const Tensor batch = quant::sliceRows(all.inputs, 0, count);
    quant::ModelGraphs graphs(model);
    quant::prepareModel(graphs, result);
    const Graph& g = graphs.forBatch(count);
    const ValueId wanted = *g.findValue(valueName);
    ExecutorOptions options;
    options.reuseBuffers = false;
    Executor exec(g, options);
    exec.run({batch});
    const Tensor& t = g.value(wanted).producer == kNoNode ? batch : exec.valueTensor(wanted);
    return t.toFloatVector();
}

} // namespace

class TestQuantLayerViews : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    QuantPanel* m_panel = nullptr;
    QuantController* m_ctl = nullptr;
    ProjectModel* m_model = nullptr;

    bool waitQuant(int timeoutMs = 30000) { return waitIdle([this] { return m_ctl->runningJob(); }, timeoutMs); }
    QString modelPath() const { return kMnist + "/mnist_lenet.onnx"; }
    // Index of the analog layer with the most MACs (a middle conv/gemm, not the first).
    int bigLayer() const
    {
        int best = 0;
        for (int i = 1; i < m_ctl->layers().size(); ++i)
            if (m_ctl->layers()[i].macs > m_ctl->layers()[best].macs)
                best = i;
        return best;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("TesseraTest");
        QCoreApplication::setApplicationName("QuantLayerViewsTest");
        if (darkTheme()) // the dark-desktop screenshots
            QApplication::setPalette(style::darkPalette());
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        m_window->resize(1500, 950);
        m_window->show();
        QSignalSpy shown(m_window.get(), &MainWindow::documentShown);
        m_window->openPath(modelPath());
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        m_panel = m_window->quantPanel();
        m_ctl = m_panel->controller();
        m_model = m_window->projectModel();
        m_model->setDatasetPath(kMnist + "/mnist_calib_x.npy");
        m_ctl->setEvalData(kMnist + "/mnist_test_x.npy", kMnist + "/mnist_test_y.npy");
        m_ctl->setSampleLimits(128, kEvalSamples);
        m_ctl->setWorkDir(m_dir.filePath("work"));
        QVERIFY(m_ctl->calibrate() > 0);
        QVERIFY(waitQuant());
        QVERIFY(m_ctl->isCalibrated());
    }

    void evaluateFillsSqnrChartAndColumn()
    {
        QCOMPARE(m_panel->sqnrChart()->pointCount(), 0);
        QVERIFY(!m_panel->sqnrChart()->plot()->xAxis->tickLabels() && !m_panel->sqnrChart()->plot()->yAxis->tickLabels());
        m_ctl->setBits(m_ctl->layers()[bigLayer()].name, 2); // a clear drop at that layer
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitQuant());
        QVERIFY(m_panel->sqnrChart()->plot()->xAxis->tickLabels() && m_panel->sqnrChart()->plot()->yAxis->tickLabels());
        // The engine's report on the same data and configuration, computed here.
        quant::ModelGraphs graphs(modelPath().toStdString());
        const QuantSpec chosen = readQuantSpec(QDir(m_ctl->workDir()).filePath("quant_chosen.json").toStdString());
        QCOMPARE(chosen.findLayer(m_ctl->layers()[bigLayer()].name.toStdString())->weightBits, 2);
        quant::Dataset data = quant::loadNpyDataset({(kMnist + "/mnist_test_x.npy").toStdString()});
        data.inputs = quant::sliceRows(data.inputs, 0, kEvalSamples);
        quant::EvalOptions options;
        options.perLayer = true;
        const quant::EvalReport report = quant::evaluate(graphs, chosen, data, options);
        QVERIFY(report.layers.size() > size_t(m_ctl->layers().size()));

        QuantSqnrChart* chart = m_panel->sqnrChart();
        const SqnrProfile& profile = m_ctl->lastMeasurement()->sqnr;
        QCOMPARE(chart->pointCount(), int(report.layers.size()));
        for (size_t i = 0; i < report.layers.size(); ++i) {
            QCOMPARE(profile.points[i].node.toStdString(), report.layers[i].node);
            QCOMPARE(profile.points[i].sqnrDb, report.layers[i].sqnrDb);
            QCOMPARE(profile.points[i].analog, report.layers[i].analog);
            if (std::isfinite(report.layers[i].sqnrDb))
                QCOMPARE(chart->plottedSqnr(int(i)), report.layers[i].sqnrDb);
        }
        // Table column: every analog layer's SQNR, one decimal.
        for (int r = 0; r < m_ctl->layers().size(); ++r) {
            const std::string name = m_ctl->layers()[r].name.toStdString();
            const auto it = std::find_if(report.layers.begin(), report.layers.end(), [&](const auto& l) { return l.node == name; });
            QVERIFY(it != report.layers.end());
            QCOMPARE(m_panel->table()->item(r, QuantPanel::kSqnrColumn)->text(), QString::number(it->sqnrDb, 'f', 1));
        }
        // The worst drop is the layer set to 2 bits, highlighted in the table and named.
        QVERIFY(profile.worst >= 0);
        QCOMPARE(profile.points[profile.worst].node, m_ctl->layers()[bigLayer()].name);
        QVERIFY(profile.points[profile.worst].dropDb > 3.0);
        QVERIFY(m_panel->table()->item(bigLayer(), QuantPanel::kSqnrColumn)->font().bold());
        QVERIFY(chart->summaryLabel()->text().contains(m_ctl->layers()[bigLayer()].name));
    }

    void clickingSqnrPointSelectsNode()
    {
        QuantSqnrChart* chart = m_panel->sqnrChart();
        m_panel->showChart(chart);
        const SqnrProfile& profile = m_ctl->lastMeasurement()->sqnr;
        for (int i : {profile.worst, chart->pointCount() - 1}) {
            QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->plot()->mapFrom(chart, chart->pointCenter(i)));
            QCOMPARE(m_model->selection()->current(), profile.points[i].id);
            QCOMPARE(QString::fromStdString(m_model->document()->graph().node(m_model->selection()->current()).name),
                     profile.points[i].node);
        }
        // The graph view centred on the clicked node.
        GraphView* view = m_window->graphView();
        const QRectF visible = view->mapToScene(view->viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(m_window->graphScene()->itemForNode(m_model->selection()->current())->sceneBoundingRect().center()));
        // Selecting the worst (analog) layer shows it in the table and the layer detail.
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->plot()->mapFrom(chart, chart->pointCenter(profile.worst)));
        QCOMPARE(m_panel->table()->currentRow(), bigLayer());
        QCOMPARE(m_panel->layerDetail()->shownLayer(), m_ctl->layers()[bigLayer()].name);
        // The fix: "Keep 8 bits" (undoable), then re-evaluate shows the recovered SQNR.
        const double before = profile.points[profile.worst].sqnrDb;
        m_panel->layerDetail()->keep8Button()->click();
        QCOMPARE(m_ctl->bitsOf(m_ctl->layers()[bigLayer()].name), 8);
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitQuant());
        const double after = m_ctl->lastMeasurement()->sqnr.sqnrOf(m_ctl->layers()[bigLayer()].name);
        QVERIFY(after > before + 3.0);
        qInfo("%s SQNR: %.1f dB at 2 bits, %.1f dB after Keep 8 bits; output %.1f dB", qPrintable(m_ctl->layers()[bigLayer()].name),
              before, after, m_ctl->lastMeasurement()->outputSqnrDb);
    }

    void adcBitsEditUndoRedoAndEvaluate()
    {
        const QuantLayer layer = m_ctl->layers()[0];
        m_model->selection()->select(layer.node, true);
        QuantLayerDetail* detail = m_panel->layerDetail();
        QCOMPARE(detail->shownLayer(), layer.name);
        QCOMPARE(m_ctl->adcBitsOf(layer.name), m_ctl->baseResult()->findLayer(layer.name.toStdString())->adcBits);
        const int undoBefore = m_model->undoStack()->index();
        QComboBox* box = detail->adcBox();
        box->setCurrentIndex(box->findData(6));
        emit box->activated(box->currentIndex()); // what a user's pick sends
        QCOMPARE(m_ctl->adcBitsOf(layer.name), 6);
        QCOMPARE(m_model->layerChoice(layer.name, "adcBits").toInt(), 6);
        QCOMPARE(m_model->undoStack()->index(), undoBefore + 1);
        QCOMPARE(m_panel->table()->item(0, QuantPanel::kAdcColumn)->text(), QStringLiteral("6"));
        m_model->undoStack()->undo();
        QVERIFY(m_model->layerChoice(layer.name, "adcBits").isUndefined());
        QCOMPARE(box->currentData().toInt(), m_ctl->adcBitsOf(layer.name));
        m_model->undoStack()->redo();
        QCOMPARE(m_ctl->adcBitsOf(layer.name), 6);
        QCOMPARE(box->currentData().toInt(), 6);
        // Evaluate runs the layer with that ADC.
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitQuant());
        const QuantSpec chosen = readQuantSpec(QDir(m_ctl->workDir()).filePath("quant_chosen.json").toStdString());
        QCOMPARE(chosen.findLayer(layer.name.toStdString())->adcBits, 6);
        QCOMPARE(chosen.config.layerAdcBits.at(layer.name.toStdString()), 6);
        QCOMPARE(m_ctl->lastMeasurement()->adcBits.at(layer.name.toStdString()), 6);
    }

    void weightHistogramGridAndClipping()
    {
        const QuantLayer layer = m_ctl->layers()[bigLayer()];
        m_ctl->setBits(layer.name, 4);
        m_model->selection()->select(layer.node, true);
        QuantHistogramPlot* plot = m_panel->layerDetail()->weightPlot();
        // 4-bit signed codes -7..7 (step 1 in units of the channel scale): all 15 drawn.
        std::vector<double> expected;
        for (int k = -7; k <= 7; ++k)
            expected.push_back(k);
        QCOMPARE(plot->gridLinePositions(), expected);
        QCOMPARE(plot->clipLinePositions(), (std::vector<double>{-7.0, 7.0}));
        // Clipped weights counted here from the 4-bit scales of the result.
        QuantSpec r = *m_ctl->baseResult();
        quant::ModelGraphs graphs(modelPath().toStdString());
        quant::prepareModel(graphs, r);
        const Graph& g = graphs.forBatch(1);
        quant::setLayerWeightBits(r, g, layer.name.toStdString(), 4);
        const LayerQuant* l = r.findLayer(layer.name.toStdString());
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(g, g.node(*g.findNode(layer.name.toStdString())));
        int64_t clipped = 0;
        for (int64_t n = 0; n < view.cols; ++n)
            for (int64_t k = 0; k < view.rows; ++k)
                clipped += std::abs(view.weights[n * view.rows + k]) > 7.0 * l->weightScales[n];
        const auto h = m_panel->layerDetail()->inspector()->weightHistogram(layer.name);
        QVERIFY(h.has_value());
        QCOMPARE(h->total, int64_t(view.weights.size()));
        QCOMPARE(h->clipped, clipped);
        QVERIFY(plot->caption()->text().contains(QString("clipped %1/%2 = ").arg(clipped).arg(view.weights.size())));
        m_model->undoStack()->undo();
    }

    void activationHistogramGridAndClipping()
    {
        const QuantLayer layer = m_ctl->layers()[bigLayer()];
        m_model->selection()->select(layer.node, true);
        QuantLayerInspector* inspector = m_panel->layerDetail()->inspector();
        QVERIFY(waitIdle([inspector] { return inspector->runningJob(); }));
        QVERIFY(inspector->hasActivations());
        const LayerQuant* l = m_ctl->baseResult()->findLayer(layer.name.toStdString());
        const TensorQuant* t = m_ctl->baseResult()->findTensor(l->input);
        QVERIFY(t && t->quantized);
        // Grid: scale * k over the input's codes; 8-bit levels are too dense, every 4th drawn.
        const int64_t lo = t->isSigned ? -((1 << (t->bits - 1)) - 1) : 0;
        const int64_t hi = t->isSigned ? (1 << (t->bits - 1)) - 1 : (1 << t->bits) - 1;
        QCOMPARE(t->bits, 8);
        std::vector<double> expected;
        for (int64_t k = lo; k <= hi; ++k)
            if (k % 4 == 0)
                expected.push_back(t->scale * double(k));
        QuantHistogramPlot* plot = m_panel->layerDetail()->activationPlot();
        QCOMPARE(plot->gridLinePositions(), expected);
        QCOMPARE(plot->clipLinePositions(), (std::vector<double>{t->scale * double(lo), t->scale * double(hi)}));
        QVERIFY(plot->caption()->text().contains(QStringLiteral("every 4th of %1 levels").arg(hi - lo + 1)));
        // Clipped fraction against the FP32 values computed here.
        const std::vector<float> values = fp32Values(modelPath().toStdString(), *m_ctl->baseResult(), (kMnist + "/mnist_calib_x.npy").toStdString(),
                                                     QuantLayerInspector::kActivationSamples, l->input);
        int64_t clipped = 0;
        for (float v : values)
            clipped += v < t->scale * double(lo) || v > t->scale * double(hi);
        const auto h = inspector->activationHistogram(layer.name);
        QVERIFY(h.has_value());
        QCOMPARE(h->total, int64_t(values.size()));
        QCOMPARE(h->clipped, clipped);
        int64_t binned = 0;
        for (int64_t c : h->counts)
            binned += c;
        QCOMPARE(binned, int64_t(values.size()));
        QVERIFY(plot->caption()->text().contains(QString("clipped %1/%2 = ").arg(clipped).arg(values.size())));
        // Every analog layer has both histograms (inputs rewritten by the quantizer included).
        for (const QuantLayer& other : m_ctl->layers()) {
            QVERIFY2(inspector->weightHistogram(other.name).has_value(), qPrintable(other.name));
            QVERIFY2(inspector->activationHistogram(other.name).has_value(), qPrintable(other.name));
        }
    }

    void legendSwitchesToBits()
    {
        QAction* toggle = m_window->findChild<QAction*>("actionColourByBits");
        QVERIFY(toggle);
        const auto placementRows = m_window->graphView()->legendRows();
        QVERIFY(placementRows.first().second.contains("analog"));
        m_ctl->setBits(m_ctl->layers()[0].name, 3);
        toggle->setChecked(true);
        const auto rows = m_window->graphView()->legendRows();
        // 3 bits (one layer) and 8 bits (the others), then the other nodes.
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows[0].first, bitsColour(8));
        QVERIFY(rows[0].second.contains(QString("8-bit weights  %1").arg(m_ctl->layers().size() - 1)));
        QCOMPARE(rows[1].first, bitsColour(3));
        QVERIFY(rows[1].second.contains("3-bit weights  1"));
        // An edit updates the legend while it is shown.
        m_model->undoStack()->undo();
        QCOMPARE(m_window->graphView()->legendRows().size(), 2);
        toggle->setChecked(false);
        QCOMPARE(m_window->graphView()->legendRows(), placementRows);
    }

    void projectStoresRelativeCachePaths()
    {
        QDir(m_dir.path()).mkpath("project");
        const QString path = m_dir.filePath("project/lenet.tessera");
        QVERIFY(m_window->saveProjectTo(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject quant = QJsonDocument::fromJson(f.readAll()).object()["panels"].toObject()["quant"].toObject();
        const QDir projectDir(m_dir.filePath("project"));
        for (const QString key : {"quantResultPath", "evalDataPath", "evalLabelsPath", "workDir"}) {
            const QString stored = quant[key].toString();
            QVERIFY2(!stored.isEmpty() && QDir::isRelativePath(stored), qPrintable(key + ": " + stored));
            QVERIFY2(QFileInfo::exists(projectDir.absoluteFilePath(stored)), qPrintable(key));
        }
        QCOMPARE(quant["quantResultPath"].toString(), QStringLiteral("../work/quant.json"));
        QCOMPARE(m_model->layerChoice(m_ctl->layers()[0].name, "adcBits").toInt(), 6);

        // Reopened from another working directory: paths resolve against the project file.
        const QString oldCwd = QDir::currentPath();
        QTemporaryDir elsewhere;
        QVERIFY(QDir::setCurrent(elsewhere.path()));
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::documentShown);
        other.openPath(path);
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        QuantController* c = other.quantPanel()->controller();
        QVERIFY(waitIdle([c] { return c->runningJob(); }));
        QDir::setCurrent(oldCwd);
        QCOMPARE(c->quantResultPath(), m_ctl->quantResultPath());
        QCOMPARE(c->evalInputs(), m_ctl->evalInputs());
        QCOMPARE(c->workDir(), m_ctl->workDir());
        QVERIFY(c->isCalibrated());
        QCOMPARE(c->adcBitsOf(c->layers()[0].name), 6);
    }

    void readsProjectsWithLegacyAbsoluteKeys()
    {
        // Before path keys ended in "Path": "quantResult" held an absolute path.
        QFile f(m_dir.filePath("project/lenet.tessera"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        QJsonObject panels = json["panels"].toObject();
        QJsonObject quant = panels["quant"].toObject();
        quant.remove("quantResultPath");
        quant["quantResult"] = m_ctl->quantResultPath();
        panels["quant"] = quant;
        json["panels"] = panels;
        const QString legacy = m_dir.filePath("project/legacy.tessera");
        QFile out(legacy);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QJsonDocument(json).toJson());
        out.close();
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::documentShown);
        other.openPath(legacy);
        QVERIFY(shown.wait(20000) || shown.count() > 0);
        QuantController* c = other.quantPanel()->controller();
        QVERIFY(waitIdle([c] { return c->runningJob(); }));
        QCOMPARE(c->quantResultPath(), m_ctl->quantResultPath());
        QVERIFY(c->isCalibrated());
    }

    // The dock as a user sees it after fixing nothing yet: one layer at 3 bits evaluated,
    // that layer selected, graph coloured by bits. TESSERA_SCREENSHOT_DIR=dir saves the docs
    // pictures dir/quant-panel.png (window) and dir/quant-dock.png (the dock alone); with
    // TESSERA_STUDIO_THEME=dark, quant-panel-dark.png and quant-dock-dark.png.
    void dockShowsEverythingAtOnce()
    {
        QVERIFY(m_ctl->analyzeSensitivity() > 0);
        QVERIFY(waitQuant());
        const QuantLayer layer = m_ctl->layers()[bigLayer()];
        const QString first = m_ctl->layers()[0].name; // its 6-bit ADC from an earlier slot: back to calibrated
        m_ctl->setAdcBits(first, m_ctl->baseResult()->findLayer(first.toStdString())->adcBits);
        m_ctl->setBits(layer.name, 3);
        QVERIFY(m_ctl->evaluate() > 0);
        QVERIFY(waitQuant());
        m_model->selection()->select(layer.node, true);
        m_panel->showChart(m_panel->sqnrChart());
        m_window->findChild<QAction*>("actionColourByBits")->setChecked(true);
        QuantLayerInspector* inspector = m_panel->layerDetail()->inspector();
        QVERIFY(waitIdle([inspector] { return inspector->runningJob(); }));
        QVERIFY(m_panel->isVisible() && m_panel->sqnrChart()->isVisible() && m_panel->layerDetail()->isVisible());
        QCOMPARE(m_panel->layerDetail()->shownLayer(), layer.name);
        QVERIFY(!m_panel->layerDetail()->activationPlot()->gridLinePositions().empty());
        m_window->resize(1600, 1000);
        m_window->findChild<QAction*>("actionResetLayout")->trigger(); // docks sized for this window
        QTest::qWait(100);
        const QPixmap dock = m_panel->grab(), window = m_window->grab();
        QVERIFY(!dock.isNull() && !window.isNull());
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            const QString suffix = darkTheme() ? "-dark.png" : ".png";
            QVERIFY(window.save(QDir(dir).filePath("quant-panel" + suffix)));
            QVERIFY(dock.save(QDir(dir).filePath("quant-dock" + suffix)));
        }
        // A 920 px window (the dock 36% of it): the histograms have the dock's full height
        // beside the table and charts, and the dock scrolls less than half its height.
        m_window->resize(1500, 920);
        m_window->findChild<QAction*>("actionResetLayout")->trigger();
        QTest::qWait(100);
        const int plotHeight = m_panel->layerDetail()->activationPlot()->plot()->height();
        auto* scroll = qobject_cast<QScrollArea*>(m_panel->parentWidget()->parentWidget());
        const int overflow = scroll ? scroll->verticalScrollBar()->maximum() : -1;
        qInfo("920 px window: dock %d px high, histogram plot %d px, dock scrolls by %d px", m_panel->height(), plotHeight,
              overflow);
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty())
            QVERIFY(m_window->grab().save(QDir(dir).filePath("quant-panel-920.png")));
        QVERIFY(plotHeight >= 100);
        QVERIFY(overflow >= 0 && overflow < m_panel->height() / 2);
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestQuantLayerViews)
#include "test_quant_layer_views.moc"

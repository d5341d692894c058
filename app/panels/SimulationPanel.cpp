#include "app/panels/SimulationPanel.h"

#include "app/panels/ChipPanel.h"
#include "app/panels/SimulationTimeline.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QScrollBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <functional>

namespace tessera::studio {

namespace {

QString percent(double fraction) { return QString("%1 %").arg(100.0 * fraction, 0, 'f', 1); }

// "97.1 ± 0.4 %": the mean and spread of the seeds with noise on.
QString meanSpread(const sim::SeedSpread& s)
{
    return QString("%1 ± %2 %").arg(100.0 * s.mean, 0, 'f', 1).arg(100.0 * s.spread, 0, 'f', 1);
}

// The noise rows of a data run with noise on.
void noiseRows(const SimulationResult& r, const std::function<void(const QString&, const QString&)>& row)
{
    const sim::SeedSpread& s = *r.noisy;
    const QString source = r.noise == "default" ? QObject::tr("default")
                                                : QFileInfo(QString::fromStdString(r.noise)).fileName().toHtmlEscaped();
    row(QObject::tr("Noise model"), QObject::tr("%1: %2").arg(source, QString::fromStdString(sim::describeNoise(r.noiseModel))));
    const QString what = r.hasLabels ? QObject::tr("Top-1, noise on (seeds %1–%2)")
                                     : QObject::tr("Agreement with FP32, noise on (seeds %1–%2)");
    row(what.arg(s.firstSeed).arg(s.firstSeed + s.values.size() - 1),
        QObject::tr("%1 <span style='font-weight:normal'>(min %2, max %3)</span>")
            .arg(meanSpread(s), percent(s.min), percent(s.max)));
}

// The before/after columns of one result.
QStringList compareCells(const SimulationResult& r)
{
    const compiler::CompileResult& c = r.compiled->result;
    return {QString::number(c.tilesUsed),
            QString::number(c.blocks.size()),
            QString::number(r.perf.latencyNs / 1e3, 'f', 1),
            QString::number(r.perf.fps, 'f', 0),
            QString::number(r.perf.energyPjPerFrame / 1e6, 'f', 2),
            r.frames ? percent(r.accuracy()) + (r.hasLabels ? QString() : QObject::tr(" agr.")) : QString("—"),
            r.noisy ? meanSpread(*r.noisy) : QString("—")};
}

QString resultsHtml(const SimulationResult& r)
{
    QString html = "<table cellspacing=2>";
    const auto row = [&html](const QString& k, const QString& v) { html += "<tr><td>" + k + "</td><td><b>" + v + "</b></td></tr>"; };
    if (r.frames) {
        if (r.hasLabels)
            row(QObject::tr("Top-1 accuracy (%1 labelled)").arg(r.frames),
                QObject::tr("%1 simulator · %2 quantized ref · %3 FP32")
                    .arg(percent(r.simTop1), r.bitIdentical ? percent(r.quantTop1) : QString("—"), percent(r.fp32Top1)));
        row(QObject::tr("Top-1 agreement"), QObject::tr("%1 with FP32 · %2 with the quantized reference")
                                                .arg(percent(r.agreementFp32), r.bitIdentical ? percent(r.agreementQuant) : QString("—")));
        row(QObject::tr("Bit-identical to the quantized reference"),
            !r.bitIdentical ? QObject::tr("n/a (not calibrated)")
            : *r.bitIdentical ? QObject::tr("yes")
                              : QObject::tr("<span style='color:#dc2626'>no</span> (%1 values differ)").arg(r.differingValues));
        if (r.noisy)
            noiseRows(r, row);
        row(QObject::tr("Simulator wall time"),
            QObject::tr("%1 s (%2 frames/s on this machine)").arg(r.simSeconds, 0, 'f', 2).arg(r.frames / std::max(r.simSeconds, 1e-9), 0, 'f', 0) +
                (r.noisy ? QObject::tr(" + %1 s for the seeds").arg(r.noisySeconds, 0, 'f', 2) : QString()));
    } else {
        row(QObject::tr("Outputs"), QObject::tr("not simulated yet: press Run"));
    }
    row(QObject::tr("Latency / frame"), QObject::tr("%1 µs").arg(r.perf.latencyNs / 1e3, 0, 'f', 1));
    row(QObject::tr("Frames/s (steady state)"), QString::number(r.perf.fps, 'f', 0));
    row(QObject::tr("Energy / frame"), QObject::tr("%1 µJ").arg(r.perf.energyPjPerFrame / 1e6, 0, 'f', 2));
    row(QObject::tr("Average power"), QObject::tr("%1 W").arg(r.perf.averagePowerW, 0, 'f', 2));
    row(QObject::tr("Bottleneck"), QString::fromStdString(r.perf.bottleneck).toHtmlEscaped());
    return html + "</table>";
}

} // namespace

SimulationPanel::SimulationPanel(ProjectModel* model, SimulationController* simulation, ChipPanel* chip, QWidget* parent)
    : QWidget(parent), m_model(model), m_chip(chip), m_controller(simulation)
{
    m_samples = new QSpinBox;
    m_samples->setObjectName("simSamples");
    m_samples->setRange(0, 1000000);
    m_samples->setSpecialValueText(tr("all"));
    m_samples->setToolTip(tr("First N samples of the evaluation data (0: all)"));
    m_samples->setValue(static_cast<int>(m_controller->sampleLimit()));
    m_noise = new QComboBox;
    m_noise->setObjectName("simNoise");
    m_noise->addItem(tr("Noise off"), "off");
    m_noise->addItem(tr("Noise: default"), "default");
    m_noise->addItem(tr("Noise: file"), "file");
    m_noise->setToolTip(tr("Non-idealities of the runs, as `tessera simulate --noise`: off; default (the spec's, or the "
                           "default analog-noise model when it has none); or a noise-model file (JSON)"));
    m_noiseFile = new QPushButton(tr("File…"));
    m_noiseFile->setObjectName("simNoiseFile");
    m_noiseFile->setToolTip(tr("Noise-model file: {\"read_noise\": 0.06, \"weight_program_noise\": 0.02, "
                               "\"adc_offset_lsb\": 0.5, \"seed\": 0}, or a quantization spec with non_idealities"));
    m_seeds = new QSpinBox;
    m_seeds->setObjectName("simSeeds");
    m_seeds->setRange(1, 100);
    m_seeds->setToolTip(tr("Noise seeds: the package runs once per seed; accuracy as mean ± spread"));
    m_run = new QPushButton(tr("Run"));
    m_run->setObjectName("simRun");
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(160);
    m_results = new QLabel;
    m_results->setObjectName("simResults");
    m_results->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_results->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_results->setWordWrap(true);
    m_changed = new QLabel;
    m_changed->setWordWrap(true);
    m_compare = new QTableWidget(2, 7);
    m_compare->setObjectName("simBeforeAfter");
    m_compare->setHorizontalHeaderLabels({tr("Tiles"), tr("Blocks"), tr("Latency µs"), tr("Frames/s"), tr("µJ/frame"), tr("Accuracy"), tr("Noise on")});
    m_compare->setVerticalHeaderLabels({tr("Before"), tr("After")});
    m_compare->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_compare->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_compare->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_compare->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_timeline = new SimulationTimeline;
    m_timeline->setLayerResolver([this](const std::string& label) {
        const NodeId node = m_controller->nodeOfName(label);
        return node == kNoNode ? std::string() : m_model->document()->graph().node(node).name;
    });

    layOut();
    connectSignals();
    refresh();
}

void SimulationPanel::layOut()
{
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Samples")));
    bar->addWidget(m_samples);
    bar->addWidget(m_noise);
    bar->addWidget(m_noiseFile);
    bar->addWidget(new QLabel(tr("Seeds")));
    bar->addWidget(m_seeds);
    bar->addWidget(m_run);
    bar->addWidget(m_cancel);
    bar->addWidget(m_progress);
    bar->addStretch(1);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_results);
    leftLayout->addWidget(new QLabel(tr("<b>Before / after the last bit change</b>")));
    leftLayout->addWidget(m_changed);
    leftLayout->addWidget(m_compare);
    leftLayout->addStretch(1);
    auto* leftScroll = new QScrollArea; // the dock never forces its tab group to grow
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(leftScroll);
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_timeline);
    scroll->setWidgetResizable(true);
    split->addWidget(scroll);
    split->setStretchFactor(1, 1);
    split->setSizes({600, 700});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

}

void SimulationPanel::connectSignals()
{
    connect(m_run, &QPushButton::clicked, m_controller, [this] { m_controller->run(); });
    connect(m_cancel, &QPushButton::clicked, m_controller, &SimulationController::cancel);
    connect(m_samples, &QSpinBox::valueChanged, m_controller, [this](int n) { m_controller->setSampleLimit(n); });
    connect(m_seeds, &QSpinBox::valueChanged, m_controller, [this](int n) { m_controller->setSeeds(n); });
    connect(m_noise, &QComboBox::activated, this, &SimulationPanel::onNoiseChosen);
    connect(m_noiseFile, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Noise-model file"), m_controller->noiseFile(),
                                                          tr("Noise model (*.json);;All files (*)"));
        if (!file.isEmpty())
            m_controller->setNoise("file", file);
        refreshNoise();
    });
    connect(m_model, &ProjectModel::projectChanged, this, &SimulationPanel::refreshNoise);
    connect(m_controller, &SimulationController::settingsChanged, this, &SimulationPanel::refreshNoise);
    connect(m_controller, &SimulationController::busyChanged, this, [this](bool busy) {
        m_cancel->setEnabled(busy);
        m_progress->setValue(busy ? 0 : 100);
    });
    connect(m_controller, &SimulationController::progress, this,
            [this](double f, const QString& text) {
                m_progress->setValue(static_cast<int>(100 * f));
                m_progress->setToolTip(text);
            });
    connect(m_controller, &SimulationController::resultChanged, this, &SimulationPanel::refresh);
    connect(m_controller, &SimulationController::message, this, &SimulationPanel::message);
    connect(m_timeline, &SimulationTimeline::barClicked, this, &SimulationPanel::onBarClicked);
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &SimulationPanel::followSelection);
    connect(m_chip->controller(), &CompileController::resultChanged, this,
            [this] { m_chip->scene()->setTileBusy(m_controller->tileBusy()); });
}

void SimulationPanel::refreshNoise()
{
    const QSignalBlocker quietNoise(m_noise), quietSeeds(m_seeds), quietSamples(m_samples);
    m_samples->setValue(static_cast<int>(m_controller->sampleLimit()));
    m_noise->setCurrentIndex(std::max(0, m_noise->findData(m_controller->noise())));
    const QString file = m_controller->noiseFile();
    m_noiseFile->setText(file.isEmpty() ? tr("File…") : QFileInfo(file).fileName());
    m_noiseFile->setVisible(m_controller->noise() == "file");
    m_seeds->setValue(m_controller->seeds());
    m_seeds->setEnabled(m_controller->noise() != "off");
}

void SimulationPanel::onNoiseChosen(int index)
{
    const QString choice = m_noise->itemData(index).toString();
    if (choice == "file" && m_controller->noiseFile().isEmpty()) {
        const QString file = QFileDialog::getOpenFileName(this, tr("Noise-model file"), QString(),
                                                          tr("Noise model (*.json);;All files (*)"));
        if (file.isEmpty()) {
            refreshNoise(); // back to the previous choice
            return;
        }
        m_controller->setNoise(choice, file);
    } else {
        m_controller->setNoise(choice);
    }
    refreshNoise();
}

void SimulationPanel::refresh()
{
    refreshNoise();
    const SimulationResult* r = m_controller->result();
    m_results->setText(r ? resultsHtml(*r) : tr("Compile in the Chip View, then Run to simulate the package."));
    m_timeline->showReport(r ? &r->perf : nullptr);
    m_chip->scene()->setTileBusy(m_controller->tileBusy());
    refreshCompare();
    followSelection();
}

void SimulationPanel::refreshCompare()
{
    const SimulationResult* rows[2] = {m_controller->previous(), m_controller->result()};
    for (int row = 0; row < 2; ++row) {
        const QStringList cells = rows[row] ? compareCells(*rows[row]) : QStringList();
        for (int col = 0; col < m_compare->columnCount(); ++col)
            m_compare->setItem(row, col, new QTableWidgetItem(col < cells.size() ? cells[col] : QString()));
        if (rows[row] && rows[row]->noisy) {
            const sim::SeedSpread& n = *rows[row]->noisy;
            m_compare->item(row, 6)->setToolTip(tr("%1 seeds (%2–%3): min %4, max %5")
                                                    .arg(n.values.size())
                                                    .arg(n.firstSeed)
                                                    .arg(n.firstSeed + n.values.size() - 1)
                                                    .arg(percent(n.min), percent(n.max)));
        }
    }
    // Header, both rows and room for a horizontal scroll bar: never cut off vertically.
    m_compare->resizeRowsToContents();
    m_compare->setFixedHeight(m_compare->horizontalHeader()->sizeHint().height() + m_compare->rowHeight(0) +
                              m_compare->rowHeight(1) + 2 * m_compare->frameWidth() +
                              m_compare->horizontalScrollBar()->sizeHint().height());
    const QString change = rows[0] && rows[1] ? describeBitChanges(*rows[0]->compiled, *rows[1]->compiled) : QString();
    m_changed->setText(change.isEmpty() ? tr("change a layer's bits: the chip view recompiles and this row updates")
                                        : tr("changed: %1").arg(change.toHtmlEscaped()));
}

void SimulationPanel::onBarClicked(const QString& label, qint64 tile)
{
    const NodeId node = m_controller->nodeOfName(label.toStdString());
    if (node != kNoNode)
        m_model->selection()->select(node, true); // clears an earlier tile mark
    m_tile = tile;
    m_chip->scene()->markTile(m_controller->compiledTileOf(tile));
    emit message(tr("timeline: %1 on tile %2").arg(label).arg(tile), false);
}

void SimulationPanel::followSelection()
{
    m_tile = -1;
    m_chip->scene()->markTile(-1);
    const NodeId node = m_model->selection()->current();
    m_timeline->highlightLayer(node != kNoNode && m_model->hasDocument() ? m_model->document()->graph().node(node).name : "");
}

} // namespace tessera::studio

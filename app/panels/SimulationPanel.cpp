#include "app/panels/SimulationPanel.h"

#include "app/panels/ChipPanel.h"
#include "app/panels/SimulationTimeline.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace tessera::studio {

namespace {

QString percent(double fraction) { return QString("%1 %").arg(100.0 * fraction, 0, 'f', 1); }

// The before/after columns of one result.
QStringList compareCells(const SimulationResult& r)
{
    const compiler::CompileResult& c = r.compiled->result;
    return {QString::number(c.tilesUsed),
            QString::number(c.blocks.size()),
            QString::number(r.perf.latencyNs / 1e3, 'f', 1),
            QString::number(r.perf.fps, 'f', 0),
            QString::number(r.perf.energyPjPerFrame / 1e6, 'f', 2),
            r.frames ? percent(r.accuracy()) + (r.hasLabels ? QString() : QObject::tr(" agr.")) : QString("—")};
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
        row(QObject::tr("Simulator wall time"),
            QObject::tr("%1 s (%2 frames/s on this machine)").arg(r.simSeconds, 0, 'f', 2).arg(r.frames / std::max(r.simSeconds, 1e-9), 0, 'f', 0));
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
    m_compare = new QTableWidget(2, 6);
    m_compare->setObjectName("simBeforeAfter");
    m_compare->setHorizontalHeaderLabels({tr("Tiles"), tr("Blocks"), tr("Latency µs"), tr("Frames/s"), tr("µJ/frame"), tr("Accuracy")});
    m_compare->setVerticalHeaderLabels({tr("Before"), tr("After")});
    m_compare->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_compare->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_compare->setMaximumHeight(90);
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
    split->setSizes({480, 720});
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

void SimulationPanel::refresh()
{
    const QSignalBlocker quiet(m_samples);
    m_samples->setValue(static_cast<int>(m_controller->sampleLimit()));
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
    }
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

#include "app/panels/QuantPanel.h"

#include "app/controllers/Workspace.h"

#include "app/panels/QuantLayerDetail.h"
#include "app/panels/QuantPlots.h"
#include "app/panels/QuantSqnrChart.h"
#include "app/views/NodeStyle.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QScrollBar>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace tessera::studio {

namespace {

constexpr int kLayerTailChars = 22; // the Layer column's least width, in characters

QTableWidgetItem* readOnlyItem(const QString& text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter)
{
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    item->setTextAlignment(align);
    return item;
}

// A bits cell edited in place: a spin box over [lo, hi].
class BitsDelegate : public QStyledItemDelegate {
public:
    BitsDelegate(int lo, int hi, QObject* parent) : QStyledItemDelegate(parent), m_lo(lo), m_hi(hi) {}
    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const override
    {
        auto* spin = new QSpinBox(parent);
        spin->setRange(m_lo, m_hi);
        spin->setSuffix(QObject::tr(" bits"));
        return spin;
    }

private:
    int m_lo, m_hi;
};

QTableWidgetItem* bitsItem()
{
    auto* item = new QTableWidgetItem;
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable);
    item->setTextAlignment(Qt::AlignCenter);
    return item;
}

// A DAC or ADC cell: its bits, tinted and bold when they differ from the calibrated ones.
void showChoice(QTableWidgetItem* item, int bits, int calibrated, const QString& what)
{
    item->setData(Qt::EditRole, bits);
    item->setBackground(bits != calibrated ? style::tint(QColor("#bfdbfe")) : style::surfaceColor());
    item->setForeground(style::textColor());
    item->setToolTip(bits != calibrated ? QObject::tr("%1 %2 bits (calibrated: %3); double-click to edit")
                                              .arg(what).arg(bits).arg(calibrated)
                                        : QObject::tr("%1 %2 bits; double-click to edit").arg(what).arg(bits));
    QFont font = item->font();
    font.setBold(bits != calibrated);
    item->setFont(font);
}

QString ppText(double fraction)
{
    return std::isnan(fraction) ? QStringLiteral("–") : QString::number(fraction * 100.0, 'f', 2);
}

} // namespace

QColor dropColour(double drop)
{
    if (std::isnan(drop))
        return QColor("#f3f4f6");
    const double pp = drop * 100.0;
    if (pp <= 0.05)
        return QColor("#ecfdf5");
    // 0.05 pp -> 0, 10 pp -> 1 on a log scale; hue from green-yellow (80) to red (0).
    const double t = std::clamp(std::log10(pp / 0.05) / std::log10(200.0), 0.0, 1.0);
    return QColor::fromHsvF((80.0 - 80.0 * t) / 360.0, 0.25 + 0.55 * t, 1.0);
}

QColor bitsColour(int bits)
{
    if (bits >= 8)
        return QColor("#0f766e");
    if (bits >= 6)
        return QColor("#14b8a6");
    if (bits >= 4) // lime, not amber: amber is the selection outline
        return QColor("#65a30d");
    return bits == 3 ? QColor("#ea580c") : QColor("#dc2626");
}

std::function<QColor(NodeId)> bitsColouring(const QuantController* controller)
{
    return [c = controller](NodeId node) {
        const int i = c->indexOfNode(node);
        return i < 0 ? QColor() : bitsColour(c->bitsOf(c->layers()[i].name));
    };
}

QVector<QPair<QColor, QString>> bitsLegend(const QuantController* controller)
{
    std::map<int, int, std::greater<>> layersAt; // bits -> layer count, 8 first
    for (const QuantLayer& l : controller->layers())
        ++layersAt[controller->bitsOf(l.name)];
    QVector<QPair<QColor, QString>> rows;
    for (const auto& [bits, count] : layersAt)
        rows.append({bitsColour(bits), QuantPanel::tr("%1-bit weights  %2").arg(bits).arg(count)});
    rows.append({style::placementColor(Placement::Digital), QuantPanel::tr("other nodes: placement colour")});
    return rows;
}

QuantPanel::QuantPanel(Workspace* workspace, QWidget* parent)
    : QWidget(parent), m_workspace(workspace), m_model(workspace->model()), m_controller(workspace->quant())
{
    JobManager* jobs = workspace->jobs();
    m_estimate = new QLabel;
    m_estimate->setTextFormat(Qt::RichText);
    m_estimate->setWordWrap(true);
    m_data = new QLabel;
    m_data->setWordWrap(true);
    m_data->setStyleSheet(style::subtleLabelCss());
    m_table = new QTableWidget;
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(22);
    // Exported names differ at the end ("/layer1/layer1.0/conv2/Conv"): keep the tail.
    m_table->setTextElideMode(Qt::ElideLeft);
    m_table->setWordWrap(false); // a wrapped name is cut at its first line's end whatever the mode
    m_table->viewport()->installEventFilter(this);
    m_table->setToolTip(tr("Accuracy drop (pp) with only that layer at that bit depth; click a cell to choose it"));
    m_bars = new QuantBarChart(m_controller, m_model);
    m_pareto = new QuantParetoPlot(m_controller);
    m_sqnr = new QuantSqnrChart(m_controller, m_model);
    m_detail = new QuantLayerDetail(m_controller, m_model, jobs);
    m_charts = new QTabWidget;
    m_charts->addTab(m_sqnr, tr("SQNR per node"));
    m_charts->addTab(m_bars, tr("Drop per layer"));
    m_charts->addTab(m_pareto, tr("Pareto"));

    // The table over the charts on the left; the selected layer's two histograms on the right
    // get the dock's full height (under the charts they were squeezed and the dock scrolled).
    auto* left = new QSplitter(Qt::Vertical);
    left->addWidget(m_table);
    left->addWidget(m_charts);
    left->setStretchFactor(0, 2);
    left->setStretchFactor(1, 3);
    left->setChildrenCollapsible(false);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(createButtons());
    layout->addWidget(m_data);
    layout->addWidget(m_estimate);
    layout->addWidget(split, 1);

    m_table->setItemDelegateForColumn(kDacColumn, new BitsDelegate(2, 16, m_table));
    m_table->setItemDelegateForColumn(kAdcColumn, new BitsDelegate(2, 32, m_table));
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    connect(m_table, &QTableWidget::itemChanged, this, &QuantPanel::onBitsEdited);
    connect(m_table, &QTableWidget::cellClicked, this, &QuantPanel::onCellClicked);
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) { // keyboard walking
        if (!m_syncing && row >= 0 && row < m_controller->layers().size())
            m_model->selection()->select(m_controller->layers()[row].node, true);
    });
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &QuantPanel::followSelection);
    connect(m_controller, &QuantController::layersChanged, this, &QuantPanel::rebuildTable);
    connect(m_controller, &QuantController::sensitivityChanged, this, &QuantPanel::rebuildTable);
    connect(m_controller, &QuantController::bitsChanged, this, &QuantPanel::refreshBits);
    connect(m_controller, &QuantController::calibrationChanged, this, &QuantPanel::refreshBits);
    connect(m_controller, &QuantController::measurementChanged, this, &QuantPanel::refreshEstimate);
    connect(m_controller, &QuantController::measurementChanged, this, &QuantPanel::refreshSqnr);
    connect(m_controller, &QuantController::message, this, [this](const QString& text) { emit message(text, true); });
    connect(m_model, &ProjectModel::projectChanged, this, &QuantPanel::refreshEstimate);
    rebuildTable();
}

QWidget* QuantPanel::createButtons()
{
    auto* box = new QWidget;
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    auto add = [&](const QString& text, const QString& tip, auto slot) {
        auto* b = new QPushButton(text);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, slot);
        row->addWidget(b);
        return b;
    };
    add(tr("Eval Data…"), tr("Evaluation inputs (.npy) and optional labels (.npy)"), [this] { chooseEvalData(); });
    add(tr("Eval Images…"), tr("Evaluation inputs: a folder of PNG images, resized to the model's input"), [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Evaluation images"),
                                                              QFileInfo(m_model->project().modelPath).absolutePath());
        if (!dir.isEmpty()) {
            m_workspace->chooseEvaluationData(dir);
            refreshEstimate();
        }
    });
    m_jobButtons << add(tr("Calibrate"), tr("Post-training calibration on the project's dataset"), [this] { m_controller->calibrate(); });
    m_jobButtons << add(tr("Sensitivity"), tr("Measure every analog layer alone at every bit depth"),
                        [this] { m_controller->analyzeSensitivity(); });
    m_objective = new QComboBox;
    m_objective->addItem(tr("Weight storage"), static_cast<int>(quant::CostObjective::WeightBits));
    m_objective->addItem(tr("Energy per frame (layer sum)"), static_cast<int>(quant::CostObjective::Energy));
    m_objective->addItem(tr("Latency per frame (layer sum)"), static_cast<int>(quant::CostObjective::Latency));
    m_objective->addItem(tr("Energy per frame (simulated)"), static_cast<int>(quant::CostObjective::FrameEnergy));
    m_objective->addItem(tr("Frames/s (simulated)"), static_cast<int>(quant::CostObjective::Fps));
    m_objective->setToolTip(tr("What Search ranks by. Every objective but weight storage is priced by the project's "
                               "hardware target and also lowers per-layer DAC and ADC bits; the layer sums come from the "
                               "per-layer cost model, the simulated ones compile every point and run the performance "
                               "model (tessera mixed-precision --objective energy | latency | frame-energy | fps)"));
    m_objective->setCurrentIndex(m_objective->findData(static_cast<int>(m_controller->searchObjective())));
    connect(m_objective, &QComboBox::activated, this, [this] {
        m_controller->setSearchObjective(static_cast<quant::CostObjective>(m_objective->currentData().toInt()));
    });
    connect(m_model, &ProjectModel::projectChanged, this, [this] {
        m_objective->setCurrentIndex(m_objective->findData(static_cast<int>(m_controller->searchObjective())));
    });
    row->addWidget(new QLabel(tr("Search by:")));
    row->addWidget(m_objective);
    m_jobButtons << add(tr("Search"), tr("Greedy mixed-precision search ranked by the chosen objective; every point measured"),
                        [this] { m_controller->searchMixedPrecision(); });
    m_jobButtons << add(tr("Evaluate"), tr("Measure the chosen bits on the evaluation data"), [this] { m_controller->evaluate(); });
    m_cancel = add(tr("Cancel"), tr("Stop the running quantization job"), [this] { m_controller->cancel(); });
    m_cancel->setEnabled(false);
    m_retrain = add(tr("Retrain…"), tr("Fine-tune the model at the chosen bits (the Retrain dock)"),
                    [this] { m_workspace->requestPanel(RetrainController::kPanelId); });
    m_retrain->setEnabled(m_workspace->retrain()->available());
    if (!m_workspace->retrain()->available())
        m_retrain->setToolTip(RetrainController::trainingMissingText());
    row->addStretch(1);
    connect(m_controller, &QuantController::busyChanged, this, [this](bool busy) {
        for (QPushButton* b : m_jobButtons)
            b->setEnabled(!busy);
        m_cancel->setEnabled(busy);
    });
    return box;
}

void QuantPanel::chooseEvalData()
{
    const QString start = m_controller->evalInputs().isEmpty() ? QFileInfo(m_model->project().modelPath).absolutePath()
                                                               : m_controller->evalInputs();
    const QString inputs = QFileDialog::getOpenFileName(this, tr("Evaluation inputs"), start, tr("NumPy arrays (*.npy)"));
    if (inputs.isEmpty())
        return;
    const QString labels = QFileDialog::getOpenFileName(this, tr("Labels (cancel: none, label-free)"),
                                                        QFileInfo(inputs).absolutePath(), tr("NumPy arrays (*.npy)"));
    m_workspace->chooseEvaluationData(inputs, labels);
    refreshEstimate();
}

void QuantPanel::showChart(QWidget* chart)
{
    m_charts->setCurrentWidget(chart);
}

int QuantPanel::columnOfBits(int bits) const
{
    const std::vector<int> depths = m_controller->bitDepths();
    const auto it = std::find(depths.begin(), depths.end(), bits);
    return it == depths.end() ? -1 : kFirstHeatColumn + static_cast<int>(it - depths.begin());
}

void QuantPanel::rebuildTable()
{
    const auto& layers = m_controller->layers();
    const std::vector<int> depths = m_controller->bitDepths();
    const QSignalBlocker block(m_table); // rebuilding must not select nodes
    QStringList headers{tr("Layer"), tr("Op"), tr("Params"), tr("MACs"), tr("Bits"), tr("DAC"), tr("ADC"), tr("SQNR dB")};

    for (int b : depths)
        headers << tr("%1b drop").arg(b);
    m_table->clear();
    m_table->setColumnCount(headers.size());
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(layers.size());
    const Qt::Alignment right = Qt::AlignRight | Qt::AlignVCenter;
    for (int r = 0; r < layers.size(); ++r) {
        const QuantLayer& l = layers[r];
        m_table->setItem(r, 0, readOnlyItem(l.name));
        m_table->item(r, 0)->setToolTip(l.name);
        m_table->setItem(r, 1, readOnlyItem(l.opType));
        m_table->setItem(r, 2, readOnlyItem(QString::fromStdString(humanCount(l.params)), right));
        m_table->setItem(r, 3, readOnlyItem(QString::fromStdString(humanCount(l.macs)), right));
        m_table->setItem(r, kBitsColumn, readOnlyItem({}, Qt::AlignCenter));
        m_table->setItem(r, kDacColumn, bitsItem());
        m_table->setItem(r, kAdcColumn, bitsItem());
        m_table->setItem(r, kSqnrColumn, readOnlyItem({}, right));
        for (size_t c = 0; c < depths.size(); ++c) {
            const double drop = m_controller->measuredDrop(l.name, depths[c]);
            QTableWidgetItem* cell = readOnlyItem(ppText(drop), right);
            cell->setBackground(style::tint(dropColour(drop)));
            cell->setForeground(style::textColor());
            m_table->setItem(r, kFirstHeatColumn + static_cast<int>(c), cell);
        }
    }
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    const QFontMetrics metrics(m_table->font());
    int longest = 0;
    for (const QuantLayer& l : layers)
        longest = std::max(longest, metrics.horizontalAdvance(l.name));
    m_layerColumnFloor = std::min(longest, metrics.horizontalAdvance(QString(kLayerTailChars, 'x'))) + 12;
    fitLayerColumn();
    // Keep two layers visible however the splitter is dragged.
    const int shown = 2;
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height() + shown * 22 + 4);
    refreshBits();
    refreshSqnr();
    followSelection(m_model->selection()->current());
}

// The Layer column takes the room the other columns leave, but never less than a name's
// tail ("…/layer1.0/conv2/Conv"): a narrow table scrolls sideways instead of cutting it to "/…".
void QuantPanel::fitLayerColumn()
{
    QHeaderView* header = m_table->horizontalHeader();
    int others = 0;
    for (int c = 1; c < m_table->columnCount(); ++c)
        others += header->sectionSize(c);
    header->resizeSection(0, std::max(m_layerColumnFloor, m_table->viewport()->width() - others));
}

bool QuantPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (m_table && watched == m_table->viewport() && event->type() == QEvent::Resize)
        fitLayerColumn();
    return QWidget::eventFilter(watched, event);
}

void QuantPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_table)
        rebuildTable();
}

void QuantPanel::refreshSqnr()
{
    const auto& layers = m_controller->layers();
    const auto& m = m_controller->lastMeasurement();
    const SqnrPoint* worst = m && m->sqnr.worst >= 0 ? &m->sqnr.points[m->sqnr.worst] : nullptr;
    for (int r = 0; r < layers.size() && r < m_table->rowCount(); ++r) {
        QTableWidgetItem* cell = m_table->item(r, kSqnrColumn);
        const int i = m ? m->sqnr.indexOf(layers[r].name) : -1;
        const double db = i >= 0 ? m->sqnr.points[i].sqnrDb : std::nan("");
        cell->setText(std::isnan(db) ? QStringLiteral("–") : std::isinf(db) ? QStringLiteral("∞") : QString::number(db, 'f', 1));
        const bool isWorst = worst && worst->node == layers[r].name;
        cell->setBackground(isWorst ? style::tint(QColor("#fecaca")) : style::surfaceColor());
        cell->setForeground(isWorst ? style::warningTextColor() : style::textColor());
        QFont f = cell->font();
        f.setBold(isWorst);
        cell->setFont(f);
        cell->setToolTip(i >= 0 && !std::isnan(m->sqnr.points[i].dropDb)
                             ? tr("cumulative SQNR %1 dB; this layer loses %2 dB vs its input").arg(db, 0, 'f', 1).arg(m->sqnr.points[i].dropDb, 0, 'f', 1)
                             : QString());
    }
}

void QuantPanel::refreshBits()
{
    const auto& layers = m_controller->layers();
    const std::vector<int> depths = m_controller->bitDepths();
    const QSignalBlocker block(m_table); // programmatic texts are not edits
    for (int r = 0; r < layers.size() && r < m_table->rowCount(); ++r) {
        const QString& name = layers[r].name;
        const int bits = m_controller->bitsOf(name);
        m_table->item(r, kBitsColumn)->setText(QString::number(bits));
        // DAC and ADC bits other than the calibrated ones (a Pareto point's, or set by hand) are tinted.
        showChoice(m_table->item(r, kDacColumn), m_controller->dacBitsOf(name), m_controller->defaultDacBitsOf(name), tr("DAC"));
        showChoice(m_table->item(r, kAdcColumn), m_controller->adcBitsOf(name), m_controller->defaultAdcBitsOf(name), tr("ADC"));
        // The chosen depth's heat-map cell is framed in bold.
        for (size_t c = 0; c < depths.size(); ++c) {
            QTableWidgetItem* cell = m_table->item(r, kFirstHeatColumn + static_cast<int>(c));
            QFont f = cell->font();
            f.setBold(depths[c] == bits);
            f.setUnderline(depths[c] == bits);
            cell->setFont(f);
        }
    }
    refreshEstimate();
}

namespace {

// How a task's agreement figure reads in the panel (OutputScorer's metric names).
QString metricLabel(const std::string& metric)
{
    if (metric == "sequence_agreement")
        return QObject::tr("sequences read alike (CTC)");
    if (metric == "mask_iou")
        return QObject::tr("mask IoU");
    if (metric == "pixel_agreement")
        return QObject::tr("pixel agreement");
    if (metric == "one_minus_relative_error")
        return QObject::tr("1 - relative error");
    return QObject::tr("top-1 agreement");
}

} // namespace

void QuantPanel::refreshEstimate()
{
    const double drop = m_controller->estimatedDrop(), cost = m_controller->estimatedCost();
    QString text = tr("<b>Chosen bits</b> — estimated drop: <b>%1 pp</b>, weight storage: <b>%2</b>")
                       .arg(ppText(drop), std::isnan(cost) ? QStringLiteral("–") : tr("%1 Mbit").arg(cost / 1e6, 0, 'f', 3));
    if (const auto& m = m_controller->lastMeasurement()) {
        const QString what = m->hasLabels ? tr("top-1 %1% (FP32 %2%)").arg(m->quantTop1 * 100, 0, 'f', 2).arg(m->fp32Top1 * 100, 0, 'f', 2)
                                          : tr("%1 with FP32 %2%").arg(metricLabel(m->metric)).arg(m->agreement * 100, 0, 'f', 2);
        text += tr("<br><b>Measured</b> (%1 samples): %2, drop %3 pp%4")
                    .arg(m->samples)
                    .arg(what, ppText(m->accuracyDrop),
                         m->weightBits == m_controller->chosenBits() && m->adcBits == m_controller->chosenAdcBits() &&
                                 (m->dacBits.empty() || m->dacBits == m_controller->chosenDacBits())
                             ? QString()
                             : tr(" <i>(for earlier bits)</i>"));
    }
    m_estimate->setText(text);
    const QString labels = m_controller->evalLabels();
    m_data->setText(tr("Calibration: %1 · Evaluation: %2%3")
                        .arg(QFileInfo(m_model->project().datasetPath).fileName().isEmpty()
                                 ? tr("(Project > Calibration Dataset)")
                                 : QFileInfo(m_model->project().datasetPath).fileName(),
                             QFileInfo(m_controller->evalInputs()).fileName(),
                             labels.isEmpty() ? tr(" (no labels: drop = 1 - agreement)") : tr(" + %1").arg(QFileInfo(labels).fileName())));
}

void QuantPanel::onCellClicked(int row, int column)
{
    const auto& layers = m_controller->layers();
    if (row < 0 || row >= layers.size())
        return;
    const std::vector<int> depths = m_controller->bitDepths();
    const int c = column - kFirstHeatColumn;
    if (c >= 0 && c < static_cast<int>(depths.size()))
        m_controller->setBits(layers[row].name, depths[c]);
    m_syncing = true;
    m_model->selection()->select(layers[row].node, true);
    m_syncing = false;
}

void QuantPanel::onBitsEdited(QTableWidgetItem* item)
{
    const auto& layers = m_controller->layers();
    if (!item || item->row() < 0 || item->row() >= layers.size())
        return;
    const QString& name = layers[item->row()].name;
    const int bits = item->data(Qt::EditRole).toInt();
    if (item->column() == kDacColumn)
        m_controller->setDacBits(name, bits);
    else if (item->column() == kAdcColumn)
        m_controller->setAdcBits(name, bits);
    refreshBits(); // a refused value shows the layer's bits again
}

void QuantPanel::followSelection(NodeId node)
{
    if (m_syncing)
        return;
    const int row = m_controller->indexOfNode(node);
    const QSignalBlocker block(m_table);
    if (row < 0) {
        m_table->clearSelection();
        return;
    }
    // Scroll to the row only: the heat-map column the user clicked stays under the mouse.
    const int across = m_table->horizontalScrollBar()->value();
    m_table->selectRow(row);
    m_table->scrollToItem(m_table->item(row, 0));
    m_table->horizontalScrollBar()->setValue(across);
}

} // namespace tessera::studio

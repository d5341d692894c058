#include "app/panels/RetrainPanel.h"

#include "app/controllers/QuantController.h"
#include "app/panels/RetrainCurve.h"
#include "app/views/NodeStyle.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
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

#include <cmath>

namespace tessera::studio {

namespace {

QString pct(double fraction) { return std::isnan(fraction) ? QStringLiteral("—") : QString::number(100.0 * fraction, 'f', 2) + " %"; }
QString db(double v) { return std::isnan(v) ? QStringLiteral("—") : std::isinf(v) ? QStringLiteral("∞") : QString::number(v, 'f', 1); }

// "+0.35 pp" / "-1.2 dB"; empty when either side is missing.
QString change(double before, double after, double scale, const char* unit)
{
    if (std::isnan(before) || std::isnan(after) || std::isinf(before) || std::isinf(after))
        return {};
    return QString("%1%2 %3").arg(after >= before ? "+" : "").arg(scale * (after - before), 0, 'f', 2).arg(unit);
}

QTableWidgetItem* cell(const QString& text, bool right = true)
{
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    item->setTextAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    return item;
}

QTableWidget* compactTable(int columns, const QStringList& headers)
{
    auto* t = new QTableWidget(0, columns);
    t->setHorizontalHeaderLabels(headers);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->setDefaultSectionSize(20);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

QString noiseText(const RetrainEval& e)
{
    if (e.noisy.empty())
        return QStringLiteral("—");
    return QString("%1 ± %2").arg(pct(e.noisyMean()), QString::number(100.0 * e.noisySpread(), 'f', 2));
}

} // namespace

RetrainPanel::RetrainPanel(ProjectModel* model, RetrainController* retrain, QWidget* parent)
    : QWidget(parent), m_model(model), m_controller(retrain),
      m_curve(new RetrainCurve)
{
    QWidget* settings = createSettings();
    auto* settingsScroll = new QScrollArea; // the dock never forces its tab group to grow
    settingsScroll->setWidget(settings);
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setFrameShape(QFrame::NoFrame);
    settingsScroll->setMinimumWidth(settings->sizeHint().width() + 16);
    settingsScroll->setMaximumWidth(settingsScroll->minimumWidth() + 40);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(settingsScroll);
    split->addWidget(m_curve);
    auto* resultsScroll = new QScrollArea; // the tables scroll: the dock's height goes to the curve
    resultsScroll->setWidget(createResults());
    resultsScroll->setWidgetResizable(true);
    resultsScroll->setFrameShape(QFrame::NoFrame);
    split->addWidget(resultsScroll);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 2);
    split->setStretchFactor(2, 3);
    split->setChildrenCollapsible(false);
    split->setSizes({settingsScroll->minimumWidth(), 400, 600});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(createBar());
    layout->addWidget(split, 1);
    connectSignals();
    loadSettings();
    refreshState();
    refreshOutcome();
}

QWidget* RetrainPanel::createBar()
{
    auto* choose = new QPushButton(tr("Training Data…"));
    choose->setToolTip(tr("Labelled training inputs (.npy) and labels (.npy); default: the Quantization dock's evaluation data"));
    connect(choose, &QPushButton::clicked, this, &RetrainPanel::chooseTrainingData);
    m_data = new QLabel;
    m_data->setStyleSheet(style::subtleLabelCss());
    m_start = new QPushButton(tr("Start"));
    m_start->setObjectName("retrainStart");
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop after the current batch and keep the best weights (again: skip the comparison)"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(160);
    m_status = new QLabel;
    m_status->setObjectName("retrainStatus");
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // one line: a long reason
    // must not make the bar (and the dock) taller; the whole text is the tooltip
    auto* bar = new QWidget;
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(choose);
    row->addWidget(m_data);
    row->addSpacing(12);
    row->addWidget(m_start);
    row->addWidget(m_cancel);
    row->addWidget(m_progress);
    row->addWidget(m_status, 1);
    m_adopt = new QPushButton(tr("Adopt Tuned Model"));
    m_adopt->setToolTip(tr("Continue the project with the tuned model and its spec (Edit > Undo goes back)"));
    row->addWidget(m_adopt);
    return bar;
}

QWidget* RetrainPanel::createSettings()
{
    auto* box = new QWidget;
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 4, 0);
    form->setVerticalSpacing(2);
    auto spin = [](int lo, int hi, const QString& tip) {
        auto* s = new QSpinBox;
        s->setRange(lo, hi);
        s->setToolTip(tip);
        return s;
    };
    m_epochs = spin(1, 1000, tr("Epochs at most (early stopping may end sooner)"));
    form->addRow(tr("Epochs"), m_epochs);
    m_lr = new QDoubleSpinBox;
    m_lr->setDecimals(6);
    m_lr->setRange(1e-6, 1.0);
    m_lr->setSingleStep(1e-4);
    m_lr->setToolTip(tr("Learning rate"));
    form->addRow(tr("Learning rate"), m_lr);
    m_batch = spin(1, 65536, tr("Samples per training step"));
    form->addRow(tr("Batch"), m_batch);
    m_holdout = new QDoubleSpinBox;
    m_holdout->setRange(0.01, 0.9);
    m_holdout->setSingleStep(0.05);
    m_holdout->setToolTip(tr("Fraction of the labelled data held out for early stopping and the held-out curve"));
    form->addRow(tr("Held out"), m_holdout);
    m_patience = spin(0, 1000, tr("Epochs without held-out improvement before stopping"));
    m_patience->setSpecialValueText(tr("never stop early"));
    form->addRow(tr("Patience"), m_patience);
    m_seed = spin(0, 1 << 30, tr("Data order, held-out split and noise draws"));
    form->addRow(tr("Seed"), m_seed);
    m_noise = new QComboBox;
    m_noise->addItem(tr("off (quantization-aware)"), "off");
    m_noise->addItem(tr("default (analog-aware)"), "default");
    m_noise->setToolTip(tr("default: the spec's non-idealities, else the default analog-noise model, injected while training"));
    form->addRow(tr("Analog noise"), m_noise);
    m_samples = spin(0, 1 << 30, tr("First N labelled samples (0: all)"));
    m_samples->setSpecialValueText(tr("all"));
    form->addRow(tr("Samples"), m_samples);
    m_noiseSeeds = spin(0, 50, tr("Noise seeds of the before/after accuracy under noise (0: none)"));
    m_noiseSeeds->setSpecialValueText(tr("none"));
    form->addRow(tr("Noise seeds"), m_noiseSeeds);
    return box;
}

QWidget* RetrainPanel::createResults()
{
    m_summary = new QLabel;
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_overall = compactTable(3, {tr("Before"), tr("After"), tr("Change")});
    m_overall->setRowCount(OverallRows);
    m_overall->setVerticalHeaderLabels({tr("Held-out"), tr("Eval top-1"), tr("FP32 top-1"), tr("Output SQNR dB"), tr("Under noise")});
    const QStringList tips{tr("Held-out split of the training data, with the training forward (quantized, noisy when trained so)"),
                           tr("Evaluation data through the quantized executor, ideal analog numerics"),
                           tr("Evaluation data through the FP32 model (the tuned weights change it too)"),
                           tr("SQNR of the quantized output against the same model's FP32 output"),
                           tr("Evaluation top-1 with the noise model, mean ± standard deviation over the noise seeds")};
    for (int r = 0; r < OverallRows; ++r)
        m_overall->verticalHeaderItem(r)->setToolTip(tips[r]);
    m_overall->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_overall->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_overall->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_overall->setFixedHeight(m_overall->horizontalHeader()->sizeHint().height() + OverallRows * 20 + 2 * m_overall->frameWidth());
    m_layers = compactTable(4, {tr("Layer"), tr("SQNR before dB"), tr("after dB"), tr("Change")});
    m_layers->verticalHeader()->hide();
    m_layers->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_layers->horizontalHeader()->setStretchLastSection(false);
    m_layers->setMinimumHeight(60); // the dock keeps the curve's axis in view
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addWidget(m_summary);
    layout->addWidget(m_overall);
    layout->addWidget(m_layers, 1);
    return box;
}

void RetrainPanel::connectSignals()
{
    for (QSpinBox* s : {m_epochs, m_batch, m_patience, m_seed, m_samples, m_noiseSeeds})
        connect(s, &QSpinBox::valueChanged, this, &RetrainPanel::storeSettings);
    for (QDoubleSpinBox* s : {m_lr, m_holdout})
        connect(s, &QDoubleSpinBox::valueChanged, this, &RetrainPanel::storeSettings);
    connect(m_noise, &QComboBox::currentIndexChanged, this, &RetrainPanel::storeSettings);
    connect(m_start, &QPushButton::clicked, m_controller, [this] { m_controller->start(); });
    connect(m_cancel, &QPushButton::clicked, m_controller, &RetrainController::cancel);
    connect(m_adopt, &QPushButton::clicked, m_controller, [this] { m_controller->adopt(); });
    connect(m_controller, &RetrainController::runStarted, this, [this] {
        m_curve->clear(m_controller->settings().options.epochs);
        refreshOutcome();
    });
    connect(m_controller, &RetrainController::epochAdded, m_curve, &RetrainCurve::addEpoch);
    connect(m_controller, &RetrainController::outcomeChanged, this, &RetrainPanel::refreshOutcome);
    connect(m_controller, &RetrainController::blockerChanged, this, &RetrainPanel::refreshState);
    connect(m_controller, &RetrainController::busyChanged, this, [this](bool busy) {
        m_progress->setValue(busy ? 0 : 100);
        refreshState();
    });
    connect(m_controller, &RetrainController::progress, this, [this](double f, const QString& text) {
        m_progress->setValue(static_cast<int>(100 * f));
        m_progress->setToolTip(text);
    });
    connect(m_controller, &RetrainController::message, this, &RetrainPanel::message);
    connect(m_model, &ProjectModel::projectChanged, this, &RetrainPanel::loadSettings);
    connect(m_controller, &RetrainController::settingsChanged, this, &RetrainPanel::loadSettings);
}

void RetrainPanel::chooseTrainingData()
{
    const QString inputs = QFileDialog::getOpenFileName(this, tr("Training inputs"), m_controller->trainInputs(),
                                                        tr("NumPy arrays (*.npy)"));
    if (inputs.isEmpty())
        return;
    const QString labels = QFileDialog::getOpenFileName(this, tr("Training labels"), QFileInfo(inputs).absolutePath(),
                                                        tr("NumPy arrays (*.npy)"));
    m_controller->setTrainingData(inputs, labels);
}

void RetrainPanel::storeSettings()
{
    RetrainSettings s;
    s.options.epochs = m_epochs->value();
    s.options.learningRate = m_lr->value();
    s.options.batchSize = m_batch->value();
    s.options.holdout = m_holdout->value();
    s.options.patience = m_patience->value();
    s.options.seed = static_cast<uint64_t>(m_seed->value());
    s.options.analogNoise = m_noise->currentData().toString().toStdString();
    s.trainSamples = m_samples->value();
    s.noiseSeeds = m_noiseSeeds->value();
    m_controller->setSettings(s);
}

void RetrainPanel::loadSettings()
{
    const RetrainSettings s = m_controller->settings();
    const QSignalBlocker b1(m_epochs), b2(m_lr), b3(m_batch), b4(m_holdout), b5(m_patience), b6(m_seed), b7(m_noise),
        b8(m_samples), b9(m_noiseSeeds);
    m_epochs->setValue(s.options.epochs);
    m_lr->setValue(s.options.learningRate);
    m_batch->setValue(static_cast<int>(s.options.batchSize));
    m_holdout->setValue(s.options.holdout);
    m_patience->setValue(s.options.patience);
    m_seed->setValue(static_cast<int>(s.options.seed));
    m_noise->setCurrentIndex(std::max(0, m_noise->findData(QString::fromStdString(s.options.analogNoise))));
    m_samples->setValue(static_cast<int>(s.trainSamples));
    m_noiseSeeds->setValue(s.noiseSeeds);
    refreshState();
}

void RetrainPanel::refreshState()
{
    const QString why = m_controller->blocker();
    const bool busy = m_controller->runningJob() != 0;
    m_start->setEnabled(why.isEmpty());
    m_start->setToolTip(why.isEmpty() ? tr("Fine-tune the model at the chosen bits on the labelled training data") : why);
    m_cancel->setEnabled(busy);
    m_adopt->setEnabled(!busy && m_controller->outcome() && m_controller->outcome()->comparison.after.measured &&
                        !m_controller->isAdopted());
    const QString labels = m_controller->trainLabels();
    m_data->setText(m_controller->trainInputs().isEmpty()
                        ? tr("no data")
                        : tr("%1 + %2%3")
                              .arg(QFileInfo(m_controller->trainInputs()).fileName(),
                                   labels.isEmpty() ? tr("(no labels)") : QFileInfo(labels).fileName(),
                                   m_controller->trainsOnEvaluationData() ? tr(" (the evaluation data)") : QString()));
    if (busy)
        m_status->setText(m_controller->isStopping() ? tr("stopping after the current batch…") : tr("training…"));
    else
        m_status->setText(why.isEmpty() || why == tr("a retraining run is in progress") ? QString() : why);
    m_status->setToolTip(m_status->text());
}

void RetrainPanel::refreshOutcome()
{
    const std::optional<RetrainOutcome>& o = m_controller->outcome();
    if (!o) {
        m_summary->setText(m_controller->epochs().empty() ? tr("<b>Before / after</b>: run Retrain; the tables fill when it ends.")
                                                          : tr("<b>Before / after</b>: measuring when the run ends…"));
        m_overall->clearContents();
        m_layers->setRowCount(0);
        if (m_controller->epochs().empty())
            m_curve->clear(m_controller->settings().options.epochs);
        refreshState();
        return;
    }
    const train::RetrainResult& r = o->result;
    QString text = tr("<b>Before / after</b> — %1 · best epoch %2 of %3 kept · <i>%4</i>")
                       .arg(QString::fromStdString(r.stopReason).toHtmlEscaped())
                       .arg(r.bestEpoch)
                       .arg(r.epochs.size())
                       .arg(QFileInfo(QString::fromStdString(r.outputModel)).fileName().toHtmlEscaped());
    if (!o->comparison.note.empty())
        text += "<br>" + QString::fromStdString(o->comparison.note).toHtmlEscaped();
    if (m_controller->trainsOnEvaluationData())
        text += tr("<br>trained on the evaluation data: evaluation rows measure seen samples");
    m_summary->setText(text);
    fillOverall(*o);
    fillLayers(*o);
    refreshState();
}

void RetrainPanel::fillOverall(const RetrainOutcome& o)
{
    const RetrainEval &b = o.comparison.before, &a = o.comparison.after;
    const double nan = std::nan("");
    const auto row = [this](int r, const QString& before, const QString& after, const QString& delta) {
        m_overall->setItem(r, 0, cell(before));
        m_overall->setItem(r, 1, cell(after));
        QTableWidgetItem* d = cell(delta);
        if (delta.startsWith('-'))
            d->setForeground(style::warningTextColor());
        m_overall->setItem(r, 2, d);
    };
    row(HeldOut, pct(o.result.heldoutBefore), pct(o.result.heldoutAfter), change(o.result.heldoutBefore, o.result.heldoutAfter, 100, "pp"));
    const double eb = b.measured ? b.accuracy() : nan, ea = a.measured ? a.accuracy() : nan;
    row(EvalTop1, pct(eb), pct(ea), change(eb, ea, 100, "pp"));
    const double fb = b.measured && b.report.hasLabels ? b.report.fp32Top1 : nan, fa = a.measured && a.report.hasLabels ? a.report.fp32Top1 : nan;
    row(Fp32Top1, pct(fb), pct(fa), change(fb, fa, 100, "pp"));
    const double sb = b.measured ? b.report.outputSqnrDb : nan, sa = a.measured ? a.report.outputSqnrDb : nan;
    row(OutputSqnr, db(sb), db(sa), change(sb, sa, 1, "dB"));
    row(UnderNoise, noiseText(b), noiseText(a), change(b.noisyMean(), a.noisyMean(), 100, "pp"));
    m_overall->item(UnderNoise, 1)->setToolTip(a.noisy.empty() ? QString::fromStdString(o.comparison.note)
                                                                : tr("%1 noise seeds (1…%1)").arg(a.noisy.size()));
    m_overall->item(EvalTop1, 1)->setToolTip(b.report.hasLabels ? tr("top-1 on %1 evaluation samples").arg(b.report.samples)
                                                         : tr("agreement with FP32 on %1 evaluation samples (no labels)").arg(b.report.samples));
}

void RetrainPanel::fillLayers(const RetrainOutcome& o)
{
    const RetrainEval &b = o.comparison.before, &a = o.comparison.after;
    std::vector<const quant::LayerError*> rows;
    for (const quant::LayerError& l : a.report.layers)
        if (l.analog)
            rows.push_back(&l);
    m_layers->setRowCount(static_cast<int>(rows.size()));
    for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
        const double before = b.sqnrOf(rows[r]->node), after = rows[r]->sqnrDb;
        QTableWidgetItem* name = cell(QString::fromStdString(rows[r]->node), false);
        name->setToolTip(name->text());
        m_layers->setItem(r, 0, name);
        m_layers->setItem(r, 1, cell(db(before)));
        m_layers->setItem(r, 2, cell(db(after)));
        QTableWidgetItem* d = cell(change(before, after, 1, "dB"));
        if (d->text().startsWith('-'))
            d->setForeground(style::warningTextColor());
        m_layers->setItem(r, 3, d);
    }
}

} // namespace tessera::studio

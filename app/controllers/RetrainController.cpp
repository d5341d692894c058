#include "app/controllers/RetrainController.h"

#include "app/controllers/QuantController.h"
#include "core/analog/AnalogModel.h"
#include "app/model/AdoptTunedModel.h"
#include "core/Error.h"
#include "core/quantspec/QuantSpec.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>

#include <atomic>

namespace tessera::studio {

namespace {

std::string str(const QString& s) { return s.toStdString(); }

// Training stops (best weights kept) on the controller's Cancel; the job's own cancel
// (closing the window) stops it too.
class StopSink : public ProgressSink {
public:
    StopSink(ProgressSink& job, std::shared_ptr<std::atomic<bool>> stop) : m_job(job), m_stop(std::move(stop)) {}
    void report(double fraction, std::string_view message) override { m_job.report(0.8 * fraction, message); }
    bool isCancelled() const override { return m_stop->load() || m_job.isCancelled(); }

private:
    ProgressSink& m_job;
    std::shared_ptr<std::atomic<bool>> m_stop;
};

// Everything a run needs, copied out of the UI thread's objects.
struct RetrainJob {
    train::RetrainRequest request;
    std::shared_ptr<const QuantSpec> base;
    std::map<std::string, int> bits, adcBits, dacBits;
    RetrainCompareInput compare;
};

// The comparison after training; its failure keeps the training result (said in the note).
RetrainComparison compareAfter(const RetrainJob& job, const train::RetrainResult& result, ProgressSink& sink)
{
    RetrainComparison c;
    if (!QFileInfo::exists(QString::fromStdString(result.outputModel)) ||
        !QFileInfo::exists(QString::fromStdString(result.outputQuant))) {
        c.note = "the run wrote no tuned model: nothing to compare";
        return c;
    }
    RetrainCompareInput in = job.compare;
    in.tunedModel = result.outputModel;
    in.tunedQuant = result.outputQuant;
    SubProgress part(sink, 0.8, 1.0);
    try {
        return compareRetrain(in, part);
    } catch (const Error& e) {
        c.note = std::string("comparison failed: ") + e.what();
    }
    return c;
}

} // namespace

RetrainController::RetrainController(ProjectModel* model, JobManager* jobs, QuantController* quant, RetrainRunner runner,
                                     QObject* parent)
    : QObject(parent), m_model(model), m_jobs(jobs), m_quant(quant), m_runner(std::move(runner))
{
#if TESSERA_HAVE_TRAINING
    if (!m_runner)
        m_runner = &train::runRetrain;
#endif
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        const QString now = m_model->hasDocument() ? QString::fromStdString(m_model->document()->sourcePath()) : QString();
        const bool related = m_outcome && (QFileInfo(now) == QFileInfo(QString::fromStdString(m_outcome->result.outputModel)) ||
                                           QFileInfo(now) == QFileInfo(m_outcome->startModel));
        if (!related) { // adopting or undoing keeps the comparison; another model does not
            if (m_job)
                m_jobs->cancel(m_job);
            ++m_run;
            m_epochs.clear();
            m_outcome.reset();
            emit outcomeChanged();
        }
        emit blockerChanged();
    });
    connect(m_model, &ProjectModel::projectChanged, this, &RetrainController::blockerChanged);
    connect(m_quant, &QuantController::calibrationChanged, this, &RetrainController::blockerChanged);
    connect(m_quant, &QuantController::evalDataChanged, this, &RetrainController::blockerChanged);
    connect(m_jobs, &JobManager::jobEnded, this, [this](int id) {
        if (id != m_job)
            return;
        m_job = 0;
        m_stopping = false;
        emit busyChanged(false);
        emit blockerChanged();
    });
    connect(m_jobs, &JobManager::jobProgress, this, [this](int id, double fraction, const QString& text) {
        if (id == m_job)
            emit progress(fraction, text);
    });
    connect(m_jobs, &JobManager::jobFailed, this, [this](int id, const QString&, const QString& error) {
        if (id == m_job)
            emit message(tr("Retrain failed: %1").arg(error), true);
    });
}

QString RetrainController::trainingMissingText()
{
    return tr("Retraining is not available: this studio was built without the training engine "
              "(TESSERA_BUILD_TRAINING=OFF or libtorch-dev missing)");
}

QString RetrainController::state(const QString& key) const
{
    return m_model->panelState(kPanelId).value(key).toString();
}

void RetrainController::setState(const QString& key, const QJsonValue& value)
{
    QJsonObject s = m_model->panelState(kPanelId);
    s[key] = value;
    m_model->setPanelState(kPanelId, s);
}

RetrainSettings RetrainController::settings() const
{
    const QJsonObject s = m_model->panelState(kPanelId);
    RetrainSettings r;
    train::RetrainOptions& o = r.options;
    o.epochs = s.value("epochs").toInt(o.epochs);
    o.learningRate = s.value("learningRate").toDouble(o.learningRate);
    o.batchSize = s.value("batchSize").toInteger(o.batchSize);
    o.holdout = s.value("holdout").toDouble(o.holdout);
    o.patience = s.value("patience").toInt(o.patience);
    o.seed = static_cast<uint64_t>(s.value("seed").toInteger(static_cast<qint64>(o.seed)));
    o.analogNoise = str(s.value("analogNoise").toString(QString::fromStdString(o.analogNoise)));
    r.trainSamples = s.value("trainSamples").toInteger(r.trainSamples);
    r.noiseSeeds = s.value("noiseSeeds").toInt(r.noiseSeeds);
    return r;
}

void RetrainController::setSettings(const RetrainSettings& r)
{
    QJsonObject s = m_model->panelState(kPanelId);
    const train::RetrainOptions& o = r.options;
    s["epochs"] = o.epochs;
    s["learningRate"] = o.learningRate;
    s["batchSize"] = static_cast<qint64>(o.batchSize);
    s["holdout"] = o.holdout;
    s["patience"] = o.patience;
    s["seed"] = static_cast<qint64>(o.seed);
    s["analogNoise"] = QString::fromStdString(o.analogNoise);
    s["trainSamples"] = static_cast<qint64>(r.trainSamples);
    s["noiseSeeds"] = r.noiseSeeds;
    if (s == m_model->panelState(kPanelId))
        return;
    m_model->setPanelState(kPanelId, s);
    emit settingsChanged();
}

void RetrainController::setTrainingData(const QString& inputs, const QString& labels)
{
    setState("trainDataPath", inputs.isEmpty() ? QString() : QFileInfo(inputs).absoluteFilePath());
    setState("trainLabelsPath", labels.isEmpty() ? QString() : QFileInfo(labels).absoluteFilePath());
    emit blockerChanged();
}

QString RetrainController::trainInputs() const
{
    const QString own = state("trainDataPath");
    return own.isEmpty() ? m_quant->evalInputs() : own;
}

QString RetrainController::trainLabels() const
{
    return state("trainDataPath").isEmpty() ? m_quant->evalLabels() : state("trainLabelsPath");
}

bool RetrainController::trainsOnEvaluationData() const
{
    return QFileInfo(trainInputs()) == QFileInfo(m_quant->evalInputs());
}

QString RetrainController::blocker() const
{
    if (!m_runner)
        return trainingMissingText();
    if (!m_model->hasDocument())
        return tr("open a model first");
    if (m_job)
        return tr("a retraining run is in progress");
    if (!m_quant->isCalibrated())
        return tr("calibrate on the Quantization dock first: retraining starts from its chosen bits");
    if (trainInputs().isEmpty())
        return tr("choose training data (Training Data…, or the Quantization dock's Eval Data… with labels)");
    if (trainLabels().isEmpty())
        return tr("the training data %1 has no labels: choose inputs and a labels .npy (Training Data…)")
            .arg(QFileInfo(trainInputs()).fileName());
    return {};
}

train::RetrainRequest RetrainController::makeRequest(const RetrainSettings& s) const
{
    const QDir dir(QDir(m_quant->workDir()).filePath("retrain"));
    const QString base = QFileInfo(m_model->project().modelPath).completeBaseName();
    train::RetrainRequest req;
    req.modelPath = m_model->document()->sourcePath();
    req.quantPath = str(dir.filePath("start.quant.json"));
    req.data = m_quant->dataSource(trainInputs(), trainLabels(), s.trainSamples);
    req.options = s.options;
    req.outputModel = str(dir.filePath(base + ".tuned.onnx"));
    req.outputQuant = str(dir.filePath(base + ".tuned.quant.json"));
    req.resume = false; // Start means a fresh run; the checkpoint still guards a crash
    return req;
}

int RetrainController::start()
{
    if (const QString why = blocker(); !why.isEmpty()) {
        emit message(tr("Retrain: %1").arg(why), true);
        return 0;
    }
    const RetrainSettings s = settings();
    RetrainJob job;
    job.request = makeRequest(s);
    job.base = m_quant->baseResult();
    job.bits = m_quant->chosenBits();
    job.adcBits = m_quant->chosenAdcBits();
    job.dacBits = m_quant->chosenDacBits();
    job.compare.startModel = job.request.modelPath;
    job.compare.startQuant = job.request.quantPath;
    job.compare.data = m_quant->dataSource(m_quant->evalInputs(), m_quant->evalLabels(),
                                           m_model->panelState(QuantController::kPanelId).value("evalLimit").toInteger());
    job.compare.noiseSeeds = s.noiseSeeds;
    job.compare.fallbackNoise = analog::defaultNonIdealities(s.options.seed);
    QDir().mkpath(QFileInfo(QString::fromStdString(job.request.quantPath)).absolutePath());
    m_stop = std::make_shared<std::atomic<bool>>(false);
    m_epochs.clear();
    m_outcome.reset();
    const int run = ++m_run;
    const auto onEpoch = [self = QPointer(this), run](const train::EpochReport& e) {
        QMetaObject::invokeMethod(self.data(), [self, run, e] { if (self) self->onEpoch(run, e); }, Qt::QueuedConnection);
    };
    m_job = m_jobs->start(tr("Retrain %1 epochs").arg(s.options.epochs), "retrain",
                          [job, runner = m_runner, stop = m_stop, onEpoch, run, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        sink.checkpoint(0.0, "writing the starting spec (the chosen bits)");
        quant::ModelGraphs graphs = quant::openModelFor(job.request.modelPath, *job.base);
        writeQuantSpec(job.request.quantPath, quant::withChosenBits(*job.base, graphs.forBatch(graphs.runBatch(1)), job.bits, job.adcBits, job.dacBits));
        StopSink training(sink, stop);
        auto outcome = std::make_shared<RetrainOutcome>();
        outcome->result = runner(job.request, &training, onEpoch);
        outcome->startModel = QString::fromStdString(job.compare.startModel);
        outcome->startQuant = QString::fromStdString(job.compare.startQuant);
        if (sink.isCancelled())
            throw Cancelled();
        outcome->comparison = compareAfter(job, outcome->result, sink);
        return [self, run, outcome] { if (self) self->apply(run, outcome); };
    });
    m_jobs->setStopHandler(m_job, [self = QPointer(this)] { if (self) self->cancel(); }); // status bar's Cancel
    m_stopping = false;
    emit runStarted();
    emit busyChanged(true);
    emit blockerChanged();
    return m_job;
}

void RetrainController::cancel()
{
    if (!m_job)
        return;
    if (m_stopping) { // second Cancel: drop the comparison too
        m_jobs->cancel(m_job);
        return;
    }
    m_stopping = true;
    *m_stop = true;
    emit message(tr("Retrain: stopping after the current batch; the best weights so far are kept"), false);
}

void RetrainController::onEpoch(int run, const train::EpochReport& epoch)
{
    if (run != m_run)
        return;
    m_epochs.push_back(epoch);
    emit epochAdded(epoch);
}

void RetrainController::apply(int run, std::shared_ptr<const RetrainOutcome> outcome)
{
    if (run != m_run)
        return;
    m_outcome = *outcome;
    const train::RetrainResult& r = m_outcome->result;
    emit message(tr("Retrained (%1, best epoch %2 of %3): held-out %4% → %5%; tuned model %6")
                     .arg(QString::fromStdString(r.stopReason))
                     .arg(r.bestEpoch)
                     .arg(r.epochs.size())
                     .arg(100.0 * r.heldoutBefore, 0, 'f', 2)
                     .arg(100.0 * r.heldoutAfter, 0, 'f', 2)
                     .arg(QString::fromStdString(r.outputModel)),
                 false);
    if (!m_outcome->comparison.note.empty())
        emit message(tr("Retrain: %1").arg(QString::fromStdString(m_outcome->comparison.note)), false);
    emit outcomeChanged();
}

bool RetrainController::isAdopted() const
{
    return m_outcome && QFileInfo(m_model->project().modelPath) == QFileInfo(QString::fromStdString(m_outcome->result.outputModel));
}

bool RetrainController::adopt()
{
    QString why;
    if (!m_outcome || !m_outcome->comparison.after.measured)
        why = tr("no tuned model to adopt yet: run Retrain first");
    else if (m_job)
        why = tr("wait for the running retraining to end");
    else if (isAdopted())
        why = tr("the project already uses the tuned model");
    if (!why.isEmpty()) {
        emit message(tr("Adopt: %1").arg(why), true);
        return false;
    }
    const train::RetrainResult& r = m_outcome->result;
    m_model->undoStack()->push(new AdoptTunedModel(m_model, QString::fromStdString(r.outputModel), QString::fromStdString(r.outputQuant)));
    emit message(tr("The project now uses the tuned model %1 and its spec (Edit > Undo goes back)")
                     .arg(QString::fromStdString(r.outputModel)),
                 false);
    return true;
}

} // namespace tessera::studio

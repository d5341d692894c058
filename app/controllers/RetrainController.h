#pragma once
// The Retrain dock's logic, without widgets (Qt Test drives it directly):
//  - the settings of a run (epochs, learning rate, batch, held-out fraction, patience, seed,
//    analog noise, training samples, noise seeds), kept in the project's "retrain" panel
//    state; training data defaults to the quantization dock's evaluation data + labels;
//  - the run itself: quant/train/Retrain.h runRetrain (or an injected runner with its
//    signature: tests) as a JobManager job against the quantization dock's chosen bits, one
//    epoch report per finished epoch as it happens (the live curve), Cancel that stops after
//    the current batch and keeps the best weights (a second Cancel aborts the comparison);
//  - after it, the comparison (RetrainCompare.h): evaluation accuracy, per-layer SQNR and,
//    with a noise model, accuracy over noise seeds, of the starting and the tuned model;
//  - adopting the tuned model and spec into the project (AdoptTunedModel, undoable).
#include "app/controllers/RetrainCompare.h"
#include "app/jobs/JobManager.h"
#include "app/model/ProjectModel.h"
#include "quant/train/Retrain.h"

#include <QObject>

#include <functional>
#include <memory>
#include <optional>

namespace tessera::studio {

class QuantController;

// runRetrain's signature; the controller calls it on a worker thread.
using RetrainRunner = std::function<train::RetrainResult(const train::RetrainRequest&, ProgressSink*,
                                                         const train::EpochCallback&)>;

struct RetrainSettings {
    train::RetrainOptions options;
    int64_t trainSamples = 0; // first N labelled samples (0: all)
    int noiseSeeds = 5;       // noise seeds of the comparison (0: no noise evaluation)
};

// What a finished (or cancelled) run left: the engine's result and the comparison.
struct RetrainOutcome {
    train::RetrainResult result;
    RetrainComparison comparison;
    QString startModel, startQuant; // what it started from
};

class RetrainController : public QObject {
    Q_OBJECT
public:
    static constexpr const char* kPanelId = "retrain";

    // `runner` empty: runRetrain when the studio was built with training, else none
    // (available() is false and every start is refused with trainingMissingText()).
    RetrainController(ProjectModel* model, JobManager* jobs, QuantController* quant, RetrainRunner runner = {},
                      QObject* parent = nullptr);

    bool available() const { return static_cast<bool>(m_runner); }
    static QString trainingMissingText();

    RetrainSettings settings() const;
    void setSettings(const RetrainSettings& settings);
    // Labelled training inputs (.npy or image folder) and labels (.npy); empty: the
    // quantization dock's evaluation data.
    void setTrainingData(const QString& inputs, const QString& labels);
    QString trainInputs() const;
    QString trainLabels() const;
    bool trainsOnEvaluationData() const; // the comparison then measures training data

    // Why Start cannot run now (empty: it can): no engine, no model, no calibration, no
    // data, no labels, a job running.
    QString blocker() const;
    int start(); // the job id, 0 when it cannot start (reason via message())
    void cancel();
    int runningJob() const { return m_job; }
    bool isStopping() const { return m_stopping; }

    const std::vector<train::EpochReport>& epochs() const { return m_epochs; }
    const std::optional<RetrainOutcome>& outcome() const { return m_outcome; }
    // Opens the tuned model and its spec in the project (undoable). False with a message
    // when there is nothing to adopt.
    bool adopt();
    bool isAdopted() const;

signals:
    void epochAdded(const train::EpochReport& epoch);
    void runStarted();
    void outcomeChanged();
    void busyChanged(bool busy);
    void progress(double fraction, const QString& text);
    void message(const QString& text, bool isError);
    void blockerChanged(); // data, calibration or the document changed
    void settingsChanged();

private:
    QString state(const QString& key) const;
    void setState(const QString& key, const QJsonValue& value);
    train::RetrainRequest makeRequest(const RetrainSettings& s) const;
    void onEpoch(int run, const train::EpochReport& epoch);
    void apply(int run, std::shared_ptr<const RetrainOutcome> outcome);

    ProjectModel* m_model;
    JobManager* m_jobs;
    QuantController* m_quant;
    RetrainRunner m_runner;
    std::shared_ptr<std::atomic<bool>> m_stop;
    std::vector<train::EpochReport> m_epochs;
    std::optional<RetrainOutcome> m_outcome;
    int m_job = 0;
    int m_run = 0; // increases per start: reports of an older run are dropped
    bool m_stopping = false;
};

} // namespace tessera::studio

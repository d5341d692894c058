#pragma once
// One framework for all long work (load, layout; later quantize, compile, simulate).
// Work runs on a worker thread with a tessera::ProgressSink; progress, errors and
// results come back to the UI thread as signals. A job of a "replacing" kind cancels the
// running job of the same kind (a newer layout request makes an older one moot).
#include "core/Progress.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace tessera::studio {

// Runs on the UI thread after the work succeeded (applies its result).
using JobApply = std::function<void()>;
// Runs on a worker thread; throws tessera::Error on failure, Cancelled when asked to stop.
using JobWork = std::function<JobApply(ProgressSink&)>;

class JobManager : public QObject {
    Q_OBJECT
public:
    explicit JobManager(QObject* parent = nullptr);
    ~JobManager() override; // cancels and waits for running jobs

    // Starts `work` on a worker thread; returns the job id. With replaceSameKind, a
    // running job with the same kind is cancelled first (its result is dropped).
    int start(const QString& title, const QString& kind, JobWork work, bool replaceSameKind = true);
    void cancel(int jobId);
    void cancelAll(); // closing: every job's result is dropped
    // A job's own answer to the user's Cancel (the status bar's), e.g. retraining stops after
    // the current batch and keeps its best weights. Cleared when the job ends.
    void setStopHandler(int jobId, std::function<void()> stop);
    // The status bar's Cancel: each running job's stop handler, or cancel() without one.
    void stopAll();
    bool isRunning(int jobId) const { return m_jobs.contains(jobId); }
    int runningCount() const { return m_jobs.size(); }
    QString title(int jobId) const;
    // Blocks (processing events) until no job is running or the timeout passes.
    bool waitForIdle(int timeoutMs);

signals:
    void jobStarted(int jobId, const QString& title);
    void jobProgress(int jobId, double fraction, const QString& message);
    void jobSucceeded(int jobId, const QString& title, qint64 elapsedMs);
    void jobFailed(int jobId, const QString& title, const QString& error);
    void jobCancelled(int jobId, const QString& title);
    void jobEnded(int jobId); // after any of the three above
    void busyChanged(bool busy);

private:
    struct JobState;
    void finish(int jobId, JobApply apply, const QString& error, bool cancelled);

    QThreadPool m_pool;
    QHash<int, std::shared_ptr<JobState>> m_jobs;
    QHash<int, std::function<void()>> m_stopHandlers;
    int m_nextId = 1;
};

} // namespace tessera::studio

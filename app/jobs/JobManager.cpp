#include "app/jobs/JobManager.h"

#include "core/Error.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QPointer>

#include <atomic>
#include <mutex>

namespace tessera::studio {

struct JobManager::JobState : ProgressSink {
    int id = 0;
    QString title;
    QString kind;
    std::atomic<bool> cancelled{false};
    QElapsedTimer clock;
    QPointer<JobManager> manager;
    // Progress is throttled so a tight loop cannot flood the UI event queue.
    std::mutex reportMutex;
    qint64 lastReportMs = -1000;

    void report(double fraction, std::string_view message) override
    {
        std::lock_guard lock(reportMutex);
        const qint64 now = clock.elapsed();
        if (now - lastReportMs < 50 && fraction < 1.0)
            return;
        lastReportMs = now;
        QString text = QString::fromUtf8(message.data(), static_cast<int>(message.size()));
        QMetaObject::invokeMethod(
            manager.data(), [m = manager, id = id, fraction, text] {
                if (m && m->isRunning(id))
                    emit m->jobProgress(id, fraction, text);
            },
            Qt::QueuedConnection);
    }
    bool isCancelled() const override { return cancelled.load(); }
};

JobManager::JobManager(QObject* parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(2);
}

JobManager::~JobManager()
{
    for (auto& job : m_jobs)
        job->cancelled = true;
    m_pool.waitForDone();
}

int JobManager::start(const QString& title, const QString& kind, JobWork work, bool replaceSameKind)
{
    if (replaceSameKind)
        for (auto& job : m_jobs)
            if (job->kind == kind)
                cancel(job->id);
    auto state = std::make_shared<JobState>();
    state->id = m_nextId++;
    state->title = title;
    state->kind = kind;
    state->manager = this;
    state->clock.start();
    const bool wasIdle = m_jobs.isEmpty();
    m_jobs.insert(state->id, state);
    emit jobStarted(state->id, title);
    if (wasIdle)
        emit busyChanged(true);

    m_pool.start([state, work = std::move(work)] {
        JobApply apply;
        QString error;
        bool cancelled = false;
        try {
            if (state->isCancelled())
                throw Cancelled();
            apply = work(*state);
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::exception& e) { // tessera::Error, and bad_alloc on huge models
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            state->manager.data(), [state, apply = std::move(apply), error, cancelled] {
                if (state->manager)
                    state->manager->finish(state->id, apply, error, cancelled);
            },
            Qt::QueuedConnection);
    });
    return state->id;
}

void JobManager::finish(int jobId, JobApply apply, const QString& error, bool cancelled)
{
    auto job = m_jobs.value(jobId);
    if (!job)
        return;
    m_jobs.remove(jobId);
    m_stopHandlers.remove(jobId);
    cancelled = cancelled || job->isCancelled(); // a result that arrives after cancel is dropped
    if (cancelled) {
        emit jobCancelled(jobId, job->title);
    } else if (!error.isEmpty()) {
        emit jobFailed(jobId, job->title, error);
    } else {
        try {
            if (apply)
                apply();
            emit jobSucceeded(jobId, job->title, job->clock.elapsed());
        } catch (const std::exception& e) {
            emit jobFailed(jobId, job->title, QString::fromUtf8(e.what()));
        }
    }
    emit jobEnded(jobId);
    if (m_jobs.isEmpty())
        emit busyChanged(false);
}

void JobManager::cancel(int jobId)
{
    if (auto job = m_jobs.value(jobId))
        job->cancelled = true;
}

void JobManager::cancelAll()
{
    for (auto& job : m_jobs)
        job->cancelled = true;
}

void JobManager::setStopHandler(int jobId, std::function<void()> stop)
{
    if (m_jobs.contains(jobId))
        m_stopHandlers.insert(jobId, std::move(stop));
}

void JobManager::stopAll()
{
    for (int id : m_jobs.keys()) {
        const auto handler = m_stopHandlers.constFind(id);
        if (handler != m_stopHandlers.constEnd())
            (*handler)();
        else
            cancel(id);
    }
}

QString JobManager::title(int jobId) const
{
    auto job = m_jobs.value(jobId);
    return job ? job->title : QString();
}

bool JobManager::waitForIdle(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!m_jobs.isEmpty() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    return m_jobs.isEmpty();
}

} // namespace tessera::studio

#pragma once
// The engine's only hook for long work: report progress and honour cancellation.
// No Qt here; the studio adapts it to signals, the CLI prints it on stderr.
#include "core/Error.h"

#include <atomic>
#include <string_view>

namespace tessera {

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    // fraction in [0, 1]; message says what is being done.
    virtual void report(double fraction, std::string_view message) = 0;
    virtual bool isCancelled() const = 0;

    // Call between units of work: throws Cancelled when the user asked to stop.
    void checkpoint(double fraction, std::string_view message)
    {
        if (isCancelled())
            throw Cancelled();
        report(fraction, message);
    }
};

// A sink that ignores progress and is never cancelled unless cancel() is called.
class SilentProgress : public ProgressSink {
public:
    void report(double, std::string_view) override {}
    bool isCancelled() const override { return m_cancelled.load(); }
    void cancel() { m_cancelled = true; }

private:
    std::atomic<bool> m_cancelled{false};
};

// Maps a sub-task's [0, 1] onto [begin, end] of a parent sink.
class SubProgress : public ProgressSink {
public:
    SubProgress(ProgressSink& parent, double begin, double end) : m_parent(parent), m_begin(begin), m_end(end) {}
    void report(double fraction, std::string_view message) override
    {
        m_parent.report(m_begin + (m_end - m_begin) * fraction, message);
    }
    bool isCancelled() const override { return m_parent.isCancelled(); }

private:
    ProgressSink& m_parent;
    double m_begin;
    double m_end;
};

} // namespace tessera

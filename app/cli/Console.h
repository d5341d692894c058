#pragma once
// Terminal side of long work: a ProgressSink that prints a percentage line on stderr, and
// the Ctrl+C handler that asks it to cancel.
#include "core/Progress.h"

#include <chrono>
#include <string>

namespace tessera::cli {

// Installs a SIGINT handler that requests cancellation; a second Ctrl+C kills the process.
void installInterruptHandler();
bool interruptRequested();

// Prints "message  42%" on stderr, rewriting one line on a terminal and printing a new
// line every 10% otherwise (logs stay short). Silent for the first quarter second, so
// quick jobs print only their results. Cancelled by Ctrl+C.
class ConsoleProgress : public ProgressSink {
public:
    explicit ConsoleProgress(bool enabled);
    ~ConsoleProgress() override;
    void report(double fraction, std::string_view message) override;
    bool isCancelled() const override { return interruptRequested(); }
    // Ends the progress line (called before printing results).
    void finish();

private:
    bool m_enabled;
    bool m_terminal;
    int m_lastPercent = -1;
    std::string m_lastMessage;
    bool m_lineOpen = false;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

// Maps a sub-task's [0, 1] onto [begin, end] of `parent` under a fixed label (the
// executor's own "running" says less than "batch 3/8").
class LabelledProgress : public ProgressSink {
public:
    LabelledProgress(ProgressSink& parent, double begin, double end, std::string label)
        : m_parent(parent), m_begin(begin), m_end(end), m_label(std::move(label))
    {
    }
    void report(double fraction, std::string_view) override
    {
        m_parent.report(m_begin + (m_end - m_begin) * fraction, m_label);
    }
    bool isCancelled() const override { return m_parent.isCancelled(); }

private:
    ProgressSink& m_parent;
    double m_begin, m_end;
    std::string m_label;
};

// Process-wide output switches set by global flags.
struct ConsoleOptions {
    bool quiet = false; // no progress output
};
ConsoleOptions& consoleOptions();

} // namespace tessera::cli

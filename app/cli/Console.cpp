#include "app/cli/Console.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace tessera::cli {

namespace {

volatile std::sig_atomic_t g_interrupts = 0;

void onInterrupt(int)
{
    g_interrupts = g_interrupts + 1;
    if (g_interrupts > 1) { // the user insists: stop now
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}

} // namespace

void installInterruptHandler()
{
    std::signal(SIGINT, onInterrupt);
}

bool interruptRequested()
{
    return g_interrupts > 0;
}

ConsoleOptions& consoleOptions()
{
    static ConsoleOptions options;
    return options;
}

ConsoleProgress::ConsoleProgress(bool enabled)
    : m_enabled(enabled && !consoleOptions().quiet), m_terminal(isatty(STDERR_FILENO) != 0)
{
}

ConsoleProgress::~ConsoleProgress()
{
    finish();
}

void ConsoleProgress::report(double fraction, std::string_view message)
{
    if (!m_enabled || std::chrono::steady_clock::now() - m_start < std::chrono::milliseconds(250))
        return;
    int percent = static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * 100.0));
    // A terminal line is rewritten at every percent or message change; a log gets one
    // line per 10%.
    if (m_terminal ? (percent == m_lastPercent && message == m_lastMessage) : (m_lastPercent >= 0 && percent / 10 == m_lastPercent / 10))
        return;
    m_lastPercent = percent;
    m_lastMessage = std::string(message);
    if (m_terminal) {
        std::fprintf(stderr, "\r\033[K%s  %3d%%", m_lastMessage.c_str(), percent);
        m_lineOpen = true;
    } else {
        std::fprintf(stderr, "%s  %3d%%\n", m_lastMessage.c_str(), percent);
    }
    std::fflush(stderr);
}

void ConsoleProgress::finish()
{
    if (m_lineOpen) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        m_lineOpen = false;
    }
}

} // namespace tessera::cli

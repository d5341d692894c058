#include "quant/MetricCommand.h"

#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/wait.h>

namespace tessera::quant {

namespace {

std::string shellQuoted(const std::string& s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to)
{
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

std::string lastLine(const std::string& text)
{
    size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos)
        return {};
    const size_t begin = text.find_last_of('\n', end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}


std::filesystem::path makeScratchDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "tessera-metric-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        fail("metric command: cannot create a scratch folder in ", std::filesystem::temp_directory_path().string());
    return pattern;
}

} // namespace

MetricCommand::MetricCommand(std::string command, const Tensor& ref) : m_command(std::move(command))
{
    if (m_command.find("{out}") == std::string::npos)
        fail("metric command '", m_command, "' has no {out} (the quantized outputs' .npy)");
    m_dir = makeScratchDir();
    m_refPath = (m_dir / "ref.npy").string();
    writeNpy(m_refPath, ref);
}

MetricCommand::~MetricCommand()
{
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
}

double MetricCommand::ceiling()
{
    std::lock_guard<std::mutex> lock(m_ceilingMutex);
    if (!m_ceiling)
        m_ceiling = runOn(m_refPath, "ceiling");
    return *m_ceiling;
}

double MetricCommand::score(const Tensor& out) const
{
    const std::string tag = std::to_string(m_runs++);
    const std::string outPath = (m_dir / ("out" + tag + ".npy")).string();
    writeNpy(outPath, out);
    struct Remove {
        std::string path;
        ~Remove() { std::filesystem::remove(path); }
    } remove{outPath};
    return runOn(outPath, tag);
}

double MetricCommand::runOn(const std::string& outPath, const std::string& tag) const
{
    const std::string errPath = (m_dir / ("stderr" + tag + ".txt")).string();
    const std::string line = replaceAll(replaceAll(m_command, "{ref}", shellQuoted(m_refPath)), "{out}",
                                        shellQuoted(outPath)) + " 2>" + shellQuoted(errPath);
    FILE* pipe = popen(line.c_str(), "r");
    if (!pipe)
        fail("metric command '", m_command, "' could not be started: ", std::strerror(errno));
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
        text.append(buf, n);
    const int status = pclose(pipe);
    std::string err;
    try {
        err = readFileBytes(errPath, 1 << 16);
    } catch (const Error&) {
    }
    std::filesystem::remove(errPath);
    if (status != 0)
        fail("metric command '", m_command, "' failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : status,
             ")", err.empty() ? "" : ": ", lastLine(err));
    const std::string number = lastLine(text);
    char* end = nullptr;
    const double v = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !std::isfinite(v))
        fail("metric command '", m_command, "' printed '", number, "' as its last line, not a number");
    return v;
}

double runMetricCommand(const std::string& command, const Tensor& ref, const Tensor& out)
{
    return MetricCommand(command, ref).score(out);
}

} // namespace tessera::quant

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

// A scratch folder removed when it goes out of scope.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "tessera-metric-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            fail("metric command: cannot create a scratch folder in ", std::filesystem::temp_directory_path().string());
        path = pattern;
    }
    ~ScratchDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

std::string lastLine(const std::string& text)
{
    size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos)
        return {};
    const size_t begin = text.find_last_of('\n', end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}

} // namespace

double runMetricCommand(const std::string& command, const Tensor& ref, const Tensor& out)
{
    if (command.find("{out}") == std::string::npos)
        fail("metric command '", command, "' has no {out} (the quantized outputs' .npy)");
    ScratchDir dir;
    const std::string refPath = (dir.path / "ref.npy").string(), outPath = (dir.path / "out.npy").string();
    const std::string errPath = (dir.path / "stderr.txt").string();
    writeNpy(refPath, ref);
    writeNpy(outPath, out);
    const std::string line = replaceAll(replaceAll(command, "{ref}", shellQuoted(refPath)), "{out}", shellQuoted(outPath)) +
                             " 2>" + shellQuoted(errPath);
    FILE* pipe = popen(line.c_str(), "r");
    if (!pipe)
        fail("metric command '", command, "' could not be started: ", std::strerror(errno));
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
        text.append(buf, n);
    const int status = pclose(pipe);
    if (status != 0) {
        std::string err;
        try {
            err = readFileBytes(errPath, 1 << 16);
        } catch (const Error&) {
        }
        fail("metric command '", command, "' failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : status,
             ")", err.empty() ? "" : ": ", lastLine(err));
    }
    const std::string number = lastLine(text);
    char* end = nullptr;
    const double v = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !std::isfinite(v))
        fail("metric command '", command, "' printed '", number, "' as its last line, not a number");
    return v;
}

} // namespace tessera::quant

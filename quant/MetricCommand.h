#pragma once
// The user's own metric (`--metric-cmd 'CMD {ref} {out}'`): a program scores the quantized
// outputs against the FP32 ones (both written as .npy, [N, ...]) and prints one number,
// higher is better. Evaluation, sensitivity and the mixed-precision search then budget in
// its units: drop = score(ref, ref) - score(ref, out).
#include "core/Tensor.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace tessera::quant {

// One metric command against one set of FP32 outputs: the reference .npy is written once
// (in a scratch folder removed with the object), its ceiling is measured once, and each
// score() runs the command once. score() may be called from several threads.
class MetricCommand {
public:
    // Fails when `command` has no {out}.
    MetricCommand(std::string command, const Tensor& ref);
    ~MetricCommand();
    MetricCommand(const MetricCommand&) = delete;
    MetricCommand& operator=(const MetricCommand&) = delete;

    const std::string& command() const { return m_command; }
    // The command's score of the FP32 outputs against themselves (run on the first call).
    double ceiling();
    // The command's score of `out` against the FP32 outputs. Fails naming the command with
    // its exit status and stderr, or with what it printed when that is no number.
    double score(const Tensor& out) const;
    double drop(const Tensor& out) { return ceiling() - score(out); }

private:
    double runOn(const std::string& outPath, const std::string& tag) const;

    std::string m_command;
    std::filesystem::path m_dir;
    std::string m_refPath;
    std::optional<double> m_ceiling;
    std::mutex m_ceilingMutex;
    mutable std::atomic<int64_t> m_runs{0};
};

// One-off: MetricCommand(command, ref).score(out).
double runMetricCommand(const std::string& command, const Tensor& ref, const Tensor& out);

} // namespace tessera::quant

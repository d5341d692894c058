#include "simulator/SeedSweep.h"

#include "core/Error.h"
#include "core/TensorRows.h"
#include "core/quantspec/QuantSpec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tessera::sim {

analog::NonIdealities noiseModel(const std::string& choice, const package::Package& pkg)
{
    if (choice == "off")
        return {};
    if (choice == "default")
        return analog::noiseOrDefault(pkg.nonIdealities);
    if (choice.empty())
        fail("noise: 'off', 'default' or a noise-model file (.json), got nothing");
    return readNonIdealities(choice);
}

std::string describeNoise(const analog::NonIdealities& noise)
{
    if (!noise.any())
        return "none";
    std::string text;
    const auto add = [&text](const char* what, double v, const char* unit) {
        if (v <= 0.0)
            return;
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s %g%s", text.empty() ? "" : ", ", what, v, unit);
        text += buf;
    };
    add("read noise", noise.readNoise, "");
    add("programming error", noise.weightProgramNoise, "");
    add("ADC offset", noise.adcOffset, " LSB");
    return text;
}

SeedSpread spreadOf(uint64_t firstSeed, std::vector<double> values)
{
    SeedSpread s;
    s.firstSeed = firstSeed;
    s.values = std::move(values);
    if (s.values.empty())
        return s;
    const double n = static_cast<double>(s.values.size());
    for (double v : s.values)
        s.mean += v / n;
    double var = 0;
    for (double v : s.values)
        var += (v - s.mean) * (v - s.mean);
    s.spread = s.values.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
    s.min = *std::min_element(s.values.begin(), s.values.end());
    s.max = *std::max_element(s.values.begin(), s.values.end());
    return s;
}

SeedSpread sweepSeeds(const Machine& machine, const Tensor& frames, const SeedSweepOptions& options,
                      const std::function<double(const Tensor& output)>& score,
                      ProgressSink* progress)
{
    const package::Package& pkg = machine.package();
    if (pkg.inputs.size() != 1)
        fail("noise over seeds: the package takes ", pkg.inputs.size(), " inputs; the sweep feeds one");
    if (!pkg.nonIdealities.any())
        fail("noise over seeds: the package '", pkg.header.modelName, "' has no non-idealities to draw");
    const Shape& in = pkg.tensors[pkg.inputs[0]].shape;
    const int64_t per = in.empty() || in[0] == 0 ? 1 : in[0];
    const int64_t total = frames.rank() == 0 ? 1 : frames.dim(0) / per;
    const int64_t chunk = options.chunkFrames > 0 ? options.chunkFrames : std::max<int64_t>(1, total);
    std::vector<double> values;
    for (int s = 0; s < options.seeds; ++s) {
        RunOptions ro;
        ro.noise = true;
        ro.overrideSeed = true;
        ro.seed = options.firstSeed + static_cast<uint64_t>(s);
        ro.threads = options.threads;
        std::vector<Tensor> parts;
        for (int64_t f = 0; f < total; f += chunk) {
            if (progress)
                progress->checkpoint(static_cast<double>(s * total + f) / static_cast<double>(options.seeds * total),
                                     "noise seed " + std::to_string(s + 1) + " of " + std::to_string(options.seeds) +
                                         ", frame " + std::to_string(f + 1) + " of " + std::to_string(total));
            const int64_t n = std::min(chunk, total - f);
            ro.firstFrame = static_cast<uint64_t>(f);
            parts.push_back(machine.run({chunk >= total ? frames : sliceRows(frames, f * per, n * per)}, ro)[0]);
        }
        values.push_back(score(parts.size() == 1 ? parts[0] : concatRows(parts)));
    }
    return spreadOf(options.firstSeed, std::move(values));
}

} // namespace tessera::sim

#pragma once
// Helpers of the simulator tests: quantize a graph on a few samples for a target's array
// rows, compile it into a package, run the package on the Machine and the graph on the
// quantized reference executor frame by frame (read-noise stream = frame index), and
// compare outputs bit for bit.
#include "compiler/Compiler.h"
#include "compiler/PackageBuilder.h"
#include "core/package/PackageIO.h"
#include "core/target/Target.h"
#include "quant/Calibrator.h"
#include "quant/Dataset.h"
#include "quant/QuantizedExecutor.h"
#include "simulator/Machine.h"

#include <QtTest>

#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace tessera::testing {

inline QuantSpec quantizeFor(quant::ModelGraphs& model, const Tensor& calib, const std::string& target,
                                    const analog::NonIdealities& noise = {})
{
    QuantConfig config;
    const Target t = loadTarget(target);
    config.geometry.rows = t.analog.array.rows;
    config.geometry.cols = t.analog.array.cols;
    config.nonIdealities = noise;
    quant::Dataset data;
    data.inputs = calib;
    return quant::calibrate(model, data, config, nullptr, 8);
}

// Compiles and round-trips the package through its bytes (what a device would load).
inline package::Package compileFor(const Graph& g, const QuantSpec& spec, const std::string& target)
{
    const compiler::CompileResult r = compiler::compileGraph(g, loadTarget(target), &spec);
    if (!r.fits)
        throw Error(r.fitMessage);
    const std::string bytes =
        package::serializePackage(compiler::buildPackage(g, r, &spec, {g.name, "", compiler::specContentHash(spec)}));
    return package::parsePackage(bytes, "compiled.tpkg");
}

// The quantized reference's outputs for frames [0, frames) of x, one frame at a time; the
// layers in `simdLayers` (package::simdLayerNames) run as the package places them.
inline std::vector<Tensor> referenceOutputs(const Graph& g, const QuantSpec& spec, const Tensor& x, bool noise,
                                            uint64_t firstFrame = 0, const std::set<std::string>& simdLayers = {})
{
    quant::QuantizedExecutorOptions o;
    o.nonIdealities = noise;
    o.simdLayers = simdLayers;
    quant::QuantizedExecutor q(g, spec, o);
    const int64_t per = g.value(g.inputs()[0]).shape[0];
    std::vector<std::vector<Tensor>> frames;
    for (int64_t f = 0; f < x.dim(0) / per; ++f) {
        q.setReadNoiseStream(firstFrame + static_cast<uint64_t>(f));
        frames.push_back(q.run({quant::sliceRows(x, f * per, per)}));
    }
    std::vector<Tensor> out;
    for (size_t o2 = 0; o2 < frames[0].size(); ++o2) {
        std::vector<Tensor> parts;
        for (const auto& f : frames)
            parts.push_back(f[o2]);
        out.push_back(quant::concatRows(parts));
    }
    return out;
}

// Exact equality of float tensors; the message names the first differing element.
inline bool sameBits(const Tensor& a, const Tensor& b, std::string& why)
{
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) {
        why = "shape " + shapeToString(a.shape()) + " vs " + shapeToString(b.shape());
        return false;
    }
    const float* x = a.data<float>();
    const float* y = b.data<float>();
    int64_t diff = 0, first = -1;
    for (int64_t i = 0; i < a.numel(); ++i)
        if (std::memcmp(&x[i], &y[i], sizeof(float)) != 0 && diff++ == 0)
            first = i;
    if (diff == 0)
        return true;
    why = std::to_string(diff) + " of " + std::to_string(a.numel()) + " elements differ, first at " +
          std::to_string(first) + ": " + std::to_string(x[first]) + " vs " + std::to_string(y[first]);
    return false;
}

#define TESSERA_COMPARE_BITS(a, b)                                                                                     \
    do {                                                                                                               \
        std::string why_;                                                                                              \
        QVERIFY2(::tessera::testing::sameBits((a), (b), why_), why_.c_str());                                          \
    } while (0)

} // namespace tessera::testing

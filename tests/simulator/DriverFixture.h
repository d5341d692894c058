#pragma once
// Shared by the host-driver tests: a tiny compiled package (x[1, k] -> Gemm -> Relu -> Gemm)
// for a target preset, written to a file, and fake engines for the driver's engine seam: a
// doubling engine, one that blocks on a gate until the test opens it, one that fails.
#include "compiler/PackageBuilder.h"
#include "core/ShapeInference.h"
#include "core/package/PackageIO.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/QuantizeApi.h"
#include "simulator/Driver.h"

#include "../core/OpTestHarness.h"

#include <condition_variable>
#include <mutex>

namespace tessera::testing {

inline Graph driverTestGraph()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 16});
    g.markGraphInput(x);
    ValueId y = g.addValue("y"), r = g.addValue("r"), z = g.addValue("z");
    g.addNode("fc1", "Gemm", {x, g.addConstant("w1", filled({16, 8}, -1, 1, 3))}, {y});
    g.addNode("relu", "Relu", {y}, {r});
    g.addNode("fc2", "Gemm", {r, g.addConstant("w2", filled({8, 4}, -1, 1, 5))}, {z});
    g.markGraphOutput(z);
    inferShapes(g);
    return g;
}

inline package::Package driverTestPackage(const std::string& target)
{
    const Graph g = driverTestGraph();
    const compiler::CompileResult r = compiler::compileGraph(g, loadTarget(target), nullptr);
    return compiler::buildPackage(g, r, nullptr, {"two_gemms", "xxh3-64:0000000000000000", ""});
}

// tests/data's mnist_lenet compiled for m1076 with its quantization spec (uint8 input).
inline package::Package lenetPackage()
{
    const std::string dir = TESSERA_TEST_DATA;
    const QuantSpec spec = readQuantSpec(dir + "/quant/mnist_lenet_adc32.json");
    quant::ModelGraphs graphs = quant::openModelFor(dir + "/models/mnist/mnist_lenet.onnx", spec);
    const Graph& g = graphs.forBatch(graphs.declaredBatch());
    const compiler::CompileResult r = compiler::compileGraph(g, loadTarget("m1076"), &spec);
    return compiler::buildPackage(g, r, &spec, {"mnist_lenet", graphs.contentHash(), compiler::specContentHash(spec)});
}

// Doubles its first input (float32 values; codes give zeros): one output.
inline driver::Outputs doubled(const std::vector<Tensor>& inputs)
{
    const Tensor& in = inputs.at(0);
    Tensor out(DType::Float32, in.shape());
    if (in.dtype() == DType::Float32)
        for (int64_t i = 0; i < in.numel(); ++i)
            out.mutableData<float>()[i] = 2.0f * in.data<float>()[i];
    return {out};
}

inline driver::EngineFactory doublingEngine()
{
    return [](const package::Package&) {
        return [](const std::vector<Tensor>& in, const sim::RunOptions&) { return doubled(in); };
    };
}

// Frames block in the engine until open() (counts the frames that entered it).
struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool isOpen = false;
    int entered = 0;

    void open()
    {
        std::lock_guard lock(mutex);
        isOpen = true;
        cv.notify_all();
    }
    void pass()
    {
        std::unique_lock lock(mutex);
        ++entered;
        cv.notify_all();
        cv.wait(lock, [&] { return isOpen; });
    }
    void waitEntered(int n)
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return entered >= n; });
    }
};

inline driver::EngineFactory gatedEngine(Gate& gate)
{
    return [&gate](const package::Package&) {
        return [&gate](const std::vector<Tensor>& in, const sim::RunOptions&) {
            gate.pass();
            return doubled(in);
        };
    };
}

inline Tensor driverInput(float value, int64_t frames = 1)
{
    Tensor t(DType::Float32, {frames, 16});
    for (int64_t i = 0; i < t.numel(); ++i)
        t.mutableData<float>()[i] = value + 0.01f * static_cast<float>(i);
    return t;
}

} // namespace tessera::testing

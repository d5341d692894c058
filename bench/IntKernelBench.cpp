// tessera-int-kernel-bench: the integer block-product kernels (core/kernels/IntGemm.h), each
// dispatch path, against the FP32 sgemm (core/ops/Gemm.h) on the same [M, K] x [K, N] shapes
// (mnist_wide at a batch of 16 images, ResNet-50 at batch 1). GOPS = 2 M N K per second.
// Integer paths compute every row block of 1024 rows separately (as the ADC needs) and
// include packing the int32 codes; the weights are packed once outside the loop.
//
//   build/bench/tessera-int-kernel-bench --benchmark_min_time=0.3
#include "core/analog/AnalogModel.h"
#include "core/kernels/IntGemm.h"
#include "core/ops/Gemm.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

using namespace tessera;

namespace {

struct Shape {
    const char* name;
    int64_t m, k, n; // K per group, N over all groups
    int64_t groups = 1;
};

const Shape kShapes[] = {
    {"wide_conv2", 3136, 288, 64},   {"wide_conv3", 784, 576, 128}, {"wide_conv4", 784, 1152, 256},
    {"wide_fc1", 16, 2304, 1024},    {"rn50_conv3x3", 3136, 576, 64}, {"rn50_l4_conv3x3", 49, 4608, 512},
    {"rn50_fc", 1, 2048, 1000},      {"mobile_dw3x3", 3136, 9, 64, 64}, {"grouped_g4", 784, 288, 128, 4},
};

// 2 M N K operations (K per group: a grouped layer's useful work).
void setOps(benchmark::State& state, const Shape& s)
{
    state.counters["GOPS"] =
        benchmark::Counter(2e-9 * static_cast<double>(s.m * s.k * s.n), benchmark::Counter::kIsIterationInvariantRate);
}

void benchInt(benchmark::State& state, Shape s, kernels::IntKernel path, int bits, bool isSigned)
{
    std::mt19937 rng(1);
    std::vector<int8_t> levels(static_cast<size_t>(s.n * s.k));
    for (auto& v : levels)
        v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    const int32_t hi = (1 << (isSigned ? bits - 1 : bits)) - 1;
    std::vector<int32_t> codes(static_cast<size_t>(s.m * s.k * s.groups));
    for (auto& v : codes)
        v = static_cast<int32_t>(rng() % (isSigned ? 2 * hi + 1 : hi + 1)) - (isSigned ? hi : 0);
    const kernels::PackedLevels w(levels.data(), s.n, s.k, s.groups, 1024, path);
    const kernels::InputCodes x{codes.data(), s.m, s.k * s.groups, bits, isSigned};
    std::vector<int64_t> out(static_cast<size_t>(w.blocks() * s.m * s.n));
    for (auto _ : state) {
        kernels::blockProducts(w, x, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    setOps(state, s);
}

void benchSgemm(benchmark::State& state, Shape s)
{
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.n * s.k));
    std::vector<float> c(static_cast<size_t>(s.m * s.n));
    for (auto& v : a)
        v = u(rng);
    for (auto& v : b)
        v = u(rng);
    for (auto _ : state) {
        ops::sgemm(false, true, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.k, 0.0f, c.data(), s.n);
        benchmark::DoNotOptimize(c.data());
    }
    setOps(state, s);
}

// Today's AnalogLayer::accumulate (float GEMM chunks, 12-bit ADC per 1024-row block, bias):
// the code the integer kernel replaces, on 8-bit unsigned codes.
void benchAnalogLayer(benchmark::State& state, Shape s)
{
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> weights(static_cast<size_t>(s.n * s.k));
    for (auto& v : weights)
        v = u(rng);
    analog::AnalogLayerParams p;
    p.name = s.name;
    p.rows = s.k;
    p.cols = s.n;
    p.weightScales = analog::maxAbsWeightScales(weights.data(), s.n, s.k, 8);
    analog::AnalogLayer layer(p, weights.data(), {});
    std::vector<int32_t> codes(static_cast<size_t>(s.m * s.k));
    for (auto& v : codes)
        v = static_cast<int32_t>(rng() % 256);
    for (auto _ : state)
        benchmark::DoNotOptimize(layer.accumulate(codes.data(), s.m));
    setOps(state, s);
}

void registerAll()
{
    using kernels::IntKernel;
    for (const Shape& s : kShapes) {
        if (s.groups == 1) {
            benchmark::RegisterBenchmark((std::string(s.name) + "/sgemm_fp32").c_str(), benchSgemm, s);
            benchmark::RegisterBenchmark((std::string(s.name) + "/analog_layer_today_u8").c_str(), benchAnalogLayer, s);
        }
        for (IntKernel path : {IntKernel::Portable, IntKernel::Avx2, IntKernel::Avx512Vnni}) {
            if (!kernels::intKernelSupported(path))
                continue;
            const std::string name = std::string(s.name) + "/" + kernels::intKernelName(path);
            benchmark::RegisterBenchmark((name + "_u8").c_str(), benchInt, s, path, 8, false);
            benchmark::RegisterBenchmark((name + "_s8").c_str(), benchInt, s, path, 8, true);
            benchmark::RegisterBenchmark((name + "_s16").c_str(), benchInt, s, path, 16, true);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const char* chosen = nullptr;
    try {
        chosen = kernels::intKernelName(kernels::activeIntKernel());
    } catch (const std::exception& e) { // a bad TESSERA_INT_KERNEL
        std::fprintf(stderr, "tessera-int-kernel-bench: %s\n", e.what());
        return 2;
    }
    registerAll();
    benchmark::Initialize(&argc, argv);
    benchmark::AddCustomContext("default int kernel", chosen);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

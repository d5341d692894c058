// `tessera compare`: are two arrays equal within a tolerance? (|a - b| <= atol + rtol * |b|,
// numpy.allclose's rule). The CLI tests use it to check outputs against ONNX Runtime's.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/io/Npy.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <memory>

namespace tessera::cli {

namespace {

struct CompareOptions {
    std::string a, b;
    double atol = 1e-4;
    double rtol = 0.0;
};

int runCompare(const CompareOptions& o)
{
    Tensor a = readNpy(o.a), b = readNpy(o.b);
    if (a.shape() != b.shape()) {
        std::printf("shape mismatch: %s is %s, %s is %s\n", o.a.c_str(), shapeToString(a.shape()).c_str(), o.b.c_str(),
                    shapeToString(b.shape()).c_str());
        return kExitMismatch;
    }
    int64_t over = 0, worstIndex = -1;
    double worst = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        double x = a.valueAsDouble(i), y = b.valueAsDouble(i);
        double diff = std::isnan(x) || std::isnan(y) ? INFINITY : std::abs(x - y); // NaN never matches
        over += !(diff <= o.atol + o.rtol * std::abs(y));
        if (worstIndex < 0 || diff > worst) {
            worst = diff;
            worstIndex = i;
        }
    }
    std::printf("%s vs %s: shape %s, %lld elements, max |a-b| = %.3g%s; %lld over tolerance (atol %g, rtol %g)\n",
                o.a.c_str(), o.b.c_str(), shapeToString(a.shape()).c_str(), static_cast<long long>(a.numel()), worst,
                worstIndex >= 0 ? strCat(" at flat index ", worstIndex).c_str() : "", static_cast<long long>(over),
                o.atol, o.rtol);
    return over == 0 ? kExitOk : kExitMismatch;
}

} // namespace

CommandRun declareCompare(CLI::App& sub)
{
    auto o = std::make_shared<CompareOptions>();
    sub.add_option("a", o->a, "First array (.npy)")->required();
    sub.add_option("b", o->b, "Second array (.npy), the reference for --rtol")->required();
    sub.add_option("--atol", o->atol, "Absolute tolerance (default 1e-4)")->check(numberIn(0));
    sub.add_option("--rtol", o->rtol, "Relative tolerance (default 0)")->check(numberIn(0));
    return [o] { return runCompare(*o); };
}

} // namespace tessera::cli

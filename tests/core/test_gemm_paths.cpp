// The GEMM entry points the conv kernel uses beyond sgemm: pre-packed right-hand side
// (transposed thin convs), B given by rows with a bias/clamp epilogue (implicit im2col),
// each against Eigen's sgemmReference; and thin convs (7x7 at batch 1, computed transposed)
// against a direct loop written here.
#include "OpTestHarness.h"

#include "core/ops/Gemm.h"

#include <random>

using namespace tessera;
using namespace tessera::testing;

namespace {

std::vector<float> randomValues(size_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(count);
    for (float& x : v)
        x = dist(rng);
    return v;
}

void expectClose(const std::vector<float>& got, const std::vector<float>& want, float tolerance, const char* what)
{
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        if (std::abs(got[i] - want[i]) > tolerance)
            QFAIL(qPrintable(QString("%1: element %2 is %3, expected %4").arg(what).arg(i).arg(got[i]).arg(want[i])));
}

struct MatrixRows { // an RhsRows over a plain row-major matrix
    const float* data;
    int64_t ld;
    static void fill(const void* self, int64_t row, int64_t rows, int64_t col, int64_t count, float* dst, int64_t stride)
    {
        const auto* m = static_cast<const MatrixRows*>(self);
        for (int64_t r = 0; r < rows; ++r)
            std::copy(m->data + (row + r) * m->ld + col, m->data + (row + r) * m->ld + col + count, dst + r * stride);
    }
};

} // namespace

class TestGemmPaths : public QObject {
    Q_OBJECT
private slots:
    void packedRhsAndRowsMatchTheReference()
    {
        struct Case { int64_t m, n, k; };
        for (const Case& c : {Case{1, 1, 1}, Case{13, 100, 300}, Case{49, 130, 520}, Case{9, 48, 257}}) {
            const std::vector<float> a = randomValues(size_t(c.m * c.k), 1), b = randomValues(size_t(c.k * c.n), 2);
            const std::vector<float> bias = randomValues(size_t(c.m), 3);
            std::vector<float> want(size_t(c.m * c.n)), got(want.size()), rows(want.size());
            ops::sgemmReference(false, false, c.m, c.n, c.k, 1.0f, a.data(), c.k, b.data(), c.n, 0.0f, want.data(), c.n);
            ops::sgemmPackedRhs(false, c.m, 1.0f, a.data(), c.k, ops::PackedRhs(false, c.k, c.n, b.data(), c.n), 0.0f,
                                got.data(), c.n);
            const float tolerance = 1e-5f * float(c.k + 1);
            expectClose(got, want, tolerance, "packed right-hand side");
            // By rows, with bias and clamp to [-0.5, 0.5] folded into the stores.
            const MatrixRows source{b.data(), c.n};
            const ops::GemmEpilogue epilogue{bias.data(), true, -0.5f, 0.5f};
            ops::sgemmPackedRows(ops::PackedLhs(false, c.m, c.k, a.data(), c.k), c.n, {MatrixRows::fill, &source},
                                 rows.data(), c.n, epilogue);
            for (int64_t i = 0; i < c.m; ++i)
                for (int64_t j = 0; j < c.n; ++j)
                    want[size_t(i * c.n + j)] = std::min(std::max(want[size_t(i * c.n + j)] + bias[size_t(i)], -0.5f), 0.5f);
            expectClose(rows, want, tolerance, "rows + epilogue");
        }
    }

    void thinConvMatchesADirectLoop()
    {
        // [1,16,7,7] -> 128 channels, 3x3, pad 1, bias, fused ReLU: 49 output columns only.
        const int64_t c = 16, m = 128, h = 7;
        const std::vector<float> x = randomValues(size_t(c * h * h), 4), w = randomValues(size_t(m * c * 9), 5);
        const std::vector<float> bias = randomValues(size_t(m), 6);
        auto y = runSingleOp("Conv", {floats(x, {1, c, h, h}), constant(floats(w, {m, c, 3, 3})), constant(floats(bias, {m}))},
                             attrs({{"pads", Ints{1, 1, 1, 1}}, {"fused_activation", std::string("Relu")}}));
        std::vector<float> want(size_t(m * h * h));
        for (int64_t o = 0; o < m; ++o)
            for (int64_t i = 0; i < h; ++i)
                for (int64_t j = 0; j < h; ++j) {
                    double sum = bias[size_t(o)];
                    for (int64_t ci = 0; ci < c; ++ci)
                        for (int64_t di = -1; di <= 1; ++di)
                            for (int64_t dj = -1; dj <= 1; ++dj)
                                if (i + di >= 0 && i + di < h && j + dj >= 0 && j + dj < h)
                                    sum += double(w[size_t(((o * c + ci) * 3 + di + 1) * 3 + dj + 1)]) *
                                           x[size_t((ci * h + i + di) * h + j + dj)];
                    want[size_t((o * h + i) * h + j)] = std::max(float(sum), 0.0f);
                }
        QCOMPARE(y[0].shape(), (Shape{1, m, h, h}));
        expectClose(std::vector<float>(y[0].data<float>(), y[0].data<float>() + y[0].numel()), want, 1e-4f, "thin conv");
    }
};

QTEST_APPLESS_MAIN(TestGemmPaths)
#include "test_gemm_paths.moc"

// Winograd F(4x4, 3x3) (core/ops/Winograd.h): the kernel and the Conv op that chooses it,
// against an independent direct convolution accumulated in double, on odd sizes, pads,
// batches and channel counts that are not multiples of the vector width; and against the
// im2col + GEMM path. The bound is the header's: |y - exact| <= 1e-5 * S + 1e-6, S the sum
// of |w| * |x| over the output's taps (and the bias).
#include "OpTestHarness.h"

#include "core/ops/Winograd.h"

#include <cmath>

using namespace tessera;
using namespace tessera::testing;

namespace {

struct Case {
    int64_t batch, in, out, h, w;
    int64_t pads[4]; // top, left, bottom, right
};

// Conv + bias (+ ReLU) in double: returns y, and in `scale` each output's S.
std::vector<double> directConv(const Case& c, const Tensor& x, const Tensor& w, const Tensor& b, bool relu,
                               std::vector<double>& scale)
{
    const int64_t oh = c.h + c.pads[0] + c.pads[2] - 2, ow = c.w + c.pads[1] + c.pads[3] - 2;
    const float* xd = x.data<float>();
    const float* wd = w.data<float>();
    std::vector<double> y(static_cast<size_t>(c.batch * c.out * oh * ow));
    scale.assign(y.size(), 0.0);
    for (int64_t n = 0; n < c.batch; ++n)
        for (int64_t m = 0; m < c.out; ++m)
            for (int64_t i = 0; i < oh; ++i)
                for (int64_t j = 0; j < ow; ++j) {
                    double sum = b.data<float>()[m], s = std::abs(sum);
                    for (int64_t ch = 0; ch < c.in; ++ch)
                        for (int64_t r = 0; r < 3; ++r)
                            for (int64_t q = 0; q < 3; ++q) {
                                const int64_t yy = i + r - c.pads[0], xx = j + q - c.pads[1];
                                if (yy < 0 || yy >= c.h || xx < 0 || xx >= c.w)
                                    continue;
                                const double p = double(wd[((m * c.in + ch) * 3 + r) * 3 + q]) *
                                                 xd[((n * c.in + ch) * c.h + yy) * c.w + xx];
                                sum += p, s += std::abs(p);
                            }
                    const size_t at = static_cast<size_t>(((n * c.out + m) * oh + i) * ow + j);
                    y[at] = relu ? std::max(0.0, sum) : sum;
                    scale[at] = s;
                }
    return y;
}

// Worst |got - expected| / (1e-5 * S + 1e-6): at most 1 within the bound.
double worstRatio(const float* got, const std::vector<double>& expected, const std::vector<double>& scale)
{
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i)
        worst = std::max(worst, std::abs(got[i] - expected[i]) / (1e-5 * scale[i] + 1e-6));
    return worst;
}

ops::Geometry geometryOf(const Case& c)
{
    ops::Geometry g;
    g.in[1] = c.h, g.in[2] = c.w, g.kernel[1] = g.kernel[2] = 3, g.pad[1] = c.pads[0], g.pad[2] = c.pads[1];
    g.out[1] = c.h + c.pads[0] + c.pads[2] - 2, g.out[2] = c.w + c.pads[1] + c.pads[3] - 2;
    return g;
}

const Case kCases[] = {
    {3, 17, 19, 9, 11, {1, 1, 1, 1}},  // odd sizes, partial tiles both ways, batch > 1
    {2, 16, 33, 5, 5, {0, 0, 0, 0}},   // valid conv: 3x3 output, one partial tile
    {1, 20, 16, 13, 7, {2, 0, 1, 2}},  // asymmetric pads
    {1, 64, 40, 28, 28, {1, 1, 1, 1}}, // ResNet-like plane, several 16-tile lanes
    {2, 65, 130, 9, 11, {1, 1, 1, 1}}, // shapes the Conv op runs through Winograd
    {1, 96, 100, 15, 13, {1, 1, 2, 1}},
    {1, 300, 24, 28, 30, {1, 1, 1, 1}}, // two GEMM depth blocks and two column panels of V
};

} // namespace

class TestWinograd : public QObject {
    Q_OBJECT
private slots:
    void kernelMatchesDoubleDirectConvolution()
    {
        for (const Case& c : kCases) {
            const ops::Geometry g = geometryOf(c);
            Tensor x = filled({c.batch, c.in, c.h, c.w}, -1, 1, 1), w = filled({c.out, c.in, 3, 3}, -1, 1, 2);
            Tensor b = filled({c.out}, -1, 1, 3);
            ops::WinogradWeights packed(w.data<float>(), c.out, c.in);
            std::vector<float> scratch(ops::winogradScratch(g, c.in, c.out, c.batch));
            std::vector<float> y(static_cast<size_t>(c.batch * c.out * g.outSize()));
            ops::GemmEpilogue e;
            e.rowBias = b.data<float>();
            ops::winogradConv(packed, g, x.data<float>(), c.batch, y.data(), e, scratch.data());
            std::vector<double> scale;
            const std::vector<double> expected = directConv(c, x, w, b, false, scale);
            QVERIFY2(worstRatio(y.data(), expected, scale) <= 1.0, qPrintable(QString("case in=%1").arg(c.in)));
        }
    }

    void convOpChoosesItAndFusesRelu()
    {
        // Shapes the rule picks Winograd for (channels, >= 16 tiles per GEMM), with a fused
        // ReLU applied in the inverse transform's store.
        for (const Case& c : {kCases[4], kCases[5]}) {
            QVERIFY(ops::winogradFits(geometryOf(c), c.in, c.out, 1));
            QVERIFY(c.batch * ops::winogradTilesPerImage(geometryOf(c)) >= ops::kWinogradMinTiles);
            Tensor x = filled({c.batch, c.in, c.h, c.w}, -1, 1, 4), w = filled({c.out, c.in, 3, 3}, -1, 1, 5);
            Tensor b = filled({c.out}, -1, 1, 6);
            auto y = runSingleOp("Conv", {runtime(x), constant(w), constant(b)},
                                 attrs({{"pads", Ints{c.pads[0], c.pads[1], c.pads[2], c.pads[3]}},
                                        {"fused_activation", std::string("Relu")}}));
            std::vector<double> scale;
            const std::vector<double> expected = directConv(c, x, w, b, true, scale);
            QCOMPARE(static_cast<size_t>(y[0].numel()), expected.size());
            QVERIFY(worstRatio(y[0].data<float>(), expected, scale) <= 1.0);
        }
    }

    void agreesWithTheIm2colGemmPath()
    {
        // The direct path's building blocks (im2col + GEMM) on the same data: both within the
        // rounding bound of each other.
        const Case c = kCases[0];
        const ops::Geometry g = geometryOf(c);
        Tensor x = filled({c.batch, c.in, c.h, c.w}, -2, 2, 7), w = filled({c.out, c.in, 3, 3}, -1, 1, 8);
        ops::WinogradWeights packed(w.data<float>(), c.out, c.in);
        std::vector<float> scratch(ops::winogradScratch(g, c.in, c.out, c.batch));
        std::vector<float> y(static_cast<size_t>(c.batch * c.out * g.outSize()));
        ops::winogradConv(packed, g, x.data<float>(), c.batch, y.data(), ops::GemmEpilogue{}, scratch.data());
        std::vector<float> col(static_cast<size_t>(c.in * 9 * g.outSize())), direct(y.size());
        for (int64_t n = 0; n < c.batch; ++n) {
            ops::im2col(g, x.data<float>() + n * c.in * g.inSize(), c.in, col.data());
            ops::sgemm(false, false, c.out, g.outSize(), c.in * 9, 1.0f, w.data<float>(), c.in * 9, col.data(),
                       g.outSize(), 0.0f, direct.data() + n * c.out * g.outSize(), g.outSize());
        }
        float worst = 0;
        for (size_t i = 0; i < y.size(); ++i)
            worst = std::max(worst, std::abs(y[i] - direct[i]));
        QVERIFY2(worst < 1e-5f * c.in * 9 * 2, qPrintable(QString::number(worst))); // S <= C * 9 * 2
    }

    void ruleLeavesOtherWindowsToTheDirectPath()
    {
        ops::Geometry g = geometryOf(kCases[0]);
        QVERIFY(ops::winogradFits(g, 128, 128, 1));
        QVERIFY(!ops::winogradFits(g, 16, 1024, 1)); // too few input channels
        QVERIFY(ops::winogradFits(g, 32, 64, 1));
        QVERIFY(!ops::winogradFits(g, 32, 32, 1));   // too few channel pairs
        QVERIFY(!ops::winogradFits(g, 128, 128, 2)); // groups
        g.stride[2] = 2;
        QVERIFY(!ops::winogradFits(g, 128, 128, 1));
        g = geometryOf(kCases[0]);
        g.dilation[1] = 2;
        QVERIFY(!ops::winogradFits(g, 128, 128, 1));
        g = geometryOf(kCases[0]);
        g.kernel[2] = 5;
        QVERIFY(!ops::winogradFits(g, 128, 128, 1));
    }
};

QTEST_APPLESS_MAIN(TestWinograd)
#include "test_winograd.moc"

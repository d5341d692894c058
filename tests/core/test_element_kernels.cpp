// The simulator's vectorized ADC and epilogue loops equal core's scalar definitions
// (adcConvert, epilogue: core/analog/AnalogModel.h) on random sums, exact ties, both signs,
// every shift and values beyond the 64-bit fast path; the same for fake quantization
// (ties, signed zeros, infinities, NaN).
#include "core/analog/AnalogModel.h"
#include "core/kernels/ElementKernels.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>

using namespace tessera;

class TestElementKernels : public QObject {
    Q_OBJECT
private slots:
    void adcEqualsAdcConvert()
    {
        std::mt19937_64 rng(7);
        for (int shift = 0; shift <= 62; ++shift) {
            std::vector<int64_t> sums(37), acc(37, 5), want(37, 5);
            for (size_t i = 0; i < sums.size(); ++i) {
                const int64_t base = static_cast<int64_t>(rng() % (int64_t(1) << 40)) - (int64_t(1) << 39);
                const int64_t tie = shift > 0 ? (int64_t(1) << (shift - 1)) * (2 * static_cast<int64_t>(i % 7) - 7) : 0;
                sums[i] = i % 3 == 0 ? tie : base; // exact ties x.5 of both parities and signs
            }
            const int64_t adcMax = 2047;
            tessera::kernels::adcAccumulate(sums.data(), 1, 37, shift, adcMax, acc.data(), 37);
            for (size_t i = 0; i < sums.size(); ++i)
                want[i] += analog::adcConvert(sums[i], shift, adcMax);
            QCOMPARE(acc, want);
            std::vector<int64_t> stored(acc.size(), -7); // store mode: as if acc were 0
            tessera::kernels::adcAccumulate(sums.data(), 1, 37, shift, adcMax, stored.data(), 37, true);
            for (size_t i = 0; i < sums.size(); ++i)
                QCOMPARE(stored[i], analog::adcConvert(sums[i], shift, adcMax));
        }
    }

    void epilogueEqualsEpilogue()
    {
        std::mt19937_64 rng(9);
        const int64_t cols = 19, rows = 40;
        std::vector<analog::Requantizer> rq;
        std::vector<int64_t> bias;
        for (int64_t c = 0; c < cols; ++c) {
            rq.push_back(analog::Requantizer::fromReal(std::ldexp(1.0 + 0.01 * c, -static_cast<int>(c % 20))));
            bias.push_back(static_cast<int64_t>(rng() % 2001) - 1000);
        }
        std::vector<int64_t> acc(static_cast<size_t>(rows * cols));
        for (size_t i = 0; i < acc.size(); ++i) // small values, ties, and some beyond 2^32
            acc[i] = i % 11 == 0 ? (int64_t(1) << 33) + static_cast<int64_t>(i) : static_cast<int64_t>(rng() % 200001) - 100000;
        const analog::CodeRange out = analog::codeRange(8, true);
        std::vector<int32_t> got(acc.size()), want(acc.size());
        tessera::kernels::epilogueRows(acc.data(), rows, cols, bias.data(), rq.data(), out, got.data());
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t c = 0; c < cols; ++c)
                want[i * cols + c] = analog::epilogue(acc[i * cols + c] + bias[c], rq[c], out);
        QCOMPARE(got, want);
    }

    void fakeQuantizeEqualsCore()
    {
        std::mt19937_64 rng(3);
        std::vector<float> x;
        for (int i = 0; i < 500; ++i)
            x.push_back(std::ldexp(static_cast<float>(static_cast<int64_t>(rng() % 20001) - 10000) / 100.0f, static_cast<int>(rng() % 9) - 4));
        for (float v : {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.0f, -0.0f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 127.5f, -127.5f})
            x.push_back(v);
        struct Coding {
            analog::CodeRange range;
            int64_t zeroPoint; // offset codes: unsigned with a zero point
        };
        for (const Coding c : {Coding{analog::codeRange(8, true), 0}, Coding{analog::codeRange(8, false), 0},
                               Coding{analog::codeRange(4, true), 0}, Coding{analog::codeRange(8, false), 15}})
            for (double scale : {1.0, 0.5, 0.0390625, 0.1}) {
                std::vector<float> got = x, want = x;
                tessera::kernels::fakeQuantizeRow(got.data(), static_cast<int64_t>(got.size()), scale, c.range, c.zeroPoint);
                analog::fakeQuantize(want.data(), static_cast<int64_t>(want.size()), scale, c.range, c.zeroPoint);
                QVERIFY(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
                std::vector<int32_t> codes(x.size());
                tessera::kernels::quantizeRow(x.data(), static_cast<int64_t>(x.size()), scale, c.range, c.zeroPoint, codes.data());
                for (size_t i = 0; i < x.size(); ++i)
                    QCOMPARE(int64_t{codes[i]}, analog::quantizeValue(x[i], scale, c.range, c.zeroPoint));
                const int32_t offset = c.range.lo < 0 ? -static_cast<int32_t>(c.range.lo) + 1 : 0; // 2^(bits-1)
                std::vector<uint8_t> bytes(x.size());
                tessera::kernels::quantizeBytes(x.data(), static_cast<int64_t>(x.size()), scale, c.range, c.zeroPoint, offset,
                                            bytes.data());
                for (size_t i = 0; i < x.size(); ++i)
                    QCOMPARE(int64_t{bytes[i]}, analog::quantizeValue(x[i], scale, c.range, c.zeroPoint) + offset);
            }
    }
};

QTEST_APPLESS_MAIN(TestElementKernels)
#include "test_element_kernels.moc"

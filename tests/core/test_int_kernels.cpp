// The integer block-product kernels (core/kernels/IntGemm.h): every dispatch path against a
// naive int64 triple loop written here and against the portable path, on random and extreme
// codes, odd shapes, row blocks and groups. Paths the CPU cannot run are skipped by name.
#include "core/Error.h"
#include "core/analog/Numerics.h"
#include "core/kernels/IntGemm.h"

#include <QtTest>

#include <random>
#include <thread>
#include <vector>

using namespace tessera;
using namespace tessera::kernels;

namespace {

struct Case {
    int64_t m = 1, k = 1, n = 1, groups = 1, rpb = 1024;
    int bits = 8;
    bool isSigned = false;
    int64_t xPad = 0; // extra elements per input vector (stride > groups * K)
};

struct Operands {
    std::vector<int8_t> levels;  // [N, K]
    std::vector<int32_t> codes;  // [M, stride]
    InputCodes x;
};

Operands randomOperands(const Case& c, uint32_t seed, bool extreme = false)
{
    std::mt19937 rng(seed);
    Operands op;
    const analog::CodeRange r = analog::codeRange(c.bits, c.isSigned);
    std::uniform_int_distribution<int> lv(-128, 127);
    std::uniform_int_distribution<int64_t> cv(r.lo, r.hi);
    op.levels.resize(static_cast<size_t>(c.n * c.k));
    for (auto& v : op.levels)
        v = static_cast<int8_t>(extreme ? (rng() & 1 ? 127 : -127) : lv(rng));
    const int64_t stride = c.groups * c.k + c.xPad;
    op.codes.resize(static_cast<size_t>(c.m * stride));
    for (auto& v : op.codes)
        v = static_cast<int32_t>(extreme ? (rng() & 3 ? r.hi : r.lo) : cv(rng));
    op.x = {op.codes.data(), c.m, stride, c.bits, c.isSigned};
    return op;
}

// Independent reference: sum over rows [r0, r1) of x * w in int64, [M, N].
std::vector<int64_t> naive(const Case& c, const Operands& op, int64_t r0, int64_t r1)
{
    const int64_t ng = c.n / c.groups;
    std::vector<int64_t> p(static_cast<size_t>(c.m * c.n), 0);
    for (int64_t i = 0; i < c.m; ++i)
        for (int64_t col = 0; col < c.n; ++col) {
            int64_t s = 0;
            for (int64_t r = r0; r < r1; ++r)
                s += int64_t{op.codes[i * op.x.stride + (col / ng) * c.k + r]} * op.levels[col * c.k + r];
            p[i * c.n + col] = s;
        }
    return p;
}

void requirePath(IntKernel path)
{
    if (!intKernelSupported(path))
        QSKIP(qPrintable(QString("path '%1' is not supported by this CPU or build").arg(intKernelName(path))));
}

// Every block of `path` equals the naive sums, and fullProduct equals the sum over all rows.
void checkCase(IntKernel path, const Case& c, uint32_t seed, bool extreme = false)
{
    const Operands op = randomOperands(c, seed, extreme);
    const PackedLevels w(op.levels.data(), c.n, c.k, c.groups, c.rpb, path);
    QCOMPARE(w.kernel(), path);
    std::vector<int64_t> all(static_cast<size_t>(w.blocks() * c.m * c.n), -1);
    blockProducts(w, op.x, all.data());
    for (int64_t b = 0; b < w.blocks(); ++b) {
        const std::vector<int64_t> ref = naive(c, op, b * c.rpb, std::min(c.k, (b + 1) * c.rpb));
        const std::vector<int64_t> got(all.begin() + b * c.m * c.n, all.begin() + (b + 1) * c.m * c.n);
        QVERIFY2(got == ref, qPrintable(QString("%1: block %2 of M=%3 K=%4 N=%5 G=%6 rpb=%7 bits=%8 %9")
                                            .arg(intKernelName(path)).arg(b).arg(c.m).arg(c.k).arg(c.n)
                                            .arg(c.groups).arg(c.rpb).arg(c.bits).arg(c.isSigned ? "s" : "u")));
    }
    std::vector<int64_t> full(static_cast<size_t>(c.m * c.n), -1);
    fullProduct(w, op.x, full.data(), c.n);
    QVERIFY2(full == naive(c, op, 0, c.k), intKernelName(path));
}

void addPathRows()
{
    QTest::addColumn<int>("path");
    for (IntKernel k : {IntKernel::Portable, IntKernel::Avx2, IntKernel::Avx512Vnni})
        QTest::newRow(intKernelName(k)) << static_cast<int>(k);
}

IntKernel pathArg()
{
    QFETCH(int, path);
    return static_cast<IntKernel>(path);
}

} // namespace

class TestIntKernels : public QObject {
    Q_OBJECT
private slots:
    void oddShapesMatchNaive_data() { addPathRows(); }
    void oddShapesMatchNaive()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        const int64_t shapes[][3] = {{1, 1, 1}, {3, 3, 3}, {17, 17, 17}, {1000, 17, 3}, {3, 1000, 17}, {17, 3, 1000},
                                     {7, 5, 33}, {13, 6, 64}, {2, 10, 16}};
        uint32_t seed = 1;
        for (const auto& s : shapes)
            checkCase(path, {s[0], s[1], s[2]}, seed++);
    }

    void rowBlocksOfVariousSizes_data() { addPathRows(); }
    void rowBlocksOfVariousSizes()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        uint32_t seed = 100;
        for (int64_t rpb : {1, 3, 4, 5, 64, 257, 1000})
            checkCase(path, {9, 1000, 37, 1, rpb}, seed++);
    }

    void inputWidthsSignedAndUnsigned_data() { addPathRows(); }
    void inputWidthsSignedAndUnsigned()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        uint32_t seed = 200;
        for (int bits : {2, 7, 8, 9, 12, 16})
            for (bool isSigned : {false, true})
                checkCase(path, {11, 301, 21, 1, 128, bits, isSigned, 3}, seed++);
    }

    void groupsReadTheirOwnColumns_data() { addPathRows(); }
    void groupsReadTheirOwnColumns()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        checkCase(path, {10, 27, 15, 3, 10, 8, true, 5}, 300);   // 3 groups of 5 columns
        checkCase(path, {5, 9, 4, 4, 1024, 8, false}, 301);     // depthwise: 1 column per group
        checkCase(path, {6, 130, 34, 2, 64, 12, false, 1}, 302); // 2 groups of 17
    }

    void extremesStayExact_data() { addPathRows(); }
    void extremesStayExact()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        // All codes at the range ends, levels +-127: sums of 70,000 rows reach
        // 255 x 127 x 70,000 = 2.3e9 (8 bits) and 65535 x 127 x 70,000 = 5.8e11 (16 bits),
        // beyond int32 and beyond one int32 kernel chunk.
        for (int bits : {8, 16})
            for (bool isSigned : {false, true}) {
                checkCase(path, {2, 70000, 17, 1, 70000, bits, isSigned}, 400 + bits, true);
                checkCase(path, {3, 2100, 5, 1, 1024, bits, isSigned}, 500 + bits, true);
            }
        Case c{1, 70000, 1, 1, 70000};
        Operands op = randomOperands(c, 7);
        std::fill(op.codes.begin(), op.codes.end(), 255);
        std::fill(op.levels.begin(), op.levels.end(), int8_t{-128});
        const PackedLevels w(op.levels.data(), 1, c.k, 1, c.rpb, path);
        int64_t p = 0;
        fullProduct(w, op.x, &p, 1);
        QCOMPARE(p, int64_t{-255 * 128} * 70000);
    }

    void pathsAgreeWithPortable_data() { addPathRows(); }
    void pathsAgreeWithPortable()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        const Case c{50, 576, 64, 1, 200, 8, false};
        const Operands op = randomOperands(c, 900);
        const PackedLevels fast(op.levels.data(), c.n, c.k, 1, c.rpb, path);
        const PackedLevels portable(op.levels.data(), c.n, c.k, 1, c.rpb, IntKernel::Portable);
        std::vector<int64_t> a(static_cast<size_t>(3 * c.m * c.n)), b(a.size());
        blockProducts(fast, op.x, a.data());
        blockProducts(portable, op.x, b.data());
        QVERIFY(a == b);
        // One block into a strided output leaves the other columns alone.
        std::vector<int64_t> strided(static_cast<size_t>(c.m * (c.n + 3)), 42);
        blockProduct(fast, op.x, 1, strided.data(), c.n + 3);
        for (int64_t i = 0; i < c.m; ++i) {
            QCOMPARE(strided[i * (c.n + 3) + c.n], int64_t{42});
            QVERIFY(std::equal(b.begin() + (c.m + i) * c.n, b.begin() + (c.m + i + 1) * c.n,
                               strided.begin() + i * (c.n + 3)));
        }
    }

    void threadsShareOnePackedLayer_data() { addPathRows(); }
    void threadsShareOnePackedLayer()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        const Case c{600, 700, 40, 2, 256, 12, true};
        const Operands op = randomOperands(c, 77);
        const PackedLevels w(op.levels.data(), c.n, c.k, c.groups, c.rpb, path);
        std::vector<int64_t> split(static_cast<size_t>(c.m * c.n));
        auto half = [&](int64_t i0, int64_t count) {
            InputCodes part = op.x;
            part.data += i0 * part.stride;
            part.count = count;
            for (int rep = 0; rep < 5; ++rep)
                fullProduct(w, part, split.data() + i0 * c.n, c.n);
        };
        std::thread first(half, 0, 250);
        std::thread second(half, 250, c.m - 250);
        first.join();
        second.join();
        QVERIFY(split == naive(c, op, 0, c.k));
    }

    // Runs (InputCodes::runLength/runStride): vectors [v0, v0 + 5) of each of 3 "frames" of
    // 11 vectors give the naive sums of exactly those vectors (a replica's share), for plain
    // and depthwise levels.
    void runsAddressTheirVectors_data() { addPathRows(); }
    void runsAddressTheirVectors()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        for (const Case& c : {Case{33, 40, 24, 1, 16, 8, true}, Case{33, 9, 6, 6, 1024, 8, false}}) {
            const Operands op = randomOperands(c, 91);
            const PackedLevels w(op.levels.data(), c.n, c.k, c.groups, c.rpb, path);
            const int64_t stride = op.x.stride, v0 = 4, count = 5, frames = 3, perFrame = 11;
            InputCodes runs = op.x;
            runs.data = op.codes.data() + v0 * stride;
            runs.count = frames * count;
            runs.runLength = count;
            runs.runStride = perFrame * stride;
            std::vector<int64_t> got(static_cast<size_t>(runs.count * c.n), -1);
            fullProduct(w, runs, got.data(), c.n);
            const std::vector<int64_t> all = naive(c, op, 0, c.k);
            for (int64_t f = 0; f < frames; ++f)
                for (int64_t i = 0; i < count; ++i)
                    for (int64_t n = 0; n < c.n; ++n)
                        QCOMPARE(got[(f * count + i) * c.n + n], all[(f * perFrame + v0 + i) * c.n + n]);
        }
    }

    // Byte inputs (code + offset, 3 readable tail bytes of garbage) give every block's naive
    // sums, with runs, groups, depthwise and signed codes.
    void bytesEqualNaiveBlocks_data() { addPathRows(); }
    void bytesEqualNaiveBlocks()
    {
        const IntKernel path = pathArg();
        requirePath(path);
        for (const Case& c : {Case{33, 40, 24, 2, 13, 8, true, 1}, Case{33, 9, 6, 6, 4, 7, false}, Case{33, 70, 17, 1, 64, 5, true}}) {
            const Operands op = randomOperands(c, 17);
            const PackedLevels w(op.levels.data(), c.n, c.k, c.groups, c.rpb, path);
            std::vector<uint8_t> bytes(op.codes.size() + kInputBytesTail, 0xA5);
            for (size_t e = 0; e < op.codes.size(); ++e)
                bytes[e] = static_cast<uint8_t>(op.codes[e] + inputByteOffset(c.bits, c.isSigned));
            const int64_t count = 5, runs = 3, perRun = 11; // vectors [v0, v0 + 5) of 3 runs of 11
            InputBytes x{bytes.data() + 4 * op.x.stride, runs * count, op.x.stride, c.bits, c.isSigned, count, perRun * op.x.stride};
            for (int64_t b = 0; b < w.blocks(); ++b) {
                std::vector<int64_t> got(static_cast<size_t>(x.count * c.n), -1);
                blockProduct(w, x, b, got.data(), c.n);
                const std::vector<int64_t> ref = naive(c, op, b * c.rpb, std::min(c.k, (b + 1) * c.rpb));
                for (int64_t i = 0; i < x.count; ++i)
                    for (int64_t n = 0; n < c.n; ++n)
                        QCOMPARE(got[i * c.n + n], ref[((i / count) * perRun + 4 + i % count) * c.n + n]);
            }
        }
    }

    void codesOutsideTheRangeAreRejected()
    {
        const Case c{2, 8, 4, 1, 8, 4, true};
        Operands op = randomOperands(c, 5);
        const PackedLevels w(op.levels.data(), c.n, c.k, 1, c.rpb, IntKernel::Portable);
        std::vector<int64_t> out(8);
        op.codes[3] = 8; // beyond 4-bit signed codes
        try {
            fullProduct(w, op.x, out.data(), c.n);
            QFAIL("no error for an out-of-range code");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("4 bits signed [-8, 7]"), e.what());
        }
    }

    void dispatchOverrideNamesThePath()
    {
        const IntKernel before = activeIntKernel();
        QVERIFY(before != IntKernel::Auto && intKernelSupported(before));
        setIntKernel(IntKernel::Portable);
        QCOMPARE(QString(intKernelName(activeIntKernel())), QString("portable"));
        const std::vector<int8_t> levels(4, 1);
        QCOMPARE(PackedLevels(levels.data(), 2, 2, 1, 2).kernel(), IntKernel::Portable);
        setIntKernel(IntKernel::Auto);
        QCOMPARE(activeIntKernel(), before);
        if (!intKernelSupported(IntKernel::Avx512Vnni))
            QVERIFY_THROWS_EXCEPTION(Error, setIntKernel(IntKernel::Avx512Vnni));
    }
};

QTEST_APPLESS_MAIN(TestIntKernels)
#include "test_int_kernels.moc"

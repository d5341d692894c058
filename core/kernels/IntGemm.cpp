#include "core/kernels/IntGemm.h"

#include "core/Error.h"
#include "core/kernels/CpuFeatures.h"
#include "core/kernels/IntGemmKernels.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace tessera::kernels {

using detail::KernelArgs;

namespace {

std::atomic<int> g_override{static_cast<int>(IntKernel::Auto)};

IntKernel bestSupported()
{
    if (intKernelSupported(IntKernel::Avx512Vnni))
        return IntKernel::Avx512Vnni;
    if (intKernelSupported(IntKernel::Avx2))
        return IntKernel::Avx2;
    return IntKernel::Portable;
}

IntKernel defaultKernel()
{
    static const IntKernel chosen = [] {
        const char* env = std::getenv("TESSERA_INT_KERNEL");
        if (env == nullptr || *env == '\0' || std::strcmp(env, "auto") == 0)
            return bestSupported();
        for (IntKernel k : {IntKernel::Portable, IntKernel::Avx2, IntKernel::Avx512Vnni})
            if (std::strcmp(env, intKernelName(k)) == 0) {
                if (!intKernelSupported(k))
                    fail("TESSERA_INT_KERNEL=", env, ": this CPU or build cannot run that path");
                return k;
            }
        fail("TESSERA_INT_KERNEL=", env, ": unknown path (portable, avx2, avx512vnni or auto)");
    }();
    return chosen;
}

using KernelFn = void (*)(const KernelArgs&);

// Columns per panel, bytes per quad of one panel, and the micro-kernel of each path.
struct PathLayout {
    int64_t width;
    int64_t quadBytes;
    KernelFn fn;
};

PathLayout pathLayout(IntKernel kernel)
{
    switch (kernel) {
    case IntKernel::Avx512Vnni:
        return {detail::kPanelAvx512, 64, detail::gemmAvx512Vnni};
    case IntKernel::Avx2:
        return {detail::kPanelAvx2, 64, detail::gemmAvx2};
    default:
        return {detail::kPanelPortable, 4, detail::gemmPortable};
    }
}

// Stores level v of row t (0..3) of a quad, column c of its panel (layouts: IntGemmKernels.h).
void placeLevel(IntKernel kernel, uint8_t* quad, int64_t c, int64_t t, int8_t v)
{
    if (kernel == IntKernel::Avx2) {
        const int16_t wide = v;
        std::memcpy(quad + 2 * ((t & 1) * 16 + c * 2 + (t >> 1)), &wide, 2);
    } else {
        quad[c * 4 + t] = static_cast<uint8_t>(v);
    }
}

int64_t roundUp4(int64_t v) { return (v + 3) / 4 * 4; }

// How codes become unsigned bytes: u = x + offset in [0, 2^bits), split into `planes` bytes.
// offset = 2^(bits-1) for signed codes (then u in [1, 2^bits - 1] for symmetric codes).
struct Coding {
    int64_t offset = 0;
    int planes = 1;
};

template <class T>
Coding coding(const InputRows<T>& x)
{
    if (x.bits < 2 || x.bits > 16)
        fail("integer kernel: input bits ", x.bits, " out of range [2, 16]");
    return {inputByteOffset(x.bits, x.isSigned), x.bits <= 8 ? 1 : 2};
}

// Padded row where block b starts (b == blocks: the end).
int64_t padStart(const PackedLevels& w, int64_t b) { return b < w.blocks() ? b * w.paddedBlockRows() : w.paddedRows(); }

// One block of one vector into its byte planes; returns the OR of all u (range check).
// Written so the compiler vectorizes it for plain x86-64 (SSE2).
template <int Planes>
uint32_t packRow(const int32_t* src, int64_t kb, int64_t kbPad, uint32_t offset, uint8_t* p0, uint8_t* p1)
{
    uint32_t seen = 0;
    for (int64_t t = 0; t < kb; ++t) {
        const uint32_t u = static_cast<uint32_t>(src[t]) + offset;
        seen |= u;
        p0[t] = static_cast<uint8_t>(u);
        if constexpr (Planes == 2)
            p1[t] = static_cast<uint8_t>(u >> 8);
    }
    for (int64_t t = kb; t < kbPad; ++t) { // at most 3 bytes: no memset call per row
        p0[t] = 0;
        if constexpr (Planes == 2)
            p1[t] = 0;
    }
    return seen;
}

[[noreturn]] void failCodeRange(const InputCodes& x, const Coding& c)
{
    fail("integer kernel: an input code does not fit in ", x.bits, " bits ", x.isSigned ? "signed [" : "unsigned [",
         -c.offset, ", ", (int64_t{1} << x.bits) - 1 - c.offset, "]");
}

// Packs vectors [i0, i0 + mc) of group g, blocks [b0, b1) into byte planes (plane p at
// buf + p * mc * lda); returns lda. Throws for a code that does not fit in x.bits bits.
int64_t packInputs(const PackedLevels& w, const InputCodes& x, const Coding& c, int64_t g, int64_t i0, int64_t mc,
                   int64_t b0, int64_t b1, std::vector<uint8_t>& buf)
{
    const int64_t k = w.rows(), rpb = w.rowsPerBlock();
    const int64_t lda = padStart(w, b1) - padStart(w, b0);
    buf.resize(static_cast<size_t>(c.planes * mc * lda));
    const auto offset = static_cast<uint32_t>(c.offset);
    uint32_t seen = 0;
    for (int64_t i = 0; i < mc; ++i)
        for (int64_t b = b0; b < b1; ++b) {
            const int64_t kb = std::min(rpb, k - b * rpb);
            const int32_t* src = x.vector(i0 + i) + g * k + b * rpb;
            uint8_t* p0 = buf.data() + i * lda + padStart(w, b) - padStart(w, b0);
            const int64_t kbPad = roundUp4(kb);
            seen |= c.planes == 1 ? packRow<1>(src, kb, kbPad, offset, p0, nullptr)
                                  : packRow<2>(src, kb, kbPad, offset, p0, p0 + mc * lda);
        }
    if ((seen >> x.bits) != 0)
        failCodeRange(x, c);
    return lda;
}

// out[i, g*ng + j] -= offset * (sum of column j's levels over blocks [b0, b1)); row by row,
// so the output is walked in memory order.
void subtractOffset(const PackedLevels& w, int64_t count, int64_t offset, int64_t b0, int64_t b1, int64_t* out,
                    int64_t ldo)
{
    const int64_t n = w.cols(), ng = n / w.groups();
    std::vector<int64_t> corr(static_cast<size_t>(n), 0);
    for (int64_t col = 0; col < n; ++col) {
        for (int64_t b = b0; b < b1; ++b)
            corr[col] += w.colSum(col / ng, b, col % ng);
        corr[col] *= offset;
    }
    for (int64_t i = 0; i < count; ++i)
        for (int64_t col = 0; col < n; ++col)
            out[i * ldo + col] -= corr[col];
}

template <class T>
void checkInputs(const PackedLevels& w, const InputRows<T>& x, int64_t ldo)
{
    if (x.count < 0 || x.stride < w.groups() * w.rows() || (x.count > 0 && x.data == nullptr) || ldo < w.cols())
        fail("integer kernel: bad operands (count ", x.count, ", stride ", x.stride, ", ldo ", ldo, ") for ",
             w.groups(), " groups of ", w.rows(), " rows");
}

// Depthwise layers: out[i, g] = sum over rows [r0, r1) of block range [b0, b1) of
// x[i, g*K + r] * w[g, r]. The levels [G, K] lie like one input vector, so the products of
// a whole vector are one vectorizable loop (|x w| <= 2^16 x 128 fits int32), then each
// group's run is summed in int64 (exact for any length).
void depthwiseProduct(const PackedLevels& w, const InputCodes& x, const Coding& c, int64_t b0, int64_t b1,
                      int64_t* out, int64_t ldo)
{
    const int64_t k = w.rows(), r0 = b0 * w.rowsPerBlock(), r1 = std::min(k, b1 * w.rowsPerBlock());
    const int64_t len = w.groups() * k;
    const auto offset = static_cast<uint32_t>(c.offset);
    thread_local std::vector<int32_t> prod;
    prod.resize(static_cast<size_t>(len));
    uint32_t seen = 0;
    for (int64_t i = 0; i < x.count; ++i) {
        const int32_t* xi = x.vector(i);
        const int8_t* lv = w.plainLevels();
        for (int64_t t = 0; t < len; ++t) {
            seen |= static_cast<uint32_t>(xi[t]) + offset;
            prod[t] = xi[t] * lv[t];
        }
        for (int64_t g = 0; g < w.groups(); ++g) {
            int64_t sum = 0;
            for (int64_t r = r0; r < r1; ++r)
                sum += prod[g * k + r];
            out[i * ldo + g] = sum;
        }
    }
    if ((seen >> x.bits) != 0)
        failCodeRange(x, c);
}

// The path's micro-kernel over one input plane (mc vectors lda bytes apart, starting at
// quad quad0 of group g's levels, nq quads), in chunks of kMaxChunkRows rows; the first
// chunk stores when `store` is set, the others add.
void runPlane(const PackedLevels& w, const PathLayout& path, const uint8_t* a, int64_t lda, int64_t mc, int64_t g,
              int64_t quad0, int64_t nq, int shift, bool store, int64_t* out, int64_t ldo)
{
    constexpr int64_t kChunkQuads = detail::kMaxChunkRows / 4;
    for (int64_t q = 0; q < nq; q += kChunkQuads) {
        KernelArgs args;
        args.a = a + q * 4;
        args.lda = lda;
        args.m = mc;
        args.w = w.group(g) + (quad0 + q) * path.quadBytes;
        args.panelStride = w.panelStride();
        args.nq = std::min(kChunkQuads, nq - q);
        args.ng = w.cols() / w.groups();
        args.out = out;
        args.ldo = ldo;
        args.shift = shift;
        args.store = store && q == 0;
        path.fn(args);
    }
}

// Products over blocks [b0, b1) (one sum), overwriting out[M, N].
void rangeProduct(const PackedLevels& w, const InputCodes& x, int64_t b0, int64_t b1, int64_t* out, int64_t ldo)
{
    checkInputs(w, x, ldo);
    const Coding c = coding(x);
    if (w.depthwise())
        return depthwiseProduct(w, x, c, b0, b1, out, ldo);
    const PathLayout path = pathLayout(w.kernel());
    const int64_t ng = w.cols() / w.groups();
    constexpr int64_t kVectorsPerPack = 240; // packed inputs stay in L2 while the kernel runs
    thread_local std::vector<uint8_t> buf;
    for (int64_t g = 0; g < w.groups(); ++g)
        for (int64_t i0 = 0; i0 < x.count; i0 += kVectorsPerPack) {
            const int64_t mc = std::min(kVectorsPerPack, x.count - i0);
            const int64_t lda = packInputs(w, x, c, g, i0, mc, b0, b1, buf);
            for (int p = 0; p < c.planes; ++p)
                runPlane(w, path, buf.data() + p * mc * lda, lda, mc, g, padStart(w, b0) / 4, lda / 4, 8 * p, p == 0,
                         out + i0 * ldo + g * ng, ldo);
        }
    if (c.offset != 0)
        subtractOffset(w, x.count, c.offset, b0, b1, out, ldo);
}

// Depthwise block b on bytes: out[i, g] = sum over the block's rows of (byte - offset) * w[g, r].
void depthwiseBytes(const PackedLevels& w, const InputBytes& x, int64_t offset, int64_t b, int64_t* out, int64_t ldo)
{
    const int64_t k = w.rows(), r0 = b * w.rowsPerBlock(), r1 = std::min(k, r0 + w.rowsPerBlock());
    for (int64_t i = 0; i < x.count; ++i) {
        const uint8_t* xi = x.vector(i);
        for (int64_t g = 0; g < w.groups(); ++g) {
            int64_t sum = 0;
            for (int64_t r = r0; r < r1; ++r)
                sum += (int64_t{xi[g * k + r]} - offset) * w.plainLevels()[g * k + r];
            out[i * ldo + g] = sum;
        }
    }
}

} // namespace

const char* intKernelName(IntKernel kernel)
{
    switch (kernel) {
    case IntKernel::Portable:
        return "portable";
    case IntKernel::Avx2:
        return "avx2";
    case IntKernel::Avx512Vnni:
        return "avx512vnni";
    default:
        return "auto";
    }
}

bool intKernelSupported(IntKernel kernel)
{
    const CpuFeatures& cpu = cpuFeatures();
    if (kernel == IntKernel::Avx2)
        return cpu.avx2 && detail::avx2Compiled(); // CPU first: never enter an ISA file without it
    if (kernel == IntKernel::Avx512Vnni)
        return cpu.avx512f && cpu.avx512bw && cpu.avx512vnni && detail::avx512VnniCompiled();
    return true;
}

IntKernel activeIntKernel()
{
    const auto k = static_cast<IntKernel>(g_override.load());
    return k == IntKernel::Auto ? defaultKernel() : k;
}

void setIntKernel(IntKernel kernel)
{
    if (!intKernelSupported(kernel))
        fail("integer kernel path '", intKernelName(kernel), "' is not supported by this CPU or build");
    g_override.store(static_cast<int>(kernel));
}

PackedLevels::PackedLevels(const int8_t* levels, int64_t n, int64_t k, int64_t groups, int64_t rowsPerBlock,
                           IntKernel kernel)
    : m_kernel(kernel == IntKernel::Auto ? activeIntKernel() : kernel), m_n(n), m_k(k), m_groups(groups),
      m_rpb(rowsPerBlock)
{
    if (n <= 0 || k <= 0 || groups <= 0 || n % groups != 0 || rowsPerBlock <= 0)
        fail("integer kernel: bad level geometry N=", n, " K=", k, " groups=", groups, " rows per block=",
             rowsPerBlock);
    if (!intKernelSupported(m_kernel))
        fail("integer kernel path '", intKernelName(m_kernel), "' is not supported by this CPU or build");
    m_blocks = (k + rowsPerBlock - 1) / rowsPerBlock;
    m_rpbPad = roundUp4(rowsPerBlock);
    m_kPad = (m_blocks - 1) * m_rpbPad + roundUp4(k - (m_blocks - 1) * rowsPerBlock);
    if (depthwise()) {
        m_plain.assign(levels, levels + n * k);
        return;
    }
    const PathLayout path = pathLayout(m_kernel);
    const int64_t ng = n / groups, panels = (ng + path.width - 1) / path.width;
    m_panelStride = m_kPad / 4 * path.quadBytes;
    m_groupStride = panels * m_panelStride;
    m_data.assign(static_cast<size_t>(groups * m_groupStride), 0);
    m_colSums.assign(static_cast<size_t>(groups * m_blocks * ng), 0);
    for (int64_t col = 0; col < n; ++col) {
        const int64_t g = col / ng, j = col % ng;
        uint8_t* panel = m_data.data() + g * m_groupStride + (j / path.width) * m_panelStride;
        for (int64_t r = 0; r < k; ++r) {
            const int64_t b = r / rowsPerBlock, pr = b * m_rpbPad + r % rowsPerBlock;
            const int8_t v = levels[col * k + r];
            placeLevel(m_kernel, panel + pr / 4 * path.quadBytes, j % path.width, pr % 4, v);
            m_colSums[(g * m_blocks + b) * ng + j] += v;
        }
    }
}

void blockProduct(const PackedLevels& w, const InputCodes& x, int64_t block, int64_t* out, int64_t ldo)
{
    if (block < 0 || block >= w.blocks())
        fail("integer kernel: row block ", block, " of ", w.blocks());
    rangeProduct(w, x, block, block + 1, out, ldo);
}

void blockProduct(const PackedLevels& w, const InputBytes& x, int64_t block, int64_t* out, int64_t ldo)
{
    if (block < 0 || block >= w.blocks())
        fail("integer kernel: row block ", block, " of ", w.blocks());
    checkInputs(w, x, ldo);
    const Coding c = coding(x);
    if (c.planes != 1)
        fail("integer kernel: byte inputs take at most 8 bits, got ", x.bits);
    if (w.depthwise())
        return depthwiseBytes(w, x, c.offset, block, out, ldo);
    const PathLayout path = pathLayout(w.kernel());
    const int64_t k = w.rows(), ng = w.cols() / w.groups(), r0 = block * w.rowsPerBlock();
    const int64_t quads = roundUp4(std::min(w.rowsPerBlock(), k - r0)) / 4;
    const bool oneRun = x.runLength <= 0 || x.runStride == x.runLength * x.stride; // runs that touch
    const int64_t run = oneRun ? std::max<int64_t>(x.count, 1) : x.runLength;
    for (int64_t g = 0; g < w.groups(); ++g)
        for (int64_t i0 = 0; i0 < x.count; i0 += run)
            runPlane(w, path, x.vector(i0) + g * k + r0, x.stride, std::min(run, x.count - i0), g, padStart(w, block) / 4,
                     quads, 0, true, out + i0 * ldo + g * ng, ldo);
    if (c.offset != 0)
        subtractOffset(w, x.count, c.offset, block, block + 1, out, ldo);
}

void blockProducts(const PackedLevels& w, const InputCodes& x, int64_t* out)
{
    for (int64_t b = 0; b < w.blocks(); ++b)
        rangeProduct(w, x, b, b + 1, out + b * x.count * w.cols(), w.cols());
}

void fullProduct(const PackedLevels& w, const InputCodes& x, int64_t* out, int64_t ldo)
{
    rangeProduct(w, x, 0, w.blocks(), out, ldo);
}

namespace detail {

// Plain loops the compiler vectorizes for generic x86-64 (SSE2 pmaddwd), 4 columns at a
// time so each input byte is loaded once for 4 products; exact by the chunk bound of
// IntGemmKernels.h.
void gemmPortable(const KernelArgs& args)
{
    const int64_t len = args.nq * 4, mul = int64_t{1} << args.shift;
    for (int64_t i = 0; i < args.m; ++i) {
        const uint8_t* a = args.a + i * args.lda;
        int64_t* out = args.out + i * args.ldo;
        for (int64_t j0 = 0; j0 < args.ng; j0 += 4) {
            const int64_t cols = std::min<int64_t>(4, args.ng - j0);
            const int8_t* w[4];
            for (int64_t c = 0; c < 4; ++c) // a short tail repeats its last column
                w[c] = reinterpret_cast<const int8_t*>(args.w + (j0 + std::min(c, cols - 1)) * args.panelStride);
            int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int64_t t = 0; t < len; ++t) {
                const int32_t at = a[t];
                s0 += at * w[0][t];
                s1 += at * w[1][t];
                s2 += at * w[2][t];
                s3 += at * w[3][t];
            }
            const int32_t sums[4] = {s0, s1, s2, s3};
            for (int64_t c = 0; c < cols; ++c)
                out[j0 + c] = (args.store ? 0 : out[j0 + c]) + static_cast<int64_t>(sums[c]) * mul;
        }
    }
}

} // namespace detail

} // namespace tessera::kernels

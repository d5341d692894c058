#pragma once
// The analog block product on integer codes: for DAC input codes x and int8 weight levels
// w of one analog layer (core/analog/AnalogModel.h), the exact sums
//
//   P_b[i, n] = sum over rows k of row block b of x[i, g*K + k] * w[n, k]   (g: n's group)
//
// one [M, N] matrix per row block (the caller digitizes each with the ADC), or over all rows
// at once (transparent ADC). Results are exact int64 for every input width (2..16 bits,
// signed or unsigned) and any int8 level. One contract, three run-time selected paths:
// AVX-512 VNNI, AVX2 and portable C++ (docs/analog-model.md, "Integer kernels").
//
// Single-threaded and re-entrant: PackedLevels is immutable after construction, outputs are
// the caller's, scratch is per thread; split M across threads to parallelize.
//
// From an AnalogLayer (levels [N, K], codes x [M, groups*K]):
//   PackedLevels packed(levels.data(), N, K, groups, rowsPerBlock);  // once, with the layer
//   const InputCodes in{x, M, groups * K, inputBits, inputSigned};
//   transparent ADC:  fullProduct(packed, in, p.data(), N);           // p: M*N int64
//   otherwise, per block b: blockProduct(packed, in, b, p.data(), N); acc += adc(p)
//   (or blockProducts(packed, in, all.data()) with all: blocks*M*N int64)
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::kernels {

enum class IntKernel {
    Auto,       // the best path the CPU supports (or TESSERA_INT_KERNEL)
    Portable,   // plain C++ (the compiler's auto-vectorization for generic x86-64)
    Avx2,       // vpmaddwd on zero-/sign-extended bytes (exact, no int16 saturation)
    Avx512Vnni, // vpdpbusd (u8 x s8 -> int32)
};

// "portable", "avx2", "avx512vnni" ("auto" for Auto).
const char* intKernelName(IntKernel kernel);
// Whether this build and CPU can run `kernel` (Auto and Portable: always).
bool intKernelSupported(IntKernel kernel);
// The path new PackedLevels use: the override set by setIntKernel, else TESSERA_INT_KERNEL
// (portable|avx2|avx512vnni, read once), else the best supported one. Never Auto.
IntKernel activeIntKernel();
// Overrides the path for tests and benchmarks (Auto: back to the default). Throws
// tessera::Error for a path the CPU cannot run.
void setIntKernel(IntKernel kernel);

// Weight levels of one layer, packed once into the layout of one kernel path.
class PackedLevels {
public:
    // levels: [N, K] row-major int8 (any value, the layer uses +-(2^(wb-1)-1)); N is split
    // into `groups` equal column groups, all over K rows; the K rows of each group are split
    // into consecutive blocks of `rowsPerBlock` (the last one may be shorter).
    PackedLevels(const int8_t* levels, int64_t n, int64_t k, int64_t groups, int64_t rowsPerBlock,
                 IntKernel kernel = IntKernel::Auto);

    IntKernel kernel() const { return m_kernel; }
    int64_t cols() const { return m_n; }
    int64_t rows() const { return m_k; } // K, per group
    int64_t groups() const { return m_groups; }
    int64_t rowsPerBlock() const { return m_rpb; }
    int64_t blocks() const { return m_blocks; }
    // One column per group (depthwise convolution): kept as plain [N, K] levels and computed
    // by direct dot products, since a SIMD panel would hold 1 useful column of 8 or 16.
    bool depthwise() const { return m_n == m_groups; }
    const int8_t* plainLevels() const { return m_plain.data(); } // [N, K], depthwise only

    // Internal layout, read by the product functions (IntGemm.cpp).
    int64_t paddedBlockRows() const { return m_rpbPad; }   // rowsPerBlock rounded up to 4
    int64_t paddedRows() const { return m_kPad; }          // all blocks, each padded to 4
    int64_t panelStride() const { return m_panelStride; }  // bytes between column panels
    const uint8_t* group(int64_t g) const { return m_data.data() + g * m_groupStride; }
    // Sum of group g's levels of column j over the rows of block b.
    int64_t colSum(int64_t g, int64_t b, int64_t j) const { return m_colSums[(g * m_blocks + b) * (m_n / m_groups) + j]; }

private:
    IntKernel m_kernel;
    int64_t m_n, m_k, m_groups, m_rpb, m_blocks, m_rpbPad, m_kPad;
    int64_t m_panelStride = 0, m_groupStride = 0;
    std::vector<uint8_t> m_data;
    std::vector<int8_t> m_plain;
    std::vector<int64_t> m_colSums; // [groups][blocks][N/groups]
};

// Input vectors: vector i, group g, row k at vector(i)[g * K + k], where vector(i) is
// data + i * stride, or with runs of runLength vectors (the same rows of several frames)
// data + (i / runLength) * runStride + (i % runLength) * stride.
template <class T>
struct InputRows {
    const T* data = nullptr;
    int64_t count = 0;   // M, vectors
    int64_t stride = 0;  // elements between vectors (>= groups * K)
    int bits = 8;        // 2..16
    bool isSigned = false;
    int64_t runLength = 0; // vectors per run (0: one run of all `count`)
    int64_t runStride = 0; // elements between runs
    const T* vector(int64_t i) const
    {
        return runLength > 0 ? data + (i / runLength) * runStride + (i % runLength) * stride : data + i * stride;
    }
};

// Codes as int32: they must lie in the code range of (bits, isSigned) of
// core/analog/Numerics.h (checked: tessera::Error).
using InputCodes = InputRows<int32_t>;

// Codes already in the kernels' byte form, for callers that assemble the same layer's
// vectors once and multiply them by several blocks (the simulator): byte = code +
// inputByteOffset(bits, isSigned), bits <= 8. The caller guarantees the code range (bytes
// are not checked). A kernel reads up to kInputBytesTail bytes past a block's last row
// (any value: the packed levels there are 0), so those bytes must be readable.
using InputBytes = InputRows<uint8_t>;
constexpr int64_t kInputBytesTail = 3;
inline int32_t inputByteOffset(int bits, bool isSigned) { return isSigned ? int32_t{1} << (bits - 1) : 0; }

// out[i * ldo + n] = P_b[i, n] for block b (overwritten), all N columns.
void blockProduct(const PackedLevels& w, const InputCodes& x, int64_t block, int64_t* out, int64_t ldo);
// Every block: out is [blocks][M][N] (block b at out + b * M * N).
void blockProducts(const PackedLevels& w, const InputCodes& x, int64_t* out);
// The sum over all rows (= sum of all block products): the transparent-ADC case.
void fullProduct(const PackedLevels& w, const InputCodes& x, int64_t* out, int64_t ldo);
// blockProduct on byte inputs: block b's rows of vector i at x.vector(i) + g * K + b * rowsPerBlock.
void blockProduct(const PackedLevels& w, const InputBytes& x, int64_t block, int64_t* out, int64_t ldo);

} // namespace tessera::kernels

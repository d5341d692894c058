#pragma once
// The deployment package (.tpkg): everything the chip (or the simulator, or the host
// driver) needs to run a compiled model, as plain structs. The graph compiler fills one;
// core/package/PackageIO.h writes and reads it (byte layout: docs/package-format.md). The
// package lives in core so the simulator and the host driver never include the compiler.
//
// Contents:
//   header   format version, Tessera version, target (name, content hash, the numbers the
//            reader validates against, optionally the whole target JSON), model name and
//            content hash, quantization spec hash
//   layers   per analog layer its ProgrammedLayer (params, levels, bias codes, requantizers,
//            ADC shifts) and how it is split into blocks
//   arrays   per physical array (tile, array) its weight image (rows x cols int8 levels,
//            unused cells 0) and the blocks placed on it
//   programs per tile a list of fixed-size instructions (Opcode below)
//   digital  the ops the tile processor / SIMD unit runs (type, attributes as text, tensors)
//   tensors  id, name, shape, element type, quantization, where it lives in tile SRAM
//   io       which tensors are the model's inputs and outputs
#include "core/analog/AnalogModel.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera {
struct Target;
}

namespace tessera::package {

inline constexpr char kMagic[4] = {'T', 'P', 'K', 'G'};
inline constexpr uint32_t kFormatVersion = 1;   // what writePackage writes
inline constexpr uint32_t kMinFormatVersion = 1; // oldest version readPackage reads

// The Tessera release (CMake PROJECT_VERSION), recorded in every package it writes.
const char* tesseraVersion();

// ---- Header ----

// The hardware target a package was built for: enough numbers to validate every index in
// the package without parsing the target JSON.
struct TargetSummary {
    std::string name;       // "m1076"
    std::string hash;       // "xxh3-64:<16 hex>" of targetText(target)
    std::string json;       // targetText(target), or empty
    int64_t tiles = 0;      // tileCount()
    int64_t arraysPerTile = 0;
    int64_t arrayRows = 0;
    int64_t arrayCols = 0;
    int64_t sramBytes = 0;  // activation SRAM per tile
};

// name, hash, numbers and (withJson) the whole JSON of a target.
TargetSummary summarizeTarget(const Target& target, bool withJson = true);

struct PackageHeader {
    uint32_t formatVersion = kFormatVersion; // set by the writer / reader
    std::string tesseraVersion;              // "0.1.0"
    TargetSummary target;
    std::string modelName;
    std::string modelHash; // graphContentHash() of the imported model
    std::string specHash;  // content hash of the quantization spec (may be empty)
};

// ---- Analog layers ----

// How a layer's [K x N] weight matrix (per group) is cut into blocks: each group's rows in
// runs of programmed.params.numerics.rowsPerBlock (each digitized with its own ADC shift),
// its columns in runs of colsPerBlock, the whole set placed `replicas` times.
struct PackageLayer {
    analog::ProgrammedLayer programmed;
    int64_t colsPerBlock = 0;
    int64_t replicas = 1;
    int64_t inputTensor = -1;  // tensor ids (Package::tensors), -1: none
    int64_t outputTensor = -1;
};

// One block of a layer placed on an array: layer rows [rowBegin, rowEnd) (k within the
// group, inside ONE row block) and layer columns [colBegin, colEnd) (n over all groups,
// inside the group's columns) sit at array cells [row0, row0 + rows) x [col0, col0 + cols).
// Cell (row0 + k - rowBegin, col0 + n - colBegin) holds programmed.levels[n * K + k].
struct PlacedBlock {
    int64_t layer = 0;
    int64_t rowBegin = 0;
    int64_t rowEnd = 0;
    int64_t colBegin = 0;
    int64_t colEnd = 0;
    int64_t group = 0;
    int64_t replica = 0;
    int64_t row0 = 0;
    int64_t col0 = 0;
};

// One physical array's contents.
struct ArrayImage {
    int64_t tile = 0;
    int64_t array = 0;                // within the tile, < arraysPerTile
    int64_t rows = 0;                 // = target arrayRows
    int64_t cols = 0;                 // = target arrayCols
    std::vector<int8_t> levels;       // [rows x cols] row-major, unused cells 0
    std::vector<PlacedBlock> blocks;  // ANALOG_MVM names a block by its index here
};

// ---- Tile programs ----

// Instruction set (docs/package-format.md has the full table). Every instruction is one
// fixed-size record: an opcode and kMaxOperands int64 operands (unused operands are 0).
// Buffers are byte offsets into the tile's SRAM. Codes are stored in the tensor's element
// type; analog accumulators are int64.
enum class Opcode : uint32_t {
    Halt = 0,        // stop the tile
    DriveInputs = 1, // array, buffer, rowBegin, rowEnd, inputBits, inputSigned: codes from SRAM
                     //   drive array rows [rowBegin, rowEnd)
    AnalogMvm = 2,   // array, block: one analog matrix-vector multiply of that placed block
    AdcRead = 3,     // array, colBegin, colEnd, adcBits, shift, dst: digitize array columns,
                     //   write (colEnd - colBegin) int64 values (code << shift) at dst
    Accumulate = 4,  // dst, src, count: int64 dst[i] += src[i], i < count
    SimdOp = 5,      // kind (SimdKind), dst, srcA, srcB, count, param
    Send = 6,        // tile, buffer, bytes: send bytes from SRAM to another tile
    Recv = 7,        // tile, buffer, bytes: receive bytes from another tile into SRAM
    Sync = 8,        // barrier: wait until every tile taking part reached it
};
inline constexpr int kOpcodeCount = 9;
inline constexpr int kMaxOperands = 6;

// What SIMD_OP does (operand 0).
enum class SimdKind : int64_t {
    Epilogue = 0,  // dst codes[i] = epilogue(srcA acc[i] + biasCode[srcB + i]) with layer
                   //   `param`'s requantizer of column srcB + i, i < count
    DigitalOp = 1, // run Package::digitalOps[param] (srcA, srcB, dst, count unused: 0)
    Copy = 2,      // copy count bytes from srcA to dst
    Zero = 3,      // zero count bytes at dst
};
inline constexpr int kSimdKindCount = 4;

struct Instruction {
    Opcode op = Opcode::Halt;
    std::array<int64_t, kMaxOperands> a{};
};

// Name and operand names of an opcode, from one table (disassembler, docs, validation).
struct OpcodeInfo {
    Opcode op;
    const char* name;         // "DRIVE_INPUTS"
    int operandCount;         // operands that carry meaning; the rest must be 0
    const char* operands[kMaxOperands];
};
const OpcodeInfo& opcodeInfo(Opcode op); // op must be < kOpcodeCount
const char* simdKindName(SimdKind kind);

// Builders: the operand order of each opcode, stated once.
inline Instruction makeInstruction(Opcode op, std::array<int64_t, kMaxOperands> a = {}) { return {op, a}; }
inline Instruction driveInputs(int64_t array, int64_t buffer, int64_t rowBegin, int64_t rowEnd, int64_t inputBits,
                               bool inputSigned)
{
    return {Opcode::DriveInputs, {array, buffer, rowBegin, rowEnd, inputBits, inputSigned ? 1 : 0}};
}
inline Instruction analogMvm(int64_t array, int64_t block) { return {Opcode::AnalogMvm, {array, block}}; }
inline Instruction adcRead(int64_t array, int64_t colBegin, int64_t colEnd, int64_t adcBits, int64_t shift,
                           int64_t dst)
{
    return {Opcode::AdcRead, {array, colBegin, colEnd, adcBits, shift, dst}};
}
inline Instruction accumulate(int64_t dst, int64_t src, int64_t count) { return {Opcode::Accumulate, {dst, src, count}}; }
inline Instruction simdOp(SimdKind kind, int64_t dst, int64_t srcA, int64_t srcB, int64_t count, int64_t param)
{
    return {Opcode::SimdOp, {static_cast<int64_t>(kind), dst, srcA, srcB, count, param}};
}
inline Instruction sendTo(int64_t tile, int64_t buffer, int64_t bytes) { return {Opcode::Send, {tile, buffer, bytes}}; }
inline Instruction recvFrom(int64_t tile, int64_t buffer, int64_t bytes) { return {Opcode::Recv, {tile, buffer, bytes}}; }
inline Instruction syncBarrier(int64_t barrier) { return {Opcode::Sync, {barrier}}; }
inline Instruction halt() { return {Opcode::Halt, {}}; }

struct TileProgram {
    int64_t tile = 0;
    std::vector<Instruction> code;
};

// ---- Digital ops, tensors, I/O ----

// An op the tile processor / SIMD unit runs (not on the arrays).
struct DigitalOp {
    std::string opType;           // ONNX op type ("MaxPool")
    std::string attributes;       // as text, e.g. "kernel_shape=[2,2] strides=[2,2]"
    std::vector<int64_t> inputs;  // tensor ids
    std::vector<int64_t> outputs;
    int64_t tile = 0;
};

// Element type of a tensor as stored (values fixed by the format).
enum class ElementType : uint32_t { Int8 = 0, Int16 = 1, Int32 = 2, Int64 = 3, Float32 = 4, UInt8 = 5 };
inline constexpr int kElementTypeCount = 6;
const char* elementTypeName(ElementType type);
int64_t elementTypeBytes(ElementType type);

struct TensorQuantization {
    bool quantized = true; // false: float values
    double scale = 1.0;    // real = code * scale
    int bits = 8;
    bool isSigned = true;
};

// Where (part of) a tensor lives: bytes [offset, offset + bytes) of a tile's SRAM.
struct TensorPlacement {
    int64_t tile = 0;
    int64_t offset = 0;
    int64_t bytes = 0;
};

struct PackageTensor {
    int64_t id = 0; // = its index in Package::tensors
    std::string name;
    std::vector<int64_t> shape;
    ElementType type = ElementType::Int8;
    TensorQuantization quant;
    std::vector<TensorPlacement> placements;
};

struct Package {
    PackageHeader header;
    std::vector<PackageLayer> layers;
    std::vector<ArrayImage> arrays;
    std::vector<TileProgram> programs; // one per tile used, tiles ascending
    std::vector<DigitalOp> digitalOps;
    std::vector<PackageTensor> tensors;
    std::vector<int64_t> inputs;  // tensor ids of the model's inputs, in graph order
    std::vector<int64_t> outputs; // tensor ids of the model's outputs
};

} // namespace tessera::package

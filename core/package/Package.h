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
//   arrays   per physical array (tile, array) the blocks placed on it (their levels are
//            the layer's: stored once, shared by every replica)
//   programs per tile a list of fixed-size instructions (Opcode below), run once per frame
//   digital  the ops the tile processor / SIMD unit runs (type, attributes, tensors, constants)
//   noise    the non-idealities of the quantization spec
//   tensors  id, name, shape, element type, quantization, where it lives in tile SRAM
//   io       which tensors are the model's inputs and outputs
//
// Rules a writer must follow (validatePackage checks them all; docs/package-format.md):
// arrays listed once each sorted by (tile, array); programs sorted by tile, each ending
// with HALT; tensor id = index; every weight of every layer replica placed exactly once,
// blocks of one array never overlap; unused operands 0; every RECV matched by a SEND and
// the programs free of deadlock (validatePackage runs the message pattern).
#include "core/Attributes.h"
#include "core/Tensor.h"
#include "core/analog/AnalogModel.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace tessera {
struct Target;
}

namespace tessera::package {

inline constexpr char kMagic[4] = {'T', 'P', 'K', 'G'};
inline constexpr uint32_t kFormatVersion = 3;    // what writePackage writes (3: zero points)
inline constexpr uint32_t kMinFormatVersion = 2; // oldest version readPackage reads (format 1 was not executable)

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
// its columns in runs of colsPerBlock, the whole set placed `replicas` times. The node's
// op type, attributes and weight shape let an executor rebuild a one-node graph and use
// core's lowering (core/analog/AnalogLowering.h) to assemble input vectors (im2col, rows
// of A) and to scatter column results into the output tensor (permutation or col2im).
struct PackageLayer {
    analog::ProgrammedLayer programmed;
    int64_t colsPerBlock = 0;
    int64_t replicas = 1;
    int64_t inputTensor = -1;  // tensor ids (Package::tensors)
    int64_t outputTensor = -1;
    std::string opType;               // "Conv", "ConvTranspose", "Gemm", "MatMul"
    Attributes attributes;            // the node's attributes (ints, floats, strings, lists)
    std::vector<int64_t> weightShape; // the node's input 1 as stored in the model
    int64_t colsPerOutChannel = 1;    // core/WeightMatrix.h
    int64_t rowsPerInChannel = 1;
    bool sumBeforeEpilogue = false;   // ConvTranspose: col2im on the accumulators, then per channel
    std::vector<int64_t> channelBias; // sumBeforeEpilogue: bias code per output channel (else empty)
    int64_t vectorsPerFrame = 0;      // input vectors of one frame (output pixels, rows of A, input pixels)
    // Runs on a tile's SIMD engine (MATVEC) instead of arrays (a depthwise layer the
    // compiler found cheaper there): no placed blocks, one replica, no analog noise
    // (analog::nonIdealitiesOn; mvmUnit below).
    bool simd = false;
};

// One block of a layer placed on an array: layer rows [rowBegin, rowEnd) (k within the
// group, inside ONE row block) and layer columns [colBegin, colEnd) (n over all groups,
// inside the group's columns) sit at array cells [row0, row0 + rows) x [col0, col0 + cols).
// Cell (row0 + k - rowBegin, col0 + n - colBegin) holds programmed.levels[n * K + k]: the
// levels are stored once per layer (LAYR), never per array or per replica.
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

// One physical array's contents: the blocks placed on it (cells outside them are 0).
struct ArrayImage {
    int64_t tile = 0;
    int64_t array = 0;                // within the tile, < arraysPerTile
    int64_t rows = 0;                 // = target arrayRows
    int64_t cols = 0;                 // = target arrayCols
    std::vector<PlacedBlock> blocks;  // MVM / ADC name a block by its index here
};

// ---- Tile programs ----

// Instruction set (docs/package-format.md has the exact semantics). A tile program runs
// once per frame; instructions work on ranges of a layer's input vectors [v0, v0 + count)
// of the frame (v < PackageLayer::vectorsPerFrame). Every instruction is one fixed-size
// record: an opcode and kMaxOperands int64 operands (unused operands are 0). Per tile and
// layer the tile keeps three buffers: X (input codes [V, groups*K]), ACC (int64
// accumulators [V, N]) and Y (output codes [V, N]); and its copies of tensors.
enum class Opcode : uint32_t {
    Halt = 0,     // stop the tile
    Gather = 1,   // layer, v0, count: X rows <- input vectors of the layer's input tensor (codes)
    Clear = 2,    // layer, v0, count: ACC rows <- 0
    Drive = 3,    // array, layer, v0, count: latch X rows [v0, v0+count) onto the array's DACs
    Mvm = 4,      // array, block: column sums of the placed block for the latched vectors
    Adc = 5,      // array, block: digitize those sums (row block's shift), add into ACC columns
    Epilogue = 6, // layer, v0, count: Y rows <- epilogue(ACC rows + bias) (not sumBeforeEpilogue)
    Scatter = 7,  // layer: output tensor <- Y scattered (or ACC col2im + channel epilogue)
    Digital = 8,  // op: run Package::digitalOps[op] on the tile processor / SIMD engine
    Send = 9,     // tile, buffer, id, v0, count: send a tensor or buffer rows (tile -1: host)
    Recv = 10,    // tile, buffer, id, v0, count, add: receive them, blocking (tile -1: host)
    Matvec = 11,  // layer, v0, count: a SIMD layer's ACC rows += the array model's digitized sums
};
inline constexpr int kOpcodeCount = 12;
inline constexpr int kMaxOperands = 6;
inline constexpr int64_t kHostTile = -1;

// What SEND / RECV move (operand 1).
enum class BufferKind : int64_t {
    Tensor = 0,      // id: tensor id; the whole tensor (v0 = count = 0)
    Accumulator = 1, // id: layer; ACC rows [v0, v0 + count), all N columns (int64)
    OutputCodes = 2, // id: layer; Y rows [v0, v0 + count), all N columns
};
inline constexpr int kBufferKindCount = 3;
const char* bufferKindName(BufferKind kind);

struct Instruction {
    Opcode op = Opcode::Halt;
    std::array<int64_t, kMaxOperands> a{};
};

// Name and operand names of an opcode, from one table (disassembler, docs, validation).
struct OpcodeInfo {
    Opcode op;
    const char* name;         // "GATHER"
    int operandCount;         // operands that carry meaning; the rest must be 0
    const char* operands[kMaxOperands];
};
const OpcodeInfo& opcodeInfo(Opcode op); // op must be < kOpcodeCount

// Builders: the operand order of each opcode, stated once.
inline Instruction gather(int64_t layer, int64_t v0, int64_t count) { return {Opcode::Gather, {layer, v0, count}}; }
inline Instruction clearAcc(int64_t layer, int64_t v0, int64_t count) { return {Opcode::Clear, {layer, v0, count}}; }
inline Instruction drive(int64_t array, int64_t layer, int64_t v0, int64_t count)
{
    return {Opcode::Drive, {array, layer, v0, count}};
}
inline Instruction mvm(int64_t array, int64_t block) { return {Opcode::Mvm, {array, block}}; }
inline Instruction adc(int64_t array, int64_t block) { return {Opcode::Adc, {array, block}}; }
inline Instruction epilogueOf(int64_t layer, int64_t v0, int64_t count) { return {Opcode::Epilogue, {layer, v0, count}}; }
inline Instruction scatter(int64_t layer) { return {Opcode::Scatter, {layer}}; }
inline Instruction digital(int64_t op) { return {Opcode::Digital, {op}}; }
inline Instruction sendTo(int64_t tile, BufferKind kind, int64_t id, int64_t v0 = 0, int64_t count = 0)
{
    return {Opcode::Send, {tile, static_cast<int64_t>(kind), id, v0, count}};
}
inline Instruction recvFrom(int64_t tile, BufferKind kind, int64_t id, int64_t v0 = 0, int64_t count = 0, bool add = false)
{
    return {Opcode::Recv, {tile, static_cast<int64_t>(kind), id, v0, count, add ? 1 : 0}};
}
inline Instruction matvec(int64_t layer, int64_t v0, int64_t count) { return {Opcode::Matvec, {layer, v0, count}}; }
inline Instruction halt() { return {Opcode::Halt, {}}; }

struct TileProgram {
    int64_t tile = 0;
    std::vector<Instruction> code;
};

// ---- Digital ops, tensors, I/O ----

// A constant input of a digital op (Reshape's shape, an Add's constant, ...).
struct ConstantInput {
    int64_t slot = 0; // input position in the node
    Tensor value;
};

// An op the tile processor / SIMD unit runs (not on the arrays): the node as the graph has
// it, run through core's op registry kernel, outputs rounded to their tensor's grid.
struct DigitalOp {
    std::string name;             // node name
    std::string opType;           // ONNX op type ("MaxPool")
    Attributes attributes;
    std::vector<int64_t> inputs;  // per input slot: tensor id, or -1 (omitted, or a constant)
    std::vector<ConstantInput> constants;
    std::vector<int64_t> outputs; // tensor ids
    int64_t tile = 0;
};

// Element type of a tensor as stored (values fixed by the format).
enum class ElementType : uint32_t { Int8 = 0, Int16 = 1, Int32 = 2, Int64 = 3, Float32 = 4, UInt8 = 5, Bool = 6 };
inline constexpr int kElementTypeCount = 7;
const char* elementTypeName(ElementType type);
int64_t elementTypeBytes(ElementType type);
// The value type digital kernels compute a tensor in (Float32 for codes) <-> ElementType.
DType computeDType(ElementType type);
ElementType elementTypeOf(DType type); // throws for types the format cannot store

struct TensorQuantization {
    bool quantized = false; // false: values as computed (float or integer)
    double scale = 1.0;     // real = (code - zeroPoint) * scale
    int bits = 8;
    bool isSigned = true;
    int64_t zeroPoint = 0;  // offset codes (unsigned; core/analog/Numerics.h); format 3
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
    ElementType type = ElementType::Int8; // as stored in SRAM
    ElementType compute = ElementType::Float32; // as digital kernels see it (Float32, Int64, Bool, ...)
    TensorQuantization quant;
    std::vector<TensorPlacement> placements;
};

struct Package {
    PackageHeader header;
    analog::NonIdealities nonIdealities; // of the quantization spec (applied with noise on)
    std::vector<PackageLayer> layers;
    std::vector<ArrayImage> arrays;
    std::vector<TileProgram> programs; // one per tile used, tiles ascending
    std::vector<DigitalOp> digitalOps;
    std::vector<PackageTensor> tensors;
    std::vector<int64_t> inputs;  // tensor ids of the model's inputs, in graph order
    std::vector<int64_t> outputs; // tensor ids of the model's outputs
};

// Where layer `layer` runs its matrix-vector products (analog::nonIdealitiesOn says what
// that means for noise), and the names of the layers on the SIMD engine: what the quantized
// reference executor needs to draw the package's noise (QuantizedExecutorOptions::simdLayers).
analog::MvmUnit mvmUnit(const PackageLayer& layer);
std::set<std::string> simdLayerNames(const Package& pkg);

// The level of array cell (row, col): its block's layer level, 0 outside every block.
int8_t cellLevel(const Package& pkg, const ArrayImage& array, int64_t row, int64_t col);

} // namespace tessera::package

#include "core/package/Package.h"

#include "core/Error.h"
#include "core/target/Target.h"

#include <xxhash.h>

#include <cstdio>

#ifndef TESSERA_VERSION
#define TESSERA_VERSION "unknown"
#endif

namespace tessera::package {

const char* tesseraVersion() { return TESSERA_VERSION; }

TargetSummary summarizeTarget(const Target& target, bool withJson)
{
    const std::string text = targetText(target);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
    TargetSummary s;
    s.name = target.name;
    s.hash = std::string("xxh3-64:") + hex;
    if (withJson)
        s.json = text;
    s.tiles = target.tileCount();
    s.arraysPerTile = target.analog.arraysPerTile;
    s.arrayRows = target.analog.array.rows;
    s.arrayCols = target.analog.array.cols;
    s.sramBytes = target.tiles.sramBytes;
    return s;
}

namespace {

// One row per opcode, in opcode order (checked by tests/core/test_package.cpp).
const OpcodeInfo kOpcodes[kOpcodeCount] = {
    {Opcode::Halt, "HALT", 0, {}},
    {Opcode::Gather, "GATHER", 3, {"layer", "v0", "count"}},
    {Opcode::Clear, "CLEAR", 3, {"layer", "v0", "count"}},
    {Opcode::Drive, "DRIVE", 4, {"array", "layer", "v0", "count"}},
    {Opcode::Mvm, "MVM", 2, {"array", "block"}},
    {Opcode::Adc, "ADC", 2, {"array", "block"}},
    {Opcode::Epilogue, "EPILOGUE", 3, {"layer", "v0", "count"}},
    {Opcode::Scatter, "SCATTER", 1, {"layer"}},
    {Opcode::Digital, "DIGITAL", 1, {"op"}},
    {Opcode::Send, "SEND", 5, {"tile", "buffer", "id", "v0", "count"}},
    {Opcode::Recv, "RECV", 6, {"tile", "buffer", "id", "v0", "count", "add"}},
    {Opcode::Matvec, "MATVEC", 3, {"layer", "v0", "count"}},
};

const char* const kBufferKinds[kBufferKindCount] = {"tensor", "acc", "codes"};

struct ElementTypeInfo {
    const char* name;
    int64_t bytes;
    DType compute;
};
const ElementTypeInfo kElementTypes[kElementTypeCount] = {
    {"int8", 1, DType::Int8},       {"int16", 2, DType::Int16},     {"int32", 4, DType::Int32},
    {"int64", 8, DType::Int64},     {"float32", 4, DType::Float32}, {"uint8", 1, DType::UInt8},
    {"bool", 1, DType::Bool},
};

} // namespace

const OpcodeInfo& opcodeInfo(Opcode op) { return kOpcodes[static_cast<uint32_t>(op)]; }
const char* bufferKindName(BufferKind kind) { return kBufferKinds[static_cast<int64_t>(kind)]; }
const char* elementTypeName(ElementType type) { return kElementTypes[static_cast<uint32_t>(type)].name; }
int64_t elementTypeBytes(ElementType type) { return kElementTypes[static_cast<uint32_t>(type)].bytes; }
DType computeDType(ElementType type) { return kElementTypes[static_cast<uint32_t>(type)].compute; }

ElementType elementTypeOf(DType type)
{
    for (int i = 0; i < kElementTypeCount; ++i)
        if (kElementTypes[i].compute == type)
            return static_cast<ElementType>(i);
    fail("a package cannot store ", dtypeName(type), " tensors");
}

analog::MvmUnit mvmUnit(const PackageLayer& layer) { return layer.simd ? analog::MvmUnit::Simd : analog::MvmUnit::Arrays; }

std::set<std::string> simdLayerNames(const Package& pkg)
{
    std::set<std::string> names;
    for (const PackageLayer& l : pkg.layers)
        if (mvmUnit(l) == analog::MvmUnit::Simd)
            names.insert(l.programmed.params.name);
    return names;
}

int8_t cellLevel(const Package& pkg, const ArrayImage& array, int64_t row, int64_t col)
{
    for (const PlacedBlock& b : array.blocks) {
        const int64_t k = b.rowBegin + row - b.row0, n = b.colBegin + col - b.col0;
        if (k >= b.rowBegin && k < b.rowEnd && n >= b.colBegin && n < b.colEnd) {
            const analog::ProgrammedLayer& prog = pkg.layers[b.layer].programmed;
            return prog.levels[n * prog.params.rows + k];
        }
    }
    return 0;
}

} // namespace tessera::package

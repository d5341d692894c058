#include "core/package/Package.h"

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
    {Opcode::DriveInputs, "DRIVE_INPUTS", 6, {"array", "buffer", "row_begin", "row_end", "input_bits", "signed"}},
    {Opcode::AnalogMvm, "ANALOG_MVM", 2, {"array", "block"}},
    {Opcode::AdcRead, "ADC_READ", 6, {"array", "col_begin", "col_end", "adc_bits", "shift", "dst"}},
    {Opcode::Accumulate, "ACCUMULATE", 3, {"dst", "src", "count"}},
    {Opcode::SimdOp, "SIMD_OP", 6, {"kind", "dst", "src_a", "src_b", "count", "param"}},
    {Opcode::Send, "SEND", 3, {"tile", "buffer", "bytes"}},
    {Opcode::Recv, "RECV", 3, {"tile", "buffer", "bytes"}},
    {Opcode::Sync, "SYNC", 1, {"barrier"}},
};

const char* const kSimdKinds[kSimdKindCount] = {"epilogue", "digital_op", "copy", "zero"};

struct ElementTypeInfo {
    const char* name;
    int64_t bytes;
};
const ElementTypeInfo kElementTypes[kElementTypeCount] = {
    {"int8", 1}, {"int16", 2}, {"int32", 4}, {"int64", 8}, {"float32", 4}, {"uint8", 1},
};

} // namespace

const OpcodeInfo& opcodeInfo(Opcode op) { return kOpcodes[static_cast<uint32_t>(op)]; }
const char* simdKindName(SimdKind kind) { return kSimdKinds[static_cast<int64_t>(kind)]; }
const char* elementTypeName(ElementType type) { return kElementTypes[static_cast<uint32_t>(type)].name; }
int64_t elementTypeBytes(ElementType type) { return kElementTypes[static_cast<uint32_t>(type)].bytes; }

} // namespace tessera::package

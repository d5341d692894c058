#pragma once
// The hardware target: one description of the chip that the quantizer, the graph compiler
// and the simulator share. Read from a versioned JSON file ("format": "tessera-target",
// "version": 1; schema and every field's unit in docs/targets.md) or from a built-in preset
// (resources/targets/*.json, embedded into the library at build time).
//
// Timing model of one analog matrix-vector multiply (MVM) on one array, with a-bit inputs:
// inputs are driven bit-serially (one array read per input bit), then every column is
// digitized once by the array's ADCs, each converting its share of the columns in turn:
//     mvmTimeNs(a) = setup_ns + a x ns_per_input_bit + ceil(cols / adc.count) x adc.conversion_ns
// The read-out is not overlapped with the next MVM (a conservative bound).
#include "core/analog/AnalogModel.h"
#include "core/analog/CostModel.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessera {

struct TileCoord {
    int64_t row = 0;
    int64_t col = 0;
};

struct TileGrid {
    int64_t rows = 1;                // tiles along a side of the 2D mesh
    int64_t cols = 1;
    std::vector<TileCoord> disabled; // tiles of the grid that are not used (fused off)
    int64_t sramBytes = 0;           // activation SRAM of one tile
};

struct AnalogArray {
    int64_t rows = 1024;      // inputs (word lines)
    int64_t cols = 1024;      // outputs (bit lines)
    int64_t bitsPerCell = 8;  // levels one cell holds: 2^bitsPerCell
    int64_t maxWeightBits = 8;
};

struct DacSpec {
    int64_t bits = 8;
    int64_t count = 1024; // per array
};

struct AdcSpec {
    int64_t minBits = 4; // supported resolution range
    int64_t maxBits = 8;
    int64_t count = 32;  // per array
    double conversionNs = 125.0;
};

struct MvmTiming {
    double setupNs = 0.0;
    double nsPerInputBit = 300.0;
};

struct AnalogSection {
    int64_t arraysPerTile = 1;
    AnalogArray array;
    DacSpec dac;
    AdcSpec adc;
    MvmTiming mvm;
};

struct ProcessorSpec {
    double clockMhz = 500.0;
    int64_t wordBits = 32;
};

struct SimdSpec {
    int64_t lanes = 32;
    double clockMhz = 500.0;
    int64_t intBits = 32;
};

struct NocSpec {
    int64_t linkBytesPerCycle = 32;
    double clockMhz = 500.0;
    int64_t hopLatencyCycles = 2;
};

struct HostLink {
    int64_t pcieGen = 2;
    int64_t pcieLanes = 4;
    double bandwidthGBs = 2.0; // GB/s, one direction
};

struct EnergySpec {
    double analogMacPjPerInputBit = 0.0005; // one cell, one input-bit cycle
    double adcConversionPj = 12.8;          // one conversion at adc.maxBits
    double simdOpPj = 1.0;                  // one lane, one operation
    double sramBytePj = 1.0;                // one byte read or written
    double nocByteHopPj = 0.5;              // one byte over one link
    double staticW = 1.0;
    double typicalW = 3.5;
};

// Where a number comes from, as the target file says ("sources": {"analog.array.rows":
// "inferred: ..."}): published (with the source), inferred from published numbers, or an
// assumption.
enum class SourceKind { Published, Inferred, Assumption };

struct Provenance {
    SourceKind kind = SourceKind::Assumption;
    std::string detail;
};

struct Target {
    std::string name;
    std::string description;
    TileGrid tiles;
    AnalogSection analog;
    ProcessorSpec processor;
    SimdSpec simd;
    NocSpec noc;
    HostLink host;
    EnergySpec energy;
    std::map<std::string, Provenance> sources; // key path ("analog.adc.count") -> provenance

    int64_t tileCount() const;
    int64_t totalArrays() const;
    int64_t weightCellsPerArray() const;
    // Weights of `weightBits` bits the chip holds (0: analog.array.maxWeightBits); a weight
    // takes ceil(weightBits / bitsPerCell) cells.
    int64_t totalWeightCapacity(int64_t weightBits = 0) const;
    double mvmTimeNs(int64_t inputBits) const;
    // 2 ops per MAC, every array busy, inputs at dac.bits.
    double peakTops() const;
    double nocLinkGBs() const;
};

const char* sourceKindName(SourceKind kind);

// Parses and validates a target; `fileLabel` names the file in every error
// ("m1076.json: analog.array.rows must be a positive integer, got -3").
Target parseTarget(const std::string& text, const std::string& fileLabel);
Target readTargetFile(const std::string& path);
nlohmann::json targetToJson(const Target& target);
// The file's text: keys in schema order, 2-space indent.
std::string targetText(const Target& target);
void writeTargetFile(const std::string& path, const Target& target);

// A preset name (listTargetPresets()), else a file path.
Target loadTarget(const std::string& nameOrPath);
std::vector<std::string> listTargetPresets();

// Every numeric field of the schema: key path, unit and meaning (docs, reports).
struct TargetFieldInfo {
    std::string path;
    std::string unit;
    std::string meaning;
};
std::vector<TargetFieldInfo> targetFields();
// The field's value as text ("1024", "2.5").
std::string targetFieldValue(const Target& target, const std::string& path);

// The analog array the quantizer splits rows by (rows per block = array rows).
analog::ArrayGeometry arrayGeometry(const Target& target);
// The default cost model with the target's timing and energy.
analog::DefaultCostModel costModel(const Target& target);

} // namespace tessera

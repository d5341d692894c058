// The target's derived quantities and the schema table (TargetFields.h).
#include "core/target/Target.h"
#include "core/Error.h"
#include "core/target/TargetFields.h"

#include <cmath>

namespace tessera {

int64_t Target::tileCount() const
{
    return tiles.rows * tiles.cols - static_cast<int64_t>(tiles.disabled.size());
}

int64_t Target::totalArrays() const
{
    return tileCount() * analog.arraysPerTile;
}

int64_t Target::weightCellsPerArray() const
{
    return analog.array.rows * analog.array.cols;
}

int64_t Target::totalWeightCapacity(int64_t weightBits) const
{
    const int64_t bits = weightBits > 0 ? weightBits : analog.array.maxWeightBits;
    const int64_t cellsPerWeight = (bits + analog.array.bitsPerCell - 1) / analog.array.bitsPerCell;
    return totalArrays() * weightCellsPerArray() / cellsPerWeight;
}

double Target::mvmTimeNs(int64_t inputBits) const
{
    const int64_t conversionsPerAdc = (analog.array.cols + analog.adc.count - 1) / analog.adc.count;
    return analog.mvm.setupNs + static_cast<double>(inputBits) * analog.mvm.nsPerInputBit +
           static_cast<double>(conversionsPerAdc) * analog.adc.conversionNs;
}

double Target::peakTops() const
{
    const double opsPerMvm = 2.0 * static_cast<double>(totalArrays()) * static_cast<double>(weightCellsPerArray());
    return opsPerMvm / mvmTimeNs(analog.dac.bits) * 1e-3; // ops per ns = 1e9 ops/s; TOPS = 1e12
}

double Target::nocLinkGBs() const
{
    return static_cast<double>(noc.linkBytesPerCycle) * noc.clockMhz * 1e-3;
}

const char* sourceKindName(SourceKind kind)
{
    switch (kind) {
    case SourceKind::Published:
        return "published";
    case SourceKind::Inferred:
        return "inferred";
    case SourceKind::Assumption:
        break;
    }
    return "assumption";
}

analog::ArrayGeometry arrayGeometry(const Target& target)
{
    analog::ArrayGeometry g;
    g.rows = target.analog.array.rows;
    g.cols = target.analog.array.cols;
    return g;
}

analog::DefaultCostModel costModel(const Target& target)
{
    analog::DefaultCostModel m;
    m.cycleNs = target.analog.mvm.nsPerInputBit;
    // The default model scales conversion energy as fom x 2^bits (Walden); the target gives
    // the energy at adc.maxBits.
    m.adcFomFj = target.energy.adcConversionPj * 1e3 / std::ldexp(1.0, static_cast<int>(target.analog.adc.maxBits));
    m.cellFj = target.energy.analogMacPjPerInputBit * 1e3;
    return m;
}

namespace targetdetail {

namespace {

using IntRef = int64_t* (*)(Target&);
using NumRef = double* (*)(Target&);

FieldRow integerField(const char* path, const char* unit, const char* meaning, IntRef ref, int64_t lo = 1,
                      int64_t hi = std::numeric_limits<int64_t>::max())
{
    FieldRow row{path, unit, meaning};
    row.integer = ref;
    row.lo = lo;
    row.hi = hi;
    return row;
}

FieldRow numberField(const char* path, const char* unit, const char* meaning, NumRef ref, bool allowZero = false)
{
    FieldRow row{path, unit, meaning};
    row.number = ref;
    row.allowZero = allowZero;
    return row;
}

std::vector<FieldRow> makeTable()
{
    constexpr int64_t kAny = std::numeric_limits<int64_t>::max();
    return {
        integerField("tiles.grid_rows", "tiles", "rows of the 2D mesh of tiles", [](Target& t) { return &t.tiles.rows; }),
        integerField("tiles.grid_cols", "tiles", "columns of the mesh", [](Target& t) { return &t.tiles.cols; }),
        integerField("tiles.sram_bytes", "bytes", "activation SRAM per tile", [](Target& t) { return &t.tiles.sramBytes; }),
        integerField("analog.arrays_per_tile", "arrays", "analog arrays in one tile",
                     [](Target& t) { return &t.analog.arraysPerTile; }),
        integerField("analog.array.rows", "rows", "inputs of one array = the quantizer's rows per block",
                     [](Target& t) { return &t.analog.array.rows; }),
        integerField("analog.array.cols", "columns", "outputs of one array", [](Target& t) { return &t.analog.array.cols; }),
        integerField("analog.array.bits_per_cell", "bits", "levels one cell holds, as bits",
                     [](Target& t) { return &t.analog.array.bitsPerCell; }, 1, 8),
        integerField("analog.array.max_weight_bits", "bits", "widest weight the array holds",
                     [](Target& t) { return &t.analog.array.maxWeightBits; }, 2, 8),
        integerField("analog.dac.bits", "bits", "input (DAC) resolution", [](Target& t) { return &t.analog.dac.bits; }, 2, 16),
        integerField("analog.dac.count", "DACs", "DACs per array", [](Target& t) { return &t.analog.dac.count; }),
        integerField("analog.adc.min_bits", "bits", "lowest supported ADC resolution",
                     [](Target& t) { return &t.analog.adc.minBits; }, 2, 32),
        integerField("analog.adc.max_bits", "bits", "highest supported ADC resolution",
                     [](Target& t) { return &t.analog.adc.maxBits; }, 2, 32),
        integerField("analog.adc.count", "ADCs", "ADCs per array; each converts cols/count columns in turn",
                     [](Target& t) { return &t.analog.adc.count; }),
        numberField("analog.adc.conversion_ns", "ns", "one ADC conversion", [](Target& t) { return &t.analog.adc.conversionNs; }),
        numberField("analog.mvm.setup_ns", "ns", "fixed time of one MVM", [](Target& t) { return &t.analog.mvm.setupNs; }, true),
        numberField("analog.mvm.ns_per_input_bit", "ns", "one bit-serial input cycle of an MVM",
                    [](Target& t) { return &t.analog.mvm.nsPerInputBit; }),
        numberField("processor.clock_mhz", "MHz", "tile processor clock", [](Target& t) { return &t.processor.clockMhz; }),
        integerField("processor.word_bits", "bits", "tile processor word", [](Target& t) { return &t.processor.wordBits; }, 8, 64),
        integerField("simd.lanes", "lanes", "SIMD vector engine lanes per tile", [](Target& t) { return &t.simd.lanes; }),
        numberField("simd.clock_mhz", "MHz", "SIMD engine clock", [](Target& t) { return &t.simd.clockMhz; }),
        integerField("simd.int_bits", "bits", "widest SIMD integer", [](Target& t) { return &t.simd.intBits; }, 8, 64),
        integerField("noc.link_bytes_per_cycle", "bytes/cycle", "one mesh link, one direction",
                     [](Target& t) { return &t.noc.linkBytesPerCycle; }),
        numberField("noc.clock_mhz", "MHz", "network-on-chip clock", [](Target& t) { return &t.noc.clockMhz; }),
        integerField("noc.hop_latency_cycles", "cycles", "latency of one router hop",
                     [](Target& t) { return &t.noc.hopLatencyCycles; }, 0, kAny),
        integerField("host.pcie_gen", "gen", "PCIe generation of the host link", [](Target& t) { return &t.host.pcieGen; }, 1, 6),
        integerField("host.pcie_lanes", "lanes", "PCIe lanes", [](Target& t) { return &t.host.pcieLanes; }, 1, 32),
        numberField("host.bandwidth_gb_s", "GB/s", "host link bandwidth, one direction",
                    [](Target& t) { return &t.host.bandwidthGBs; }),
        numberField("energy.analog_mac_pj_per_input_bit", "pJ", "one cell, one input-bit cycle; an a-bit MAC costs a x this",
                    [](Target& t) { return &t.energy.analogMacPjPerInputBit; }, true),
        numberField("energy.adc_conversion_pj", "pJ", "one ADC conversion at adc.max_bits; halves per bit fewer",
                    [](Target& t) { return &t.energy.adcConversionPj; }, true),
        numberField("energy.simd_op_pj", "pJ", "one SIMD lane operation", [](Target& t) { return &t.energy.simdOpPj; }, true),
        numberField("energy.sram_byte_pj", "pJ", "one SRAM byte read or written",
                    [](Target& t) { return &t.energy.sramBytePj; }, true),
        numberField("energy.noc_byte_hop_pj", "pJ", "one byte over one mesh link",
                    [](Target& t) { return &t.energy.nocByteHopPj; }, true),
        numberField("energy.static_w", "W", "static (leakage and always-on) power", [](Target& t) { return &t.energy.staticW; }, true),
        numberField("energy.typical_w", "W", "typical total power running a network", [](Target& t) { return &t.energy.typicalW; }),
    };
}

} // namespace

const char* const kSpecialKeys[] = {"format", "version", "name", "description", "tiles.disabled", "sources"};
const size_t kSpecialKeyCount = sizeof(kSpecialKeys) / sizeof(kSpecialKeys[0]);

const std::vector<FieldRow>& fieldTable()
{
    static const std::vector<FieldRow> table = makeTable();
    return table;
}

const FieldRow* findField(const std::string& path)
{
    for (const FieldRow& row : fieldTable())
        if (path == row.path)
            return &row;
    return nullptr;
}

std::string expectation(const FieldRow& row)
{
    if (row.number)
        return row.allowZero ? "a number >= 0" : "a positive number";
    if (row.hi == std::numeric_limits<int64_t>::max())
        return row.lo == 1 ? "a positive integer" : strCat("an integer >= ", row.lo);
    return strCat("an integer in [", row.lo, ", ", row.hi, "]");
}

nlohmann::json fieldJson(const FieldRow& row, const Target& target)
{
    Target& t = const_cast<Target&>(target); // the references only read here
    return row.integer ? nlohmann::json(*row.integer(t)) : nlohmann::json(*row.number(t));
}

} // namespace targetdetail

std::vector<TargetFieldInfo> targetFields()
{
    std::vector<TargetFieldInfo> out;
    for (const targetdetail::FieldRow& row : targetdetail::fieldTable())
        out.push_back({row.path, row.unit, row.meaning});
    return out;
}

std::string targetFieldValue(const Target& target, const std::string& path)
{
    const targetdetail::FieldRow* row = targetdetail::findField(path);
    if (!row)
        fail("no target field '", path, "'");
    return targetdetail::fieldJson(*row, target).dump();
}

} // namespace tessera

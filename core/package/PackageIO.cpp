// The .tpkg byte layout (docs/package-format.md): file header, then the sections in a fixed
// order, each written and read by one pair of functions so the two stay mirror images.
#include "core/package/PackageIO.h"

#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/package/PackageSections.h"

#include <xxhash.h>

#include <cstring>

namespace tessera::package {

namespace {

using namespace detail;

constexpr uint64_t kMaxLayers = uint64_t(1) << 16;
constexpr uint64_t kMaxColumns = uint64_t(1) << 24;
constexpr uint64_t kMaxLevels = uint64_t(1) << 34;
constexpr uint64_t kMaxArrays = uint64_t(1) << 20;
constexpr uint64_t kMaxBlocks = uint64_t(1) << 20;
constexpr uint64_t kMaxPrograms = uint64_t(1) << 16;
constexpr uint64_t kMaxInstructions = uint64_t(1) << 24;
constexpr uint64_t kInstructionBytes = 8 + 8 * kMaxOperands;

// ---- header ----
void writeHeader(Writer& w, const Package& pkg)
{
    const PackageHeader& h = pkg.header;
    w.str(h.tesseraVersion);
    w.str(h.modelName);
    w.str(h.modelHash);
    w.str(h.specHash);
    const TargetSummary& t = h.target;
    w.str(t.name);
    w.str(t.hash);
    w.str(t.json);
    for (int64_t v : {t.tiles, t.arraysPerTile, t.arrayRows, t.arrayCols, t.sramBytes})
        w.i64(v);
}
void readHeader(Reader& r, Package& pkg)
{
    PackageHeader& h = pkg.header;
    h.tesseraVersion = r.str("Tessera version", kMaxNameBytes);
    h.modelName = r.str("model name", kMaxNameBytes);
    h.modelHash = r.str("model hash", kMaxNameBytes);
    h.specHash = r.str("spec hash", kMaxNameBytes);
    TargetSummary& t = h.target;
    t.name = r.str("target name", kMaxNameBytes);
    t.hash = r.str("target hash", kMaxNameBytes);
    t.json = r.str("target JSON", kMaxJsonBytes);
    for (int64_t* v : {&t.tiles, &t.arraysPerTile, &t.arrayRows, &t.arrayCols, &t.sramBytes})
        *v = r.i64();
}

// ---- layers ----
void writeLayer(Writer& w, const PackageLayer& l)
{
    const analog::ProgrammedLayer& prog = l.programmed;
    const analog::AnalogLayerParams& p = prog.params;
    w.str(p.name);
    w.i64(p.rows);
    w.i64(p.cols);
    w.i64(p.groups);
    w.i32(p.numerics.weightBits);
    w.i32(p.numerics.inputBits);
    w.flag(p.numerics.inputSigned);
    w.i32(p.numerics.adcBits);
    w.i64(p.numerics.adcRange);
    w.i64(p.numerics.rowsPerBlock);
    w.f64(p.inputScale);
    w.u64(p.weightScales.size());
    for (double s : p.weightScales)
        w.f64(s);
    w.f64(p.output.scale);
    w.i32(p.output.bits);
    w.flag(p.output.isSigned);
    w.f64(p.output.clampLo);
    w.f64(p.output.clampHi);
    w.u64(prog.levels.size());
    w.bytes(prog.levels.data(), prog.levels.size());
    w.i64s(prog.biasCodes);
    w.u64(prog.requant.size());
    for (const analog::Requantizer& q : prog.requant) {
        w.i64(q.multiplier);
        w.i32(q.shift);
    }
    w.u64(prog.adcShifts.size());
    for (int s : prog.adcShifts)
        w.i32(s);
    w.i64(prog.adcMax);
    for (int64_t v : {l.colsPerBlock, l.replicas, l.inputTensor, l.outputTensor})
        w.i64(v);
    w.str(l.opType);
    writeAttributes(w, l.attributes);
    w.i64s(l.weightShape);
    for (int64_t v : {l.colsPerOutChannel, l.rowsPerInChannel, l.vectorsPerFrame})
        w.i64(v);
    w.flag(l.sumBeforeEpilogue);
    w.i64s(l.channelBias);
    w.flag(l.simd);
    w.i64(p.numerics.inputZeroPoint); // format 3
    w.i64(p.output.zeroPoint);
}
void readLayer(Reader& r, PackageLayer& l, uint32_t version)
{
    analog::ProgrammedLayer& prog = l.programmed;
    analog::AnalogLayerParams& p = prog.params;
    p.name = r.str("layer name", kMaxNameBytes);
    p.rows = r.i64();
    p.cols = r.i64();
    p.groups = r.i64();
    p.numerics.weightBits = r.i32();
    p.numerics.inputBits = r.i32();
    p.numerics.inputSigned = r.flag("input signed");
    p.numerics.adcBits = r.i32();
    p.numerics.adcRange = r.i64();
    p.numerics.rowsPerBlock = r.i64();
    p.inputScale = r.f64();
    p.weightScales = readList<double>(r, "weight scales", kMaxColumns, 8, [](Reader& rr, double& s) { s = rr.f64(); });
    p.output.scale = r.f64();
    p.output.bits = r.i32();
    p.output.isSigned = r.flag("output signed");
    p.output.clampLo = r.f64();
    p.output.clampHi = r.f64();
    prog.levels.resize(r.count("weight levels", kMaxLevels, 1));
    r.bytes(prog.levels.data(), prog.levels.size());
    prog.biasCodes = r.i64s("bias codes", kMaxColumns);
    prog.requant = readList<analog::Requantizer>(r, "requantizers", kMaxColumns, 12,
                                                 [](Reader& rr, analog::Requantizer& q) {
                                                     q.multiplier = rr.i64();
                                                     q.shift = rr.i32();
                                                 });
    prog.adcShifts = readList<int>(r, "ADC shifts", kMaxColumns, 4, [](Reader& rr, int& s) { s = rr.i32(); });
    prog.adcMax = r.i64();
    for (int64_t* v : {&l.colsPerBlock, &l.replicas, &l.inputTensor, &l.outputTensor})
        *v = r.i64();
    l.opType = r.str("layer op type", kMaxNameBytes);
    l.attributes = readAttributes(r);
    l.weightShape = r.i64s("weight dims", kMaxRank);
    for (int64_t* v : {&l.colsPerOutChannel, &l.rowsPerInChannel, &l.vectorsPerFrame})
        *v = r.i64();
    l.sumBeforeEpilogue = r.flag("sum before epilogue");
    l.channelBias = r.i64s("channel bias codes", kMaxColumns);
    l.simd = r.flag("simd");
    if (version >= 3) { // format 2 had no zero points
        p.numerics.inputZeroPoint = r.i64();
        p.output.zeroPoint = r.i64();
    }
}
void writeLayers(Writer& w, const Package& pkg)
{
    w.u64(pkg.layers.size());
    for (const PackageLayer& l : pkg.layers)
        writeLayer(w, l);
}
void readLayers(Reader& r, Package& pkg)
{
    const uint32_t version = pkg.header.formatVersion;
    pkg.layers = readList<PackageLayer>(r, "layers", kMaxLayers, 64,
                                        [version](Reader& rr, PackageLayer& l) { readLayer(rr, l, version); });
}

// ---- arrays ----
void writeArrays(Writer& w, const Package& pkg)
{
    w.u64(pkg.arrays.size());
    for (const ArrayImage& a : pkg.arrays) {
        for (int64_t v : {a.tile, a.array, a.rows, a.cols})
            w.i64(v);
        w.u64(a.blocks.size());
        for (const PlacedBlock& b : a.blocks)
            for (int64_t v : {b.layer, b.rowBegin, b.rowEnd, b.colBegin, b.colEnd, b.group, b.replica, b.row0, b.col0})
                w.i64(v);
    }
}
void readArray(Reader& r, ArrayImage& a)
{
    for (int64_t* v : {&a.tile, &a.array, &a.rows, &a.cols})
        *v = r.i64();
    a.blocks = readList<PlacedBlock>(r, "placed blocks", kMaxBlocks, 72, [](Reader& rr, PlacedBlock& b) {
        for (int64_t* v : {&b.layer, &b.rowBegin, &b.rowEnd, &b.colBegin, &b.colEnd, &b.group, &b.replica, &b.row0,
                           &b.col0})
            *v = rr.i64();
    });
}
void readArrays(Reader& r, Package& pkg) { pkg.arrays = readList<ArrayImage>(r, "arrays", kMaxArrays, 40, readArray); }

// ---- programs ----
void writePrograms(Writer& w, const Package& pkg)
{
    w.u64(pkg.programs.size());
    for (const TileProgram& p : pkg.programs) {
        w.i64(p.tile);
        w.u64(p.code.size());
        for (const Instruction& ins : p.code) {
            w.u32(static_cast<uint32_t>(ins.op));
            w.u32(0);
            for (int64_t v : ins.a)
                w.i64(v);
        }
    }
}
void readInstruction(Reader& r, Instruction& ins)
{
    uint32_t op = r.u32();
    if (op >= static_cast<uint32_t>(kOpcodeCount))
        r.bad("unknown opcode ", op, " (this reader knows 0-", kOpcodeCount - 1, ")");
    ins.op = static_cast<Opcode>(op);
    if (uint32_t reserved = r.u32(); reserved != 0)
        r.bad("reserved instruction field is ", reserved, ", must be 0");
    for (int64_t& v : ins.a)
        v = r.i64();
}
void readPrograms(Reader& r, Package& pkg)
{
    pkg.programs = readList<TileProgram>(r, "tile programs", kMaxPrograms, 16, [](Reader& rr, TileProgram& p) {
        p.tile = rr.i64();
        p.code = readList<Instruction>(rr, "instructions", kMaxInstructions, kInstructionBytes, readInstruction);
    });
}

struct SectionDef {
    char tag[5];
    const char* name;
    void (*write)(Writer&, const Package&);
    void (*read)(Reader&, Package&);
};
// Format versions 2 and 3: exactly these sections, in this order (3 adds zero points to layers and tensors).
const SectionDef kSections[] = {
    {"HEAD", "header", writeHeader, readHeader},       {"NOIS", "noise", writeNoise, readNoise},
    {"LAYR", "layers", writeLayers, readLayers},       {"ARRY", "arrays", writeArrays, readArrays},
    {"PROG", "programs", writePrograms, readPrograms}, {"DOPS", "digital", writeDigitalOps, readDigitalOps},
    {"TENS", "tensors", writeTensors, readTensors},    {"IOIO", "io", writeIo, readIo},
};
constexpr uint32_t kSectionCount = sizeof(kSections) / sizeof(kSections[0]);

uint64_t loadU64(const std::string& bytes, size_t at)
{
    Reader r("", "", bytes.data() + at, 8, at);
    return r.u64();
}

std::string printableTag(const char* p)
{
    std::string s;
    for (int i = 0; i < 4; ++i)
        s += (p[i] >= 32 && p[i] < 127) ? p[i] : '?';
    return s;
}

// Walks section headers from byte kFileHeaderBytes over the bytes present; returns the
// offset of section `i`'s header (i == kSectionCount: the end). Throws on truncation.
size_t sectionStart(const std::string& bytes, const std::string& label, uint32_t upTo)
{
    size_t pos = kFileHeaderBytes;
    const size_t size = bytes.size();
    for (uint32_t i = 0; i < upTo; ++i) {
        const SectionDef& s = kSections[i];
        if (size - pos < kSectionHeaderBytes)
            fail(label, ": truncated at byte ", size, " (section '", s.name, "' header needs ",
                 kSectionHeaderBytes - (size - pos), " more bytes)");
        if (std::memcmp(bytes.data() + pos, s.tag, 4) != 0)
            fail(label, ": expected section '", s.name, "' (", s.tag, ") at byte ", pos, ", found '",
                 printableTag(bytes.data() + pos), "' (corrupt package)");
        uint64_t length = loadU64(bytes, pos + 4);
        size_t avail = size - pos - kSectionHeaderBytes;
        if (length > avail)
            fail(label, ": truncated at byte ", size, " (section '", s.name, "' needs ", length - avail, " more bytes)");
        pos += kSectionHeaderBytes + length;
    }
    return pos;
}

void checkFileHeader(const std::string& bytes, const std::string& label, const ReadOptions& options, uint32_t& version)
{
    const size_t size = bytes.size();
    if (size < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
        fail(label, ": not a Tessera package (the file does not start with \"TPKG\")");
    if (size < kFileHeaderBytes)
        fail(label, ": truncated at byte ", size, " (the file header needs ", kFileHeaderBytes - size, " more bytes)");
    Reader head(label, "file header", bytes.data() + 4, kFileHeaderBytes - 4, 4);
    version = head.u32();
    if (version < kMinFormatVersion || version > kFormatVersion)
        fail(label, ": package format ", version, ", this reader supports ", kMinFormatVersion, "-", kFormatVersion);
    uint32_t sections = head.u32();
    if (sections != kSectionCount)
        fail(label, ": ", sections, " sections, package format ", version, " has ", kSectionCount, " (corrupt package)");
    if (uint32_t flags = head.u32(); flags != 0)
        fail(label, ": unknown header flags ", flags, " (corrupt package)");
    const uint64_t payload = head.u64();
    const uint64_t checksum = head.u64();
    const uint64_t have = size - kFileHeaderBytes;
    if (payload > have) {
        sectionStart(bytes, label, kSectionCount); // names the truncated section
        fail(label, ": truncated at byte ", size, " (the payload needs ", payload - have, " more bytes)");
    }
    if (payload < have)
        fail(label, ": ", have - payload, " unexpected bytes after the last section (at byte ",
             kFileHeaderBytes + payload, ")");
    if (options.verifyChecksum && XXH3_64bits(bytes.data() + kFileHeaderBytes, payload) != checksum)
        fail(label, ": checksum mismatch (file is corrupt)");
}

std::string serializeChecked(const Package& pkg, const std::string& label)
{
    validatePackage(pkg, label);
    Writer payload;
    for (const SectionDef& s : kSections) {
        Writer body;
        s.write(body, pkg);
        payload.bytes(s.tag, 4);
        payload.u64(body.out().size());
        payload.bytes(body.out().data(), body.out().size());
    }
    const std::string& p = payload.out();
    Writer file;
    file.bytes(kMagic, 4);
    file.u32(kFormatVersion);
    file.u32(kSectionCount);
    file.u32(0);
    file.u64(p.size());
    file.u64(XXH3_64bits(p.data(), p.size()));
    file.bytes(p.data(), p.size());
    return std::move(file.out());
}

} // namespace

std::string serializePackage(const Package& pkg) { return serializeChecked(pkg, "package"); }

void writePackage(const std::string& path, const Package& pkg) { writeFileAtomic(path, serializeChecked(pkg, path)); }

Package parsePackage(const std::string& bytes, const std::string& label, const ReadOptions& options)
{
    Package pkg;
    checkFileHeader(bytes, label, options, pkg.header.formatVersion);
    size_t pos = kFileHeaderBytes;
    for (uint32_t i = 0; i < kSectionCount; ++i) {
        const SectionDef& s = kSections[i];
        sectionStart(bytes, label, i + 1); // the section is complete and has the right tag
        const uint64_t length = loadU64(bytes, pos + 4);
        Reader r(label, s.name, bytes.data() + pos + kSectionHeaderBytes, length, pos + kSectionHeaderBytes);
        s.read(r, pkg);
        r.finish();
        const std::string& built = pkg.header.target.name;
        if (i == 0 && !options.expectedTarget.empty() && built != options.expectedTarget)
            fail(label, ": built for target '", built, "', the device is '", options.expectedTarget, "'");
        pos += kSectionHeaderBytes + length;
    }
    if (pos != bytes.size())
        fail(label, ": ", bytes.size() - pos, " unexpected bytes after the last section (at byte ", pos, ")");
    validatePackage(pkg, label);
    return pkg;
}

Package readPackage(const std::string& path, const std::string& expectedTarget)
{
    ReadOptions options;
    options.expectedTarget = expectedTarget;
    return parsePackage(readFileBytes(path), path, options);
}

std::vector<SectionInfo> sectionLayout(const Package& pkg)
{
    std::vector<SectionInfo> out;
    uint64_t offset = kFileHeaderBytes;
    for (const SectionDef& s : kSections) {
        Writer body;
        s.write(body, pkg);
        out.push_back({s.tag, s.name, offset, body.out().size()});
        offset += kSectionHeaderBytes + body.out().size();
    }
    return out;
}

} // namespace tessera::package

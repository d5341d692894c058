// Deployment packages (.tpkg): a hand-built package survives write -> read field for
// field and byte for byte; every kind of damage (corrupt byte, truncation, other version,
// other target, not a package, huge declared counts, 1,000 random mutations) gives one
// clean error naming the file, never a crash or a big allocation; a full disk keeps the
// old file. Layout constants come from docs/package-format.md, not from the reader.
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/package/PackageIO.h"
#include "core/package/PackageText.h"
#include "core/target/Target.h"
#include "tests/core/PackageFixture.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sys/mount.h>
#include <sys/resource.h>
#include <xxhash.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <random>

using namespace tessera;
using namespace tessera::package;

namespace {

// The error parsePackage(bytes) gives ("" when it parses).
std::string parseError(const std::string& bytes, bool verifyChecksum = true, const std::string& label = "m.tpkg")
{
    ReadOptions options;
    options.verifyChecksum = verifyChecksum;
    try {
        parsePackage(bytes, label, options);
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

void expectError(const std::string& message, const std::string& part)
{
    QVERIFY2(message.rfind("m.tpkg: ", 0) == 0, message.c_str());
    QVERIFY2(message.find(part) != std::string::npos, (message + "   [expected: " + part + "]").c_str());
}

void putU64(std::string& bytes, size_t at, uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        bytes[at + i] = static_cast<char>(v >> (8 * i));
}

// Recomputes the payload checksum (file header bytes 24..31, docs/package-format.md).
void reseal(std::string& bytes)
{
    putU64(bytes, 24, XXH3_64bits(bytes.data() + 32, bytes.size() - 32));
}

template <class A, class B>
void compareTables(const A& a, const B& b)
{
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        QVERIFY(a[i] == b[i]);
}

std::string attributesText(const Attributes& a)
{
    std::string s;
    for (const auto& [name, value] : a.all())
        s += name + "=" + attrValueToString(value) + ";";
    return s;
}

void compareLayer(const PackageLayer& x, const PackageLayer& y)
{
    const analog::AnalogLayerParams &p = x.programmed.params, &q = y.programmed.params;
    QCOMPARE(p.name, q.name);
    QCOMPARE(std::vector<int64_t>({p.rows, p.cols, p.groups, p.numerics.adcRange, p.numerics.rowsPerBlock}),
             std::vector<int64_t>({q.rows, q.cols, q.groups, q.numerics.adcRange, q.numerics.rowsPerBlock}));
    QCOMPARE(std::vector<int>({p.numerics.weightBits, p.numerics.inputBits, p.numerics.adcBits, p.output.bits}),
             std::vector<int>({q.numerics.weightBits, q.numerics.inputBits, q.numerics.adcBits, q.output.bits}));
    QCOMPARE(p.numerics.inputSigned, q.numerics.inputSigned);
    QCOMPARE(p.output.isSigned, q.output.isSigned);
    QCOMPARE(p.numerics.inputZeroPoint, q.numerics.inputZeroPoint);
    QCOMPARE(p.output.zeroPoint, q.output.zeroPoint);
    QCOMPARE(std::vector<double>({p.inputScale, p.output.scale, p.output.clampLo, p.output.clampHi}),
             std::vector<double>({q.inputScale, q.output.scale, q.output.clampLo, q.output.clampHi}));
    QCOMPARE(p.weightScales, q.weightScales);
    QCOMPARE(x.programmed.levels, y.programmed.levels);
    QCOMPARE(x.programmed.biasCodes, y.programmed.biasCodes);
    QCOMPARE(x.programmed.requant.size(), y.programmed.requant.size());
    for (size_t i = 0; i < x.programmed.requant.size(); ++i) {
        QCOMPARE(x.programmed.requant[i].multiplier, y.programmed.requant[i].multiplier);
        QCOMPARE(x.programmed.requant[i].shift, y.programmed.requant[i].shift);
    }
    QCOMPARE(x.programmed.adcShifts, y.programmed.adcShifts);
    QCOMPARE(x.programmed.adcMax, y.programmed.adcMax);
    QCOMPARE(std::vector<int64_t>({x.colsPerBlock, x.replicas, x.inputTensor, x.outputTensor, x.colsPerOutChannel,
                                   x.rowsPerInChannel, x.vectorsPerFrame}),
             std::vector<int64_t>({y.colsPerBlock, y.replicas, y.inputTensor, y.outputTensor, y.colsPerOutChannel,
                                   y.rowsPerInChannel, y.vectorsPerFrame}));
    QCOMPARE(x.opType, y.opType);
    QCOMPARE(attributesText(x.attributes), attributesText(y.attributes));
    QCOMPARE(x.weightShape, y.weightShape);
    QCOMPARE(x.sumBeforeEpilogue, y.sumBeforeEpilogue);
    QCOMPARE(x.simd, y.simd);
    QCOMPARE(x.channelBias, y.channelBias);
}

std::vector<int64_t> blockFields(const PlacedBlock& b)
{
    return {b.layer, b.rowBegin, b.rowEnd, b.colBegin, b.colEnd, b.group, b.replica, b.row0, b.col0};
}

void compareArrays(const ArrayImage& x, const ArrayImage& y)
{
    QCOMPARE(std::vector<int64_t>({x.tile, x.array, x.rows, x.cols}), std::vector<int64_t>({y.tile, y.array, y.rows, y.cols}));
    QCOMPARE(x.blocks.size(), y.blocks.size());
    for (size_t i = 0; i < x.blocks.size(); ++i)
        QCOMPARE(blockFields(x.blocks[i]), blockFields(y.blocks[i]));
}

void compareTensors(const PackageTensor& x, const PackageTensor& y)
{
    QCOMPARE(x.id, y.id);
    QCOMPARE(x.name, y.name);
    QCOMPARE(x.shape, y.shape);
    QCOMPARE(int(x.type), int(y.type));
    QCOMPARE(int(x.compute), int(y.compute));
    QCOMPARE(x.quant.quantized, y.quant.quantized);
    QCOMPARE(x.quant.scale, y.quant.scale);
    QCOMPARE(x.quant.bits, y.quant.bits);
    QCOMPARE(x.quant.isSigned, y.quant.isSigned);
    QCOMPARE(x.quant.zeroPoint, y.quant.zeroPoint);
    QCOMPARE(x.placements.size(), y.placements.size());
    for (size_t i = 0; i < x.placements.size(); ++i)
        QCOMPARE(std::vector<int64_t>({x.placements[i].tile, x.placements[i].offset, x.placements[i].bytes}),
                 std::vector<int64_t>({y.placements[i].tile, y.placements[i].offset, y.placements[i].bytes}));
}

void comparePrograms(const TileProgram& x, const TileProgram& y)
{
    QCOMPARE(x.tile, y.tile);
    QCOMPARE(x.code.size(), y.code.size());
    for (size_t i = 0; i < x.code.size(); ++i) {
        QCOMPARE(int(x.code[i].op), int(y.code[i].op));
        QVERIFY(x.code[i].a == y.code[i].a);
    }
}

void comparePackages(const Package& x, const Package& y)
{
    const PackageHeader &h = x.header, &g = y.header;
    QCOMPARE(std::vector<std::string>({h.tesseraVersion, h.modelName, h.modelHash, h.specHash, h.target.name,
                                       h.target.hash, h.target.json}),
             std::vector<std::string>({g.tesseraVersion, g.modelName, g.modelHash, g.specHash, g.target.name,
                                       g.target.hash, g.target.json}));
    QCOMPARE(std::vector<int64_t>({h.target.tiles, h.target.arraysPerTile, h.target.arrayRows, h.target.arrayCols,
                                   h.target.sramBytes}),
             std::vector<int64_t>({g.target.tiles, g.target.arraysPerTile, g.target.arrayRows, g.target.arrayCols,
                                   g.target.sramBytes}));
    QCOMPARE(std::vector<double>({x.nonIdealities.weightProgramNoise, x.nonIdealities.readNoise, x.nonIdealities.adcOffset}),
             std::vector<double>({y.nonIdealities.weightProgramNoise, y.nonIdealities.readNoise, y.nonIdealities.adcOffset}));
    QCOMPARE(x.nonIdealities.seed, y.nonIdealities.seed);
    QCOMPARE(x.layers.size(), y.layers.size());
    for (size_t i = 0; i < x.layers.size(); ++i)
        compareLayer(x.layers[i], y.layers[i]);
    QCOMPARE(x.arrays.size(), y.arrays.size());
    for (size_t i = 0; i < x.arrays.size(); ++i)
        compareArrays(x.arrays[i], y.arrays[i]);
    QCOMPARE(x.programs.size(), y.programs.size());
    for (size_t i = 0; i < x.programs.size(); ++i)
        comparePrograms(x.programs[i], y.programs[i]);
    QCOMPARE(x.digitalOps.size(), y.digitalOps.size());
    for (size_t i = 0; i < x.digitalOps.size(); ++i) {
        const DigitalOp &a = x.digitalOps[i], &b = y.digitalOps[i];
        QCOMPARE(a.name, b.name);
        QCOMPARE(a.opType, b.opType);
        QCOMPARE(attributesText(a.attributes), attributesText(b.attributes));
        QCOMPARE(a.inputs, b.inputs);
        QCOMPARE(a.constants.size(), b.constants.size());
        for (size_t c = 0; c < a.constants.size(); ++c) {
            QCOMPARE(a.constants[c].slot, b.constants[c].slot);
            QCOMPARE(a.constants[c].value.shape(), b.constants[c].value.shape());
            QVERIFY(std::memcmp(a.constants[c].value.rawData(), b.constants[c].value.rawData(),
                                a.constants[c].value.byteSize()) == 0);
        }
        QCOMPARE(a.outputs, b.outputs);
        QCOMPARE(a.tile, b.tile);
    }
    QCOMPARE(x.tensors.size(), y.tensors.size());
    for (size_t i = 0; i < x.tensors.size(); ++i)
        compareTensors(x.tensors[i], y.tensors[i]);
    QCOMPARE(x.inputs, y.inputs);
    QCOMPARE(x.outputs, y.outputs);
}

// The error serializePackage gives for the fixture with one edit.
std::string editError(const std::function<void(Package&)>& edit)
{
    Package pkg = testing::fixturePackage();
    edit(pkg);
    try {
        serializePackage(pkg);
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

void expectEditError(const std::function<void(Package&)>& edit, const std::string& part)
{
    const std::string message = editError(edit);
    QVERIFY2(message.find(part) != std::string::npos, (message + "   [expected: " + part + "]").c_str());
}

// Byte offset of layer 0's weight-level count (docs/package-format.md, section LAYR).
size_t levelCountOffset(const Package& pkg)
{
    const analog::AnalogLayerParams& p = pkg.layers[0].programmed.params;
    return sectionLayout(pkg)[2].offset + 12 + 8 + 4 + p.name.size() + 24 + 13 + 16 + 8 + 8 + 8 * p.cols + 29;
}

} // namespace

class TestPackage : public QObject {
    Q_OBJECT

private slots:
    void opcodeTableIsInOpcodeOrder()
    {
        for (int i = 0; i < kOpcodeCount; ++i)
            QCOMPARE(int(opcodeInfo(static_cast<Opcode>(i)).op), i);
        QCOMPARE(std::string(opcodeInfo(Opcode::Drive).name), std::string("DRIVE"));
        QCOMPARE(std::string(opcodeInfo(Opcode::Matvec).name), std::string("MATVEC"));
    }

    void targetSummaryComesFromTheTarget()
    {
        const Target target = loadTarget("m1076");
        const TargetSummary s = summarizeTarget(target);
        QCOMPARE(s.name, std::string("m1076"));
        QCOMPARE(std::vector<int64_t>({s.tiles, s.arraysPerTile, s.arrayRows, s.arrayCols, s.sramBytes}),
                 std::vector<int64_t>({76, 1, 1024, 1024, 262144})); // resources/targets/m1076.json
        QCOMPARE(s.json, targetText(target));
        QVERIFY(s.hash.rfind("xxh3-64:", 0) == 0 && s.hash.size() == 8 + 16);
        QVERIFY(summarizeTarget(target, false).json.empty());
        Target other = target;
        other.tiles.sramBytes /= 2;
        QVERIFY(summarizeTarget(other).hash != s.hash);
    }

    void writeReadKeepsEveryField()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.tpkg").toStdString();
        const Package pkg = testing::fixturePackage();
        writePackage(path, pkg);
        const Package back = readPackage(path, "tiny");
        QCOMPARE(back.header.formatVersion, 3u);
        comparePackages(pkg, back);
    }

    // Format 3's zero points (offset codes, core/analog/Numerics.h) of tensors and layers.
    void zeroPointsRoundTrip()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("z.tpkg").toStdString();
        Package pkg = testing::fixturePackage();
        int64_t z = 3, set = 0;
        for (PackageTensor& t : pkg.tensors)
            if (t.quant.quantized && !t.quant.isSigned)
                t.quant.zeroPoint = z++, ++set;
        for (PackageLayer& l : pkg.layers)
            if (!l.programmed.params.numerics.inputSigned)
                l.programmed.params.numerics.inputZeroPoint = z++, ++set;
        QVERIFY(set >= 2);
        writePackage(path, pkg);
        comparePackages(pkg, readPackage(path, "tiny"));
    }

    void writingTwiceGivesIdenticalBytes()
    {
        QTemporaryDir dir;
        const std::string a = dir.filePath("a.tpkg").toStdString(), b = dir.filePath("b.tpkg").toStdString();
        writePackage(a, testing::fixturePackage());
        writePackage(b, testing::fixturePackage());
        const std::string bytes = readFileBytes(a);
        QCOMPARE(bytes, readFileBytes(b));
        QCOMPARE(bytes.substr(0, 4), std::string("TPKG"));
        QCOMPARE(serializePackage(readPackage(a)), bytes); // read -> write is the identity
    }

    void corruptByteInEachSectionIsACheckMismatch()
    {
        const Package pkg = testing::fixturePackage();
        const std::string good = serializePackage(pkg);
        for (const SectionInfo& s : sectionLayout(pkg)) {
            QVERIFY2(s.bytes > 0, s.name.c_str());
            std::string bad = good;
            bad[s.offset + 12 + s.bytes / 2] ^= 0x20;
            QCOMPARE(parseError(bad), std::string("m.tpkg: checksum mismatch (file is corrupt)"));
        }
    }

    void everyTruncationIsACleanError()
    {
        const Package pkg = testing::fixturePackage();
        const std::string good = serializePackage(pkg);
        for (size_t size = 0; size < good.size(); size += 7)
            for (bool checksum : {true, false}) {
                const std::string message = parseError(good.substr(0, size), checksum);
                expectError(message, size < 4 ? "not a Tessera package" : "truncated at byte " + std::to_string(size));
            }
        const SectionInfo arrays = sectionLayout(pkg)[3];
        const size_t cut = arrays.offset + 12 + 10;
        QCOMPARE(parseError(good.substr(0, cut)), "m.tpkg: truncated at byte " + std::to_string(cut) +
                                                      " (section 'arrays' needs " + std::to_string(arrays.bytes - 10) +
                                                      " more bytes)");
    }

    void otherFormatVersionNamesBoth()
    {
        std::string bytes = serializePackage(testing::fixturePackage());
        bytes[4] = 4;
        QCOMPARE(parseError(bytes), std::string("m.tpkg: package format 4, this reader supports 2-3"));
    }

    void otherTargetNamesBoth()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.tpkg").toStdString();
        writePackage(path, testing::fixturePackage());
        try {
            readPackage(path, "m1076");
            QFAIL("read a package for another target");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), path + ": built for target 'tiny', the device is 'm1076'");
        }
    }

    void notAPackageSaysSo()
    {
        for (const std::string& text : {std::string(), std::string("TPK"), std::string("{\"format\": 1}"),
                                        std::string("\x08\x07\x12\x04onnx", 8)})
            expectError(parseError(text), "not a Tessera package");
        expectError(parseError(std::string("TPKG\x01\0\0\0", 8)), "truncated at byte 8 (the file header needs 24");
    }

    void wrongTagAndTrailingBytesAreNamed()
    {
        const Package pkg = testing::fixturePackage();
        const std::string good = serializePackage(pkg);
        std::string bytes = good;
        const SectionInfo arrays = sectionLayout(pkg)[3];
        bytes.replace(arrays.offset, 4, "ARRZ");
        reseal(bytes);
        QCOMPARE(parseError(bytes), "m.tpkg: expected section 'arrays' (ARRY) at byte " + std::to_string(arrays.offset) +
                                        ", found 'ARRZ' (corrupt package)");
        bytes = good + "xyz";
        QCOMPARE(parseError(bytes), "m.tpkg: 3 unexpected bytes after the last section (at byte " +
                                        std::to_string(good.size()) + ")");
    }

    void hugeDeclaredCountsFailFast()
    {
        const Package pkg = testing::fixturePackage();
        std::string bytes = serializePackage(pkg);
        putU64(bytes, levelCountOffset(pkg), uint64_t(1) << 33);
        reseal(bytes);
        const auto start = std::chrono::steady_clock::now();
        expectError(parseError(bytes), "declares 8589934592 weight levels");
        putU64(bytes, levelCountOffset(pkg), uint64_t(1) << 40);
        reseal(bytes);
        expectError(parseError(bytes), "declares 1099511627776 weight levels, the limit is 17179869184");
        putU64(bytes, sectionLayout(pkg)[2].offset + 12, ~uint64_t(0)); // the layer count
        expectError(parseError(bytes, false), "declares 18446744073709551615 layers");
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        QVERIFY2(ms < 50.0, qPrintable(QString("%1 ms").arg(ms)));
        // A 20-byte file that declares a huge payload.
        std::string tiny = bytes.substr(0, 20);
        putU64(tiny, 12, uint64_t(1) << 40);
        expectError(parseError(tiny), "truncated at byte 20");
    }

    void writerRefusesInvalidPackages()
    {
        expectEditError([](Package& p) { p.arrays[1].blocks.clear(); p.programs[0].code.erase(p.programs[0].code.begin() + 6, p.programs[0].code.begin() + 9); },
                        "layer 0 ('fc1') replica 0: 16 of 48 weights are not placed");
        expectEditError([](Package& p) { p.arrays[2].blocks[1].row0 = 0; p.arrays[2].blocks[1].col0 = 1; }, "blocks 0 and 1 use the same cells");
        expectEditError([](Package& p) { p.arrays[1].blocks[0].rowBegin = 9; }, "are not one whole row block");
        expectEditError([](Package& p) { p.programs[0].code[4] = mvm(0, 7); }, "tile 0 instruction 4 (MVM): block 7");
        expectEditError([](Package& p) { p.programs[0].code[5] = adc(1, 0); }, "(ADC): block 0 belongs to layer 0, the array drives layer -1");
        expectEditError([](Package& p) { std::swap(p.programs[0].code[4], p.programs[0].code[5]); }, "(ADC): block 0 was not multiplied");
        expectEditError([](Package& p) { p.programs[0].code[11] = sendTo(0, BufferKind::Tensor, 1); }, "peer tile 0 is this tile");
        expectEditError([](Package& p) { p.programs[1].code.pop_back(); }, "tile 1: the program does not end with HALT");
        expectEditError([](Package& p) { p.programs[0].code[0].op = static_cast<Opcode>(42); }, "unknown opcode 42");
        expectEditError([](Package& p) { p.programs[0].code[10].a[3] = 1; }, "(SCATTER): operand 3 must be 0");
        expectEditError([](Package& p) { p.programs[0].code[1] = gather(0, 0, 2); }, "vectors [0, 0 + 2) outside layer 'fc1' (1 per frame)");
        expectEditError([](Package& p) { p.programs[1].code[0] = recvFrom(0, BufferKind::Tensor, 2); },
                        "tile 1 instruction 0 (RECV) expects tensor 2 [0, +0) from tile 0, which sends tensor 1");
        expectEditError([](Package& p) { p.programs[0].code.erase(p.programs[0].code.begin() + 11); },
                        "the programs deadlock: tile 1 instruction 0 (RECV from tile 0)");
        expectEditError([](Package& p) { p.programs[1].code[12] = sendTo(kHostTile, BufferKind::Tensor, 3); }, "the host only receives the model's outputs");
        expectEditError([](Package& p) { p.digitalOps[0].constants[0].slot = 0; }, "constant input slot 0 is not an empty input slot");
        expectEditError([](Package& p) { p.tensors[1].placements[0].tile = 2; }, "tensor 1 ('hidden'): placement (tile 2");
        expectEditError([](Package& p) { p.layers[1].programmed.adcShifts.clear(); }, "0 ADC shifts for 1 row blocks");
        expectEditError([](Package& p) { p.layers[1].vectorsPerFrame = 0; }, "bad lowering");
    }

    void thousandMutationsGiveCleanErrors()
    {
        const std::string good = serializePackage(testing::fixturePackage());
        std::mt19937_64 rng(20261201);
        int parsed = 0;
        for (int i = 0; i < 1000; ++i) {
            std::string bytes = good;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const size_t at = rng() % bytes.size();
                switch (rng() % 4) {
                case 0: bytes[at] = static_cast<char>(rng()); break;                          // any byte
                case 1: if (at + 8 <= bytes.size()) putU64(bytes, at, rng() >> (rng() % 64)); break; // a count or size
                case 2: bytes.resize(at); break;                                                // truncate
                default: bytes.insert(at, std::string(1 + rng() % 16, static_cast<char>(rng()))); // insert
                }
                if (bytes.empty())
                    break;
            }
            for (bool checksum : {true, false}) {
                const std::string message = parseError(bytes, checksum);
                QVERIFY2(message.empty() || message.rfind("m.tpkg: ", 0) == 0, message.c_str());
                QVERIFY2(message.find('\n') == std::string::npos, message.c_str());
                parsed += message.empty();
            }
        }
        QVERIFY(parsed < 1000); // most mutations must be caught
    }

    void diskFullKeepsTheOldFile()
    {
        QTemporaryDir dir;
        const std::string mountPoint = dir.filePath("small").toStdString();
        std::filesystem::create_directory(mountPoint);
        if (::mount("tmpfs", mountPoint.c_str(), "tmpfs", 0, "size=64k") != 0)
            QSKIP("cannot mount a small tmpfs here (needs root); fileSizeLimitKeepsTheOldFile covers the failure path");
        const std::string path = mountPoint + "/m.tpkg";
        const std::string good = serializePackage(testing::fixturePackage());
        writeFileAtomic(path, good);
        std::string message;
        try {
            writeFileAtomic(path, std::string(1 << 20, 'x'));
        } catch (const Error& e) {
            message = e.what();
        }
        const bool unchanged = readFileBytes(path) == good;
        const auto entries = std::distance(std::filesystem::directory_iterator(mountPoint), {});
        ::umount(mountPoint.c_str());
        QVERIFY2(message.find(path + ": write failed after ") == 0 && message.find("(disk full)") != std::string::npos,
                 message.c_str());
        QVERIFY(unchanged);
        QCOMPARE(entries, 1); // no temporary file left behind
    }

    void fileSizeLimitKeepsTheOldFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.tpkg").toStdString();
        const std::string good = serializePackage(testing::fixturePackage());
        writePackage(path, testing::fixturePackage());
        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = old;
        small.rlim_cur = 1000;
        setrlimit(RLIMIT_FSIZE, &small);
        std::string message;
        try {
            writeFileAtomic(path, std::string(100000, 'x'));
        } catch (const Error& e) {
            message = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY2(message.find("write failed after 1000 of 100000 bytes (file size limit exceeded)") != std::string::npos,
                 message.c_str());
        QCOMPARE(readFileBytes(path), good);
        QCOMPARE(std::distance(std::filesystem::directory_iterator(dir.path().toStdString()), {}), 1);
    }

    void disassemblyNamesOperandsAndLayers()
    {
        const Package pkg = testing::fixturePackage();
        const std::string all = disassemble(pkg);
        for (const char* part : {"tile 0: 13 instructions\n",
                                 "  0004  MVM       array=0 block=0  ; layer 'fc1' rows [0,8) cols [0,4) group 0 replica 0\n",
                                 "  0008  ADC       array=1 block=0  ; layer 'fc1' rows [8,12) cols [0,4) group 0 replica 0 adc12 shift",
                                 "DIGITAL   op=1  ; Softmax 'softmax' axis=1",
                                 "SEND      tile=1 buffer=tensor id=1 v0=0 count=0  ; to tile 1: tensor 'hidden'"})
            QVERIFY2(all.find(part) != std::string::npos, (all + "\n[expected: " + part + "]").c_str());
        const std::string one = disassemble(pkg, 1);
        QVERIFY2(one.find("tile 0: 13 instructions") == std::string::npos &&
                     one.find("RECV      tile=0 buffer=tensor id=1 v0=0 count=0 add=0  ; from tile 0: tensor 'hidden'") != std::string::npos,
                 one.c_str());
        QVERIFY_THROWS_EXCEPTION(Error, disassemble(pkg, 5));
    }

    // tests/data/packages/tiny_v3.tpkg (the fixture, written once): packages written by an
    // earlier build stay readable, and read -> write reproduces them byte for byte.
    // TESSERA_UPDATE_GOLDEN=1 rewrites it (only when the format version changes).
    void committedPackageStillReads()
    {
        const std::string path = TESSERA_TEST_DATA "/packages/tiny_v3.tpkg";
        if (qEnvironmentVariableIsSet("TESSERA_UPDATE_GOLDEN"))
            writePackage(path, testing::fixturePackage());
        const std::string bytes = readFileBytes(path);
        const Package pkg = readPackage(path, "tiny");
        QCOMPARE(serializePackage(pkg), bytes);
        QCOMPARE(pkg.layers.size(), size_t(2));
        QCOMPARE(pkg.layers[1].programmed.params.name, std::string("gconv"));
        QCOMPARE(disassemble(pkg, 0), disassemble(testing::fixturePackage(), 0));
    }

    // tests/data/packages/tiny_v2.tpkg: format 2 (before zero points) still reads, with
    // every zero point 0, and equals the fixture.
    void formatTwoPackageStillReads()
    {
        const Package pkg = readPackage(TESSERA_TEST_DATA "/packages/tiny_v2.tpkg", "tiny");
        QCOMPARE(pkg.header.formatVersion, 2u);
        QCOMPARE(serializePackage(pkg), serializePackage(testing::fixturePackage()));
    }

    // tests/data/packages/tiny.tpkg: format 1 (not executable) is refused naming both versions.
    void formatOnePackageIsRefused()
    {
        const std::string path = TESSERA_TEST_DATA "/packages/tiny.tpkg";
        try {
            readPackage(path);
            QFAIL("read a format 1 package");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), path + ": package format 1, this reader supports 2-3");
        }
    }

    void infoSummarizesThePackage()
    {
        const std::string info = packageInfo(testing::fixturePackage());
        for (const char* part : {"target        tiny (xxh3-64:0123456789abcdef): 2 tiles, 2 arrays per tile of 8x8",
                                 "model         two_layers (xxh3-64:00000000deadbeef)", "layers        2",
                                 "  1  gconv  Conv  K=2 N=4 groups=2", "arrays used   3 of 4", "tiles used    2 of 2",
                                 "  input  [1,12] uint8  scale=0.1 bits=8 unsigned", "  ARRY  arrays  ", "noise         programming 0, read 0.02"})
            QVERIFY2(info.find(part) != std::string::npos, (info + "\n[expected: " + part + "]").c_str());
    }
};

QTEST_APPLESS_MAIN(TestPackage)
#include "test_package.moc"

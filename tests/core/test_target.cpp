// Hardware targets: the built-in presets load and their totals match the published figures
// of the chips (mythic.ai, shared/notes/analog-primer.md); files round-trip; every kind of
// bad input gives an error naming the file and the key.
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/target/Target.h"

#include <QTemporaryDir>
#include <QtTest>

#include <functional>

using namespace tessera;
using nlohmann::json;

namespace {

json presetJson(const std::string& name)
{
    return targetToJson(loadTarget(name));
}

// Parses `text` as bad.json and expects an error containing every part.
void expectError(const std::string& text, const std::vector<std::string>& parts)
{
    try {
        parseTarget(text, "bad.json");
    } catch (const Error& e) {
        const std::string message = e.what();
        QVERIFY2(message.rfind("bad.json: ", 0) == 0, message.c_str());
        for (const std::string& part : parts)
            QVERIFY2(message.find(part) != std::string::npos, (message + "   [expected: " + part + "]").c_str());
        return;
    }
    QFAIL(("no error, expected one mentioning " + parts.front()).c_str());
}

// The m1076 preset with one edit applied.
void expectEditError(const std::function<void(json&)>& edit, const std::vector<std::string>& parts)
{
    json doc = presetJson("m1076");
    edit(doc);
    expectError(doc.dump(), parts);
}

} // namespace

class TestTarget : public QObject {
    Q_OBJECT
private slots:
    void presetsAreBuiltIn()
    {
        const std::vector<std::string> names = listTargetPresets();
        for (const char* name : {"m1076", "m1108", "test4"})
            QVERIFY2(std::find(names.begin(), names.end(), name) != names.end(), name);
        for (const std::string& name : names) // every file of resources/targets is valid
            QCOMPARE(loadTarget(name).name, name);
    }

    void m1076MatchesPublishedFigures()
    {
        const Target t = loadTarget("m1076");
        QCOMPARE(t.tileCount(), int64_t{76});                 // 76 AMP tiles
        QVERIFY(t.totalWeightCapacity(8) >= 76'000'000);      // "up to 80M weights"
        QVERIFY(t.totalWeightCapacity(8) <= 84'000'000);
        QVERIFY(t.peakTops() >= 22.0 && t.peakTops() <= 27.0); // "up to 25 TOPS" (26 on a customer page)
        QVERIFY(t.energy.typicalW >= 3.0 && t.energy.typicalW <= 4.0); // "typical 3-4 W"
        QCOMPARE(t.host.pcieGen, int64_t{2});                 // PCIe 2.1 x4, up to 2 GB/s
        QCOMPARE(t.host.pcieLanes, int64_t{4});
        QCOMPARE(t.host.bandwidthGBs, 2.0);
        QCOMPARE(t.analog.array.maxWeightBits, int64_t{8});
    }

    void m1108MatchesPublishedFigures()
    {
        const Target t = loadTarget("m1108");
        QCOMPARE(t.tileCount(), int64_t{108});
        QVERIFY(t.peakTops() >= 31.0 && t.peakTops() <= 38.0); // "up to 35 TOPS"
        QVERIFY(t.totalWeightCapacity() >= 108'000'000);        // ~1M 8-bit weights per tile
        QVERIFY(t.energy.typicalW <= 4.5);                      // "~4 W"
    }

    void everyPresetNumberHasAProvenance()
    {
        for (const char* name : {"m1076", "m1108"}) {
            const Target t = loadTarget(name);
            for (const TargetFieldInfo& f : targetFields())
                QVERIFY2(t.sources.count(f.path), (std::string(name) + ": no source for " + f.path).c_str());
            QCOMPARE(t.sources.at("host.pcie_lanes").kind, std::string(name) == "m1076" ? SourceKind::Published
                                                                                          : SourceKind::Inferred);
            QCOMPARE(t.sources.at("analog.array.rows").kind, SourceKind::Inferred); // 1024 x 1024: not published
            QCOMPARE(t.sources.at("energy.static_w").kind, SourceKind::Assumption);
        }
    }

    void test4IsSmallAndGivesTheQuantizerItsRows()
    {
        const Target t = loadTarget("test4");
        QCOMPARE(t.tileCount(), int64_t{4});
        QCOMPARE(t.totalWeightCapacity(), int64_t{4 * 256 * 256});
        QVERIFY(t.tiles.sramBytes <= 64 * 1024);
        QCOMPARE(arrayGeometry(t).rows, int64_t{256});
        QCOMPARE(arrayGeometry(t).cols, int64_t{256});
    }

    void mvmTimeIsBitSerialPlusReadOut()
    {
        // test4: 300 ns per input bit; 256 columns over 8 ADCs = 32 conversions of 125 ns.
        const Target t = loadTarget("test4");
        QCOMPARE(t.mvmTimeNs(8), 8 * 300.0 + 32 * 125.0);
        QCOMPARE(t.mvmTimeNs(4), 4 * 300.0 + 32 * 125.0);
        // Peak: 2 ops x 4 arrays x 65536 cells per 6.4 us.
        QCOMPARE(t.peakTops(), 2.0 * 4 * 65536 / 6400e-9 / 1e12);
    }

    void weightsWiderThanACellTakeMoreCells()
    {
        json doc = presetJson("test4");
        doc["analog"]["array"]["bits_per_cell"] = 4;
        const Target t = parseTarget(doc.dump(), "t.json");
        QCOMPARE(t.totalWeightCapacity(8), int64_t{4 * 65536 / 2});
        QCOMPARE(t.totalWeightCapacity(4), int64_t{4 * 65536});
    }

    void disabledTilesAreNotCounted()
    {
        json doc = presetJson("test4");
        doc["tiles"]["disabled"] = json::array({json::array({0, 1})});
        const Target t = parseTarget(doc.dump(), "t.json");
        QCOMPARE(t.tileCount(), int64_t{3});
        QCOMPARE(t.totalArrays(), int64_t{3});
    }

    void costModelTakesTheTargetsNumbers()
    {
        const analog::DefaultCostModel m = costModel(loadTarget("m1076"));
        QCOMPARE(m.cycleNs, 300.0); // ns_per_input_bit
        QCOMPARE(m.adcFomFj, 12.8e3 / 256); // 12.8 pJ at 8 bits
        QCOMPARE(m.cellFj, 0.5);
    }

    void roundTripsThroughAFile()
    {
        QTemporaryDir dir;
        json withExtras = presetJson("test4");
        withExtras["tiles"]["disabled"] = json::array({json::array({1, 0})});
        for (const Target& t : {loadTarget("m1076"), loadTarget("m1108"), parseTarget(withExtras.dump(), "x.json")}) {
            const std::string path = dir.path().toStdString() + "/" + t.name + ".json";
            writeTargetFile(path, t);
            const Target back = readTargetFile(path);
            QCOMPARE(targetToJson(back), targetToJson(t));
            QCOMPARE(back.sources.size(), t.sources.size());
            QCOMPARE(back.tileCount(), t.tileCount());
            writeTargetFile(path + ".2", back);
            QCOMPARE(readFileBytes(path + ".2"), readFileBytes(path));
        }
    }

    void loadsAFileByPath()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/mine.json";
        json doc = presetJson("test4");
        doc["name"] = "mine";
        writeFileAtomic(path, doc.dump());
        QCOMPARE(loadTarget(path).name, std::string("mine"));
    }

    void badValuesNameTheKey()
    {
        expectEditError([](json& d) { d["analog"]["array"]["rows"] = -3; },
                        {"bad.json: analog.array.rows must be a positive integer, got -3"});
        expectEditError([](json& d) { d["tiles"]["grid_rows"] = 0; }, {"tiles.grid_rows must be a positive integer, got 0"});
        expectEditError([](json& d) { d["analog"]["dac"]["bits"] = 7.5; }, {"analog.dac.bits", "integer in [2, 16]", "7.5"});
        expectEditError([](json& d) { d["analog"]["dac"]["bits"] = 17; }, {"analog.dac.bits", "integer in [2, 16]", "17"});
        expectEditError([](json& d) { d["analog"]["array"]["cols"] = "1024"; }, {"analog.array.cols", "\"1024\""});
        expectEditError([](json& d) { d["energy"]["static_w"] = -1.0; }, {"energy.static_w must be a number >= 0"});
        expectEditError([](json& d) { d["analog"]["adc"]["conversion_ns"] = 0; }, {"analog.adc.conversion_ns must be a positive number"});
        expectEditError([](json& d) { d["host"]["bandwidth_gb_s"] = true; }, {"host.bandwidth_gb_s", "true"});
        expectEditError([](json& d) { d["name"] = 5; }, {"name must be a string"});
        expectEditError([](json& d) { d["analog"]["adc"] = 8; }, {"analog.adc must be an object"});
    }

    void missingAndUnknownKeysAreErrors()
    {
        expectEditError([](json& d) { d["analog"]["array"].erase("rows"); }, {"missing key analog.array.rows"});
        expectEditError([](json& d) { d.erase("energy"); }, {"missing key energy."});
        expectEditError([](json& d) { d.erase("name"); }, {"missing key name"});
        expectEditError([](json& d) { d["analog"]["array"]["row"] = 1024; },
                        {"unknown key analog.array.row", "did you mean analog.array.rows?"});
        expectEditError([](json& d) { d["nocc"] = json::object(); }, {"unknown key nocc", "did you mean noc?"});
        expectEditError([](json& d) { d["sources"]["analog.array.rowz"] = "assumption: x"; },
                        {"sources names unknown key analog.array.rowz"});
        expectEditError([](json& d) { d["sources"]["analog.array.rows"] = "guess"; },
                        {"sources.analog.array.rows", "published:"});
    }

    void inconsistentValuesAreErrors()
    {
        expectEditError([](json& d) { d["analog"]["adc"]["min_bits"] = 10; }, {"analog.adc.min_bits", "analog.adc.max_bits"});
        expectEditError([](json& d) { d["analog"]["adc"]["count"] = 2048; }, {"analog.adc.count", "analog.array.cols"});
        expectEditError([](json& d) { d["tiles"]["disabled"] = json::array({json::array({4, 0})}); },
                        {"tiles.disabled", "[4,0]"});
        expectEditError([](json& d) { d["tiles"]["disabled"] = json::array({json::array({0, 0}), json::array({0, 0})}); },
                        {"tiles.disabled", "twice"});
    }

    void otherFilesAndVersionsAreRefused()
    {
        expectEditError([](json& d) { d["version"] = 2; }, {"version 2", "version 1"});
        expectEditError([](json& d) { d["format"] = "tessera-quant"; }, {"not a Tessera target file"});
        expectEditError([](json& d) { d.erase("version"); }, {"missing key version"});
        expectError("hello", {"not valid JSON"});
        expectError("[1, 2]", {"must be a JSON object"});
        const std::string text = targetText(loadTarget("m1076"));
        expectError(text.substr(0, text.size() / 2), {"not valid JSON"});
    }

    void docsDescribeEveryField()
    {
        const std::string doc = readFileBytes(std::string(TESSERA_TEST_DATA) + "/../../docs/targets.md");
        for (const TargetFieldInfo& f : targetFields())
            QVERIFY2(doc.find("| `" + f.path + "` | " + f.unit + " |") != std::string::npos, f.path.c_str());
    }

    void unreadableFilesAndUnknownNamesAreExplained()
    {
        try {
            loadTarget("/no/such/dir/chip.json");
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("chip.json") != std::string::npos, e.what());
        }
        try {
            loadTarget("m1077");
            QFAIL("no error");
        } catch (const Error& e) {
            const std::string message = e.what();
            QVERIFY2(message.find("m1077") != std::string::npos && message.find("m1076") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestTarget)
#include "test_target.moc"

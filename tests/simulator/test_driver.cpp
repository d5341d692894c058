// Host driver: opening devices, loading packages (refusing another target or format version,
// naming both), the I/O descriptors, typed input errors, closed device and missing model,
// and (once the package interpreter is built) real runs through sim::Machine.
#include "simulator/Driver.h"
#include "simulator/DriverDetail.h"

#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "core/package/PackageIO.h"
#include "core/target/Target.h"
#include "quant/Dataset.h"

#include "DriverFixture.h"

#include <QTemporaryDir>
#include <QtTest>

#include <set>
#include <cstring>

using namespace tessera;
using namespace tessera::driver;
using tessera::testing::doublingEngine;
using tessera::testing::driverInput;
using tessera::testing::driverTestPackage;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs `call`, expecting a DriverError of `code` whose message has every part.
template <class Call>
void expectError(Call call, ErrorCode code, std::initializer_list<std::string> parts)
{
    try {
        call();
    } catch (const DriverError& e) {
        QCOMPARE(errorCodeName(e.code()), errorCodeName(code));
        for (const std::string& part : parts)
            QVERIFY2(contains(e.what(), part), (std::string(e.what()) + "\n[expected: " + part + "]").c_str());
        return;
    }
    QFAIL("no DriverError thrown");
}

DeviceOptions fakeOptions()
{
    DeviceOptions o;
    o.engine = doublingEngine();
    return o;
}

} // namespace

class TestDriver : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_m1076, m_test4;
    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }

private slots:
    void initTestCase()
    {
        m_m1076 = path("m1076.tpkg");
        m_test4 = path("test4.tpkg");
        package::writePackage(m_m1076, driverTestPackage("m1076"));
        package::writePackage(m_test4, driverTestPackage("test4"));
    }

    void opensTheSimulatorForAPreset()
    {
        QCOMPARE(Device::open("sim").name(), std::string("sim:m1076"));
        QCOMPARE(Device::open("sim:test4").target(), std::string("test4"));
        const std::vector<std::string> names = Device::deviceNames();
        QVERIFY(std::find(names.begin(), names.end(), "sim:m1108") != names.end());
        expectError([] { Device::open("gpu:0"); }, ErrorCode::UnknownDevice, {"unknown device 'gpu:0'", "sim:<preset>"});
        expectError([] { Device::open("sim:m9999"); }, ErrorCode::UnknownDevice, {"sim:m9999", "m1076", "test4"});
        DeviceOptions none;
        none.maxInFlight = 0;
        expectError([&] { Device::open("sim", none); }, ErrorCode::BadOptions, {"maxInFlight is 0, it must be >= 1"});
    }

    // Every code has its own name, and the docs' errors table lists each one.
    void everyErrorCodeIsNamedAndDocumented()
    {
        const std::string doc = readFileBytes(TESSERA_TEST_DATA "/../../docs/host-driver.md");
        std::set<std::string> names;
        for (int c = 0; c < kErrorCodeCount; ++c) {
            const std::string name = errorCodeName(static_cast<ErrorCode>(c));
            QVERIFY2(contains(doc, "| `" + name + "` |"), name.c_str());
            names.insert(name);
        }
        QCOMPARE(names.size(), size_t(kErrorCodeCount));
    }

    // The descriptors are the package's input and output tensors, read independently here.
    void describesTheModelsIO()
    {
        Device dev = Device::open("sim:m1076", fakeOptions());
        QVERIFY(!dev.hasModel());
        dev.load(m_m1076);
        const package::Package pkg = package::readPackage(m_m1076);
        const ModelInfo m = dev.model();
        QCOMPARE(m.name, std::string("two_gemms"));
        QCOMPARE(m.target, std::string("m1076"));
        QCOMPARE(m.formatVersion, package::kFormatVersion);
        QCOMPARE(m.inputs.size(), pkg.inputs.size());
        QCOMPARE(m.outputs.size(), pkg.outputs.size());
        const package::PackageTensor& in = pkg.tensors[pkg.inputs[0]];
        QCOMPARE(m.inputs[0].name, in.name);
        QCOMPARE(m.inputs[0].shape, Shape({1, 16}));
        QCOMPARE(m.inputs[0].quant.scale, in.quant.scale);
        QCOMPARE(m.inputs[0].quant.bits, in.quant.bits);
        QCOMPARE(dtypeSize(m.inputs[0].codeType), size_t(package::elementTypeBytes(in.type)));
        QCOMPARE(m.outputs[0].shape, Shape({1, 4}));
        QVERIFY2(contains(m.inputs[0].describe(), in.name + " [1,16] float32"), m.inputs[0].describe().c_str());
    }

    void refusesAPackageForAnotherTarget()
    {
        Device dev = Device::open("sim:m1076", fakeOptions());
        try {
            dev.load(m_test4);
            QFAIL("loaded a test4 package on an m1076 device");
        } catch (const TargetMismatchError& e) {
            QVERIFY2(contains(e.what(), m_test4 + ": built for test4, the device is m1076"), e.what());
            QCOMPARE(e.packageTarget(), std::string("test4"));
            QCOMPARE(e.deviceTarget(), std::string("m1076"));
        }
        QVERIFY(!dev.hasModel());
        Device::open("sim:test4", fakeOptions()).load(m_test4);
    }

    // A device for a target file: its name is the file's; a package for a target of the
    // same name but another geometry is refused, naming both geometries.
    void opensATargetFileAndChecksGeometry()
    {
        Target custom = loadTarget("m1076");
        custom.tiles.sramBytes /= 2;
        const std::string file = path("m1076_half_sram.json");
        writeTargetFile(file, custom);
        Device dev = Device::open("sim:" + file, fakeOptions());
        QCOMPARE(dev.target(), std::string("m1076"));
        try {
            dev.load(m_m1076);
            QFAIL("loaded a package built for another m1076 geometry");
        } catch (const TargetMismatchError& e) {
            const std::string full = strCat(loadTarget("m1076").tiles.sramBytes, " B SRAM");
            const std::string half = strCat(custom.tiles.sramBytes, " B SRAM");
            QVERIFY2(contains(e.what(), "built for a m1076 with ") && contains(e.what(), full), e.what());
            QVERIFY2(contains(e.what(), "the device's m1076 has ") && contains(e.what(), half), e.what());
        }
    }

    // Byte 4 of the file header is the format version (docs/package-format.md).
    void refusesAnotherFormatVersionNamingBoth()
    {
        std::string bytes = readFileBytes(m_m1076);
        const uint32_t newer = package::kFormatVersion + 7;
        for (int i = 0; i < 4; ++i)
            bytes[4 + i] = static_cast<char>((newer >> (8 * i)) & 0xff);
        const std::string file = path("newer.tpkg");
        writeFileAtomic(file, bytes);
        Device dev = Device::open("sim", fakeOptions());
        try {
            dev.load(file);
            QFAIL("loaded a package of an unknown format version");
        } catch (const FormatVersionError& e) {
            const std::string reads = strCat("reads versions ", package::kMinFormatVersion, " to ", package::kFormatVersion);
            QVERIFY2(contains(e.what(), strCat(file, ": package format version ", newer)), e.what());
            QVERIFY2(contains(e.what(), reads) && contains(e.what(), "a newer Tessera"), e.what());
            QCOMPARE(e.packageVersion(), newer);
        }
        std::fill(bytes.begin() + 4, bytes.begin() + 8, '\0'); // version 0: older than any reader
        writeFileAtomic(file, bytes);
        expectError([&] { dev.load(file); }, ErrorCode::WrongFormat, {"package format version 0", "an older Tessera"});
    }

    void refusesUnreadablePackages()
    {
        Device dev = Device::open("sim", fakeOptions());
        expectError([&] { dev.load(path("missing.tpkg")); }, ErrorCode::BadPackage, {"missing.tpkg"});
        writeFileAtomic(path("junk.tpkg"), "PK\x03\x04 a zip, not a package");
        expectError([&] { dev.load(path("junk.tpkg")); }, ErrorCode::BadPackage, {"junk.tpkg"});
        QVERIFY(!dev.hasModel());
    }

    void checksInputsAgainstTheDescriptors()
    {
        Device dev = Device::open("sim", fakeOptions());
        dev.load(m_m1076);
        const std::string x = dev.model().inputs[0].name;
        expectError([&] { dev.run({{"nope", driverInput(0)}}); }, ErrorCode::UnknownInput,
                    {"no input named 'nope'", "'" + x + "' [1,16]"});
        expectError([&] { dev.run({}); }, ErrorCode::MissingInput, {"input '" + x + "' [1,16] not given"});
        expectError([&] { dev.run({{x, Tensor(DType::Float32, {1, 15})}}); }, ErrorCode::WrongShape,
                    {"shape [1,15]", "takes [1,16]"});
        expectError([&] { dev.run({{x, Tensor(DType::Int64, {1, 16})}}); }, ErrorCode::WrongDType, {"is int64"});
        expectError([&] { dev.run({{x, Tensor()}}); }, ErrorCode::WrongDType, {"empty tensor"});
        try {
            dev.run({{"nope", driverInput(0)}});
        } catch (const InputError& e) {
            QCOMPARE(e.input(), std::string("nope"));
        }
        // Codes in the input's element type and stacked frames are accepted.
        QCOMPARE(dev.run({{x, Tensor(dev.model().inputs[0].codeType, {1, 16})}}).size(), size_t(1));
        QCOMPARE(dev.run({{x, driverInput(1, 3)}})[0].shape(), Shape({3, 16}));
    }

    // A quantized input takes float32 values or codes of its element type.
    void quantizedInputsTakeValuesOrCodes()
    {
        ModelInfo m;
        m.inputs.push_back({"image", {1, 4}, DType::UInt8, {true, 0.5, 8, false}});
        QCOMPARE(m.inputs[0].describe(), std::string("image [1,4] float32 -> uint8 codes (scale 0.5, 8 bits, unsigned)"));
        for (DType ok : {DType::Float32, DType::UInt8})
            QCOMPARE(detail::checkInputs(m, {{"image", Tensor(ok, {1, 4})}}).size(), size_t(1));
        expectError([&] { detail::checkInputs(m, {{"image", Tensor(DType::Int8, {1, 4})}}); }, ErrorCode::WrongDType,
                    {"input 'image' is int8; it takes float32 values or uint8 codes"});
    }

    // An input that is not quantized takes its stored type only (integer ids, say).
    void unquantizedInputsTakeTheirOwnType()
    {
        ModelInfo m;
        m.inputs.push_back({"ids", {1, 8}, DType::Int64, {false, 1.0, 8, true}});
        QCOMPARE(m.inputs[0].describe(), std::string("ids [1,8] int64"));
        QCOMPARE(detail::checkInputs(m, {{"ids", Tensor(DType::Int64, {2, 8})}}).size(), size_t(1));
        expectError([&] { detail::checkInputs(m, {{"ids", Tensor(DType::Float32, {1, 8})}}); }, ErrorCode::WrongDType,
                    {"input 'ids' is float32; it takes int64 values"});
    }

    void validatesAnInMemoryPackage()
    {
        package::Package pkg = driverTestPackage("m1076");
        pkg.inputs = {int64_t(pkg.tensors.size())}; // no such tensor
        Device dev = Device::open("sim", fakeOptions());
        expectError([&] { dev.load(pkg, "edited"); }, ErrorCode::BadPackage, {"edited"});
        QVERIFY(!dev.hasModel());
    }

    void refusesWorkWithoutModelOrAfterClose()
    {
        Device dev = Device::open("sim", fakeOptions());
        expectError([&] { dev.run({}); }, ErrorCode::NoModel, {"no model loaded", "load(package.tpkg)"});
        expectError([&] { dev.submit({}); }, ErrorCode::NoModel, {"submit"});
        expectError([&] { dev.model(); }, ErrorCode::NoModel, {"model()"});
        dev.load(m_m1076);
        const std::string x = dev.model().inputs[0].name;
        dev.unload();
        expectError([&] { dev.run({{x, driverInput(0)}}); }, ErrorCode::NoModel, {"sim:m1076"});
        dev.load(m_m1076);
        dev.close();
        dev.close(); // twice is fine
        QVERIFY(!dev.isOpen());
        expectError([&] { dev.run({{x, driverInput(0)}}); }, ErrorCode::DeviceClosed, {"device sim:m1076 is closed"});
        expectError([&] { dev.submit({{x, driverInput(0)}}); }, ErrorCode::DeviceClosed, {"submit"});
        expectError([&] { dev.load(m_m1076); }, ErrorCode::DeviceClosed, {"load"});
        Device moved = Device::open("sim", fakeOptions());
        Device into = std::move(moved);
        expectError([&] { moved.model(); }, ErrorCode::DeviceClosed, {"moved from"});
        QVERIFY(into.isOpen());
    }

    // Host-side quantization: saturate(roundHalfEven(x / scale)) over the code range
    // (signed symmetric, unsigned from 0); values worked out by hand.
    void quantizesOnTheHostByTheDescriptor()
    {
        const TensorInfo s8{"x", {1, 5}, DType::Int8, {true, 0.5, 8, true}};
        const Tensor codes = quantize(s8, Tensor::fromVector<float>({0.25f, 0.75f, -1.25f, 100.f, -100.f}, {1, 5}));
        QCOMPARE(codes.dtype(), DType::Int8);
        QCOMPARE(std::vector<int8_t>(codes.data<int8_t>(), codes.data<int8_t>() + 5),
                 std::vector<int8_t>({0, 2, -2, 127, -127}));
        const TensorInfo u4{"y", {1, 3}, DType::UInt8, {true, 0.5, 4, false}};
        const Tensor u = quantize(u4, Tensor::fromVector<float>({-1.f, 7.9f, 3.f}, {1, 3}));
        QCOMPARE(std::vector<uint8_t>(u.data<uint8_t>(), u.data<uint8_t>() + 3), std::vector<uint8_t>({0, 15, 6}));
        QCOMPARE(dequantize(u4, u).data<float>()[2], 3.0f);
        expectError([&] { quantize(s8, Tensor(DType::Int64, {1, 5})); }, ErrorCode::WrongDType, {"int64", "float32"});
        const TensorInfo f{"z", {1}, DType::Float32, {false, 1.0, 8, true}};
        expectError([&] { quantize(f, Tensor(DType::Float32, {1})); }, ErrorCode::WrongDType, {"'z' is not quantized"});
    }

    // The default engine, sim::Machine, on mnist_lenet compiled with its spec: blocking,
    // asynchronous and pre-quantized codes all give the Machine's own outputs.
    void runsThePackageOnTheSimulator()
    {
        const std::string file = path("lenet.tpkg");
        package::writePackage(file, testing::lenetPackage());
        Device dev = Device::open("sim:m1076");
        dev.load(file);
        const TensorInfo in = dev.model().inputs.at(0);
        const Tensor images = readNpy(TESSERA_TEST_DATA "/models/mnist/mnist_test_x16.npy");
        const Outputs blocking = dev.run({{in.name, images}});
        const std::vector<Tensor> direct = sim::Machine(package::readPackage(file)).run({images});
        QCOMPARE(blocking.size(), direct.size());
        QCOMPARE(blocking[0].shape(), Shape({16, 10}));
        const Outputs async = dev.wait(dev.submit({{in.name, images}}), std::chrono::seconds(60));
        QVERIFY(in.quant.quantized);
        const Outputs fromCodes = dev.run({{in.name, quantize(in, images)}});
        for (int64_t i = 0; i < direct[0].numel(); ++i) {
            QCOMPARE(blocking[0].data<float>()[i], direct[0].data<float>()[i]);
            QCOMPARE(async[0].data<float>()[i], direct[0].data<float>()[i]);
            QCOMPARE(fromCodes[0].data<float>()[i], direct[0].data<float>()[i]);
        }
    }

    // Noise per frame: frames submitted one by one to 2 workers, each with the seed and its
    // index in the data set, equal the simulator's run of all frames at once with that seed.
    void perFrameSeedsMatchOneBatchRun()
    {
        package::Package pkg = testing::lenetPackage();
        pkg.nonIdealities.readNoise = 0.05;
        pkg.nonIdealities.adcOffset = 0.5;
        DeviceOptions o;
        o.workers = 2;
        Device dev = Device::open("sim:m1076", o);
        dev.load(pkg, "noisy lenet");
        const std::string name = dev.model().inputs.at(0).name;
        const Tensor images = quant::sliceRows(readNpy(TESSERA_TEST_DATA "/models/mnist/mnist_test_x16.npy"), 0, 4);
        sim::RunOptions ro;
        ro.noise = true;
        ro.overrideSeed = true;
        ro.seed = 21;
        const Tensor all = sim::Machine(pkg).run({images}, ro)[0];
        std::vector<Frame> frames;
        for (int64_t f = 0; f < 4; ++f) {
            ro.firstFrame = static_cast<uint64_t>(f);
            frames.push_back(dev.submit({{name, quant::sliceRows(images, f, 1)}}, ro));
        }
        for (int64_t f = 0; f < 4; ++f) {
            const Tensor got = dev.wait(frames[f], std::chrono::seconds(60))[0];
            for (int64_t i = 0; i < got.numel(); ++i)
                QCOMPARE(got.data<float>()[i], all.data<float>()[f * got.numel() + i]);
        }
        ro.seed = 22; // another seed draws other noise for frame 0
        ro.firstFrame = 0;
        const Tensor other = dev.run({{name, quant::sliceRows(images, 0, 1)}}, ro)[0];
        QVERIFY(std::memcmp(other.rawData(), all.rawData(), other.byteSize()) != 0);
    }
};

QTEST_APPLESS_MAIN(TestDriver)
#include "test_driver.moc"

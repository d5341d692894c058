// .npy read/write: files written by NumPy (the bundled data) are read and re-written
// byte-for-byte; every supported dtype round-trips; malformed files give errors naming
// the file.
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "core/io/NpyHeader.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;

namespace {

const std::string kModels = std::string(TESSERA_TEST_DATA) + "/models/";

// A NumPy 1.0 file with the given header dict and payload (header padded to 64 bytes).
std::string npyBytes(const std::string& dict, const std::string& payload, char major = 1)
{
    std::string header = dict;
    size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64)
        header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += major;
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    if (major != 1)
        out += std::string(2, '\0');
    return out + header + payload;
}

void expectError(const std::string& bytes, const QString& part)
{
    try {
        parseNpy(bytes, "bad.npy");
    } catch (const Error& e) {
        QString message = e.what();
        QVERIFY2(message.contains("bad.npy") && message.contains(part), qPrintable(message));
        return;
    }
    QFAIL(qPrintable("no error, expected one mentioning " + part));
}

} // namespace

class TestNpy : public QObject {
    Q_OBJECT
private slots:
    void readsNumpyWrittenFiles()
    {
        Tensor y = readNpy(kModels + "digits/digits_test_y.npy");
        QCOMPARE(y.dtype(), DType::Int64);
        QCOMPARE(y.shape(), Shape{360});
        for (int64_t v : y.toInt64Vector())
            QVERIFY(v >= 0 && v <= 9); // digit labels
        Tensor x = readNpy(kModels + "mnist/mnist_test_x16.npy");
        QCOMPARE(x.dtype(), DType::Float32);
        QCOMPARE(x.shape(), Shape({16, 1, 28, 28}));
        for (float v : x.toFloatVector())
            QVERIFY(v >= 0.f && v <= 1.f); // README: pixels in [0,1]
    }

    void rewritesNumpyFilesByteForByte()
    {
        QTemporaryDir dir;
        for (const char* name : {"digits/digits_test_y.npy", "mnist/mnist_test_x16.npy", "ocr/cls_out_ort.npy"}) {
            const std::string original = readFileBytes(kModels + name);
            const std::string copy = dir.path().toStdString() + "/copy.npy";
            writeNpy(copy, readNpy(kModels + name));
            QVERIFY2(readFileBytes(copy) == original, name);
        }
    }

    void roundTripsEveryDtype()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/t.npy";
        std::vector<Tensor> tensors = {
            Tensor::fromVector<float>({1.5f, -2.f, 3.25f, 0.f, 1e-8f, 7.f}, {2, 3}),
            Tensor::fromVector<double>({1.0 / 3, -2.0}, {2}),
            Tensor::fromVector<int64_t>({int64_t(1) << 40, -5}, {2, 1}),
            Tensor::fromVector<int32_t>({-7, 8, 9}, {3}),
            Tensor::fromVector<int8_t>({-128, 127}, {2}),
            Tensor::fromVector<uint8_t>({0, 255, 3}, {1, 3}),
            Tensor::fromVector<bool>({true, false, true}, {3}),
            Tensor::scalar<float>(42.f),
            Tensor(DType::Float32, {0, 4}),
        };
        for (const Tensor& t : tensors) {
            writeNpy(path, t);
            Tensor back = readNpy(path);
            QCOMPARE(back.dtype(), t.dtype());
            QCOMPARE(back.shape(), t.shape());
            for (int64_t i = 0; i < t.numel(); ++i)
                QCOMPARE(back.valueAsDouble(i), t.valueAsDouble(i));
        }
        // The write is atomic: nothing but the target is left in the folder.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"t.npy"});
    }

    void parsesVersion2AndEquivalentSpellings()
    {
        const std::string payload("\x01\x00\x00\x00\x02\x00\x00\x00", 8);
        Tensor v2 = parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", payload, 2), "v2.npy");
        QCOMPARE(v2.toInt64Vector(), std::vector<int64_t>({1, 2}));
        Tensor u1 = parseNpy(npyBytes("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", "\x05\x06"), "u1.npy");
        QCOMPARE(u1.dtype(), DType::UInt8);
        Tensor scalar = parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", std::string(8, '\0')), "s.npy");
        QCOMPARE(scalar.shape(), Shape{});
    }

    void malformedFilesNameTheFile()
    {
        const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        expectError("", "magic");
        expectError("PK\x03\x04 this is a zip", "magic");
        expectError(npyBytes(ok, "").substr(0, 30), "truncated");
        expectError(npyBytes(ok, std::string(5, '\0')), "truncated");
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", std::string(8, '\0')), "Fortran");
        expectError(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0')), "big-endian");
        expectError(npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", std::string(16, '\0')), "<c8");
        expectError(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0')),
                    "structured");
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", ""), "shape");
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': False, }", ""), "shape");
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", ""),
                    "too large");
        // A shape entry of 2^62 is a size, not a malformed number; a product that overflows
        // 64 bits and a shape larger than the file are refused before any allocation.
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }", ""),
                    "shape entry 4611686018427387904 is too large");
        expectError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999, 999999999999999), }", ""),
                    "is too large");
        expectError(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }", std::string(64, '\0')),
                    "truncated .npy data (64 bytes, float64[1000,1000] needs 8000000)");
        std::string badVersion = npyBytes(ok, std::string(8, '\0'));
        badVersion[6] = 9;
        expectError(badVersion, "version");
    }

    void readErrorsNameThePath()
    {
        try {
            readNpy("/nonexistent/x.npy");
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("/nonexistent/x.npy"));
        }
        QTemporaryDir dir;
        const std::string truncated = dir.path().toStdString() + "/trunc.npy";
        writeFileAtomic(truncated, readFileBytes(kModels + "digits/digits_test_y.npy").substr(0, 1000));
        try {
            readNpy(truncated);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("trunc.npy") && QString(e.what()).contains("truncated"));
        }
    }
    // The shape from the header alone: the header dict's own numbers, also when the data
    // is cut off (nothing past the header is read); errors name the file.
    void shapeIsReadFromTheHeaderOnly()
    {
        QTemporaryDir dir;
        const std::string cut = dir.path().toStdString() + "/cut.npy";
        writeFileAtomic(cut, npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (64, 3, 224, 224), }", "abcd"));
        QCOMPARE(readNpyShape(cut), (Shape{64, 3, 224, 224}));
        QVERIFY_THROWS_EXCEPTION(Error, readNpy(cut));
        const std::string text = dir.path().toStdString() + "/text.npy";
        writeFileAtomic(text, "not an array");
        try {
            readNpyShape(text);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("text.npy"));
        }
    }
};

QTEST_APPLESS_MAIN(TestNpy)
#include "test_npy.moc"

// The simulator runs compiled packages bit-identically to the quantized reference executor:
// every bundled model (quantized in-test on a few calibration samples) on m1076 and, where
// it fits, on the 4-tile test chip (row and column splits across tiles, partial sums over
// the NoC); with noise on equal to the reference with the same noise and seed; equal across
// thread counts and batch splits.
#include "SimFixture.h"

#include "core/io/Npy.h"

#include "../core/OpTestHarness.h"

using namespace tessera;
using namespace tessera::testing;
using tessera::testing::filled;

namespace {

std::string data(const std::string& f) { return std::string(TESSERA_TEST_DATA) + "/models/" + f; }

struct ModelCase {
    const char* model;
    const char* calib; // npy of calibration samples
    const char* test;  // npy of test inputs
    Shape shape = {};  // the input's shape where the model leaves it symbolic
};

const ModelCase kModels[] = {
    {"mnist/mnist_lenet.onnx", "mnist/mnist_calib_x.npy", "mnist/mnist_test_x16.npy"},
    {"mnist/mnist_wide.onnx", "mnist/mnist_calib_x.npy", "mnist/mnist_test_x16.npy"},
    {"mnist/mnist_mobile.onnx", "mnist/mnist_calib_x.npy", "mnist/mnist_test_x16.npy"},
    {"digits/digits_cnn.onnx", "digits/digits_test_x8.npy", "digits/digits_test_x8.npy"},
    {"digits/digits_resnet.onnx", "digits/digits_test_x16.npy", "digits/digits_test_x16.npy"},
    {"ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx", "ocr/cls_in.npy", "ocr/cls_in_rot180.npy", {1, 3, 48, 192}},
};

// Runs the package on `frames` frames of x and compares with the reference frame by frame.
void expectBitExact(const Graph& g, const QuantSpec& spec, const package::Package& pkg, const Tensor& x,
                    bool noise)
{
    const sim::Machine machine(pkg);
    sim::RunOptions o;
    o.noise = noise;
    o.threads = 2;
    const std::vector<Tensor> got = machine.run({x}, o);
    const std::vector<Tensor> want = referenceOutputs(g, spec, x, noise, 0, package::simdLayerNames(pkg));
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        TESSERA_COMPARE_BITS(got[i], want[i]);
}

} // namespace

class TestMachineModels : public QObject {
    Q_OBJECT
private slots:
    void bundledModelsBitExact_data()
    {
        QTest::addColumn<int>("index");
        QTest::addColumn<QString>("target");
        for (int i = 0; i < static_cast<int>(std::size(kModels)); ++i)
            for (const char* t : {"m1076", "test4"})
                QTest::newRow((std::string(kModels[i].model) + " " + t).c_str()) << i << QString(t);
    }

    void bundledModelsBitExact()
    {
        QFETCH(int, index);
        QFETCH(QString, target);
        const ModelCase& c = kModels[index];
        quant::ModelGraphs model(data(c.model), c.shape);
        const Tensor calib = quant::sliceRows(readNpy(data(c.calib)), 0, std::min<int64_t>(8, readNpy(data(c.calib)).dim(0)));
        const QuantSpec spec = quantizeFor(model, calib, target.toStdString());
        const Graph& g = model.forBatch(1); // after calibration (it may equalize or smooth the graphs)
        const compiler::CompileResult r = compiler::compileGraph(g, loadTarget(target.toStdString()), &spec);
        if (!r.fits)
            QSKIP(qPrintable("does not fit: " + QString::fromStdString(r.fitMessage)));
        const Tensor x = readNpy(data(c.test));
        const Tensor frames = quant::sliceRows(x, 0, std::min<int64_t>(4, x.dim(0)));
        expectBitExact(g, spec, compileFor(g, spec, target.toStdString()), frames, false);
    }

    void noiseOnEqualsReferenceWithNoise()
    {
        quant::ModelGraphs model(data("mnist/mnist_lenet.onnx"));
        analog::NonIdealities ni;
        ni.weightProgramNoise = 0.02;
        ni.readNoise = 0.02;
        ni.adcOffset = 0.5;
        ni.seed = 7;
        const QuantSpec spec = quantizeFor(model, quant::sliceRows(readNpy(data("mnist/mnist_calib_x.npy")), 0, 8), "m1076", ni);
        const Graph& g = model.forBatch(1);
        const Tensor x = quant::sliceRows(readNpy(data("mnist/mnist_test_x16.npy")), 0, 4);
        expectBitExact(g, spec, compileFor(g, spec, "m1076"), x, true);
    }

    // Models with depthwise layers the compiler runs on the SIMD engine (MATVEC): with every
    // non-ideality on, the simulator equals the reference told the package's placement, and
    // differs from a reference that puts those layers on arrays (so the rule is exercised).
    void depthwiseModelsNoiseOnEqualReference_data()
    {
        QTest::addColumn<int>("index");
        for (int i : {2, 4, 5})
            QTest::newRow(kModels[i].model) << i;
    }

    void depthwiseModelsNoiseOnEqualReference()
    {
        QFETCH(int, index);
        const ModelCase& c = kModels[index];
        quant::ModelGraphs model(data(c.model), c.shape);
        analog::NonIdealities ni;
        ni.weightProgramNoise = 0.02;
        ni.readNoise = 0.02;
        ni.adcOffset = 0.5;
        ni.seed = 5;
        const Tensor calib = readNpy(data(c.calib));
        const QuantSpec spec = quantizeFor(model, quant::sliceRows(calib, 0, std::min<int64_t>(8, calib.dim(0))), "m1076", ni);
        const Graph& g = model.forBatch(1);
        const package::Package pkg = compileFor(g, spec, "m1076");
        QVERIFY(!package::simdLayerNames(pkg).empty());
        if (index == 5) { // the OCR classifier's HardSwish outputs reach DACs with offset codes
            int64_t offsetInputs = 0;
            for (const LayerQuant& l : spec.layers)
                offsetInputs += spec.findTensor(l.input)->zeroPoint != 0;
            QVERIFY(offsetInputs > 0);
        }
        const Tensor test = readNpy(data(c.test));
        const Tensor x = quant::sliceRows(test, 0, std::min<int64_t>(2, test.dim(0))); // OCR cls: one line
        expectBitExact(g, spec, pkg, x, true);
        sim::RunOptions o;
        o.noise = true;
        std::string why;
        QVERIFY(!sameBits(sim::Machine(pkg).run({x}, o)[0], referenceOutputs(g, spec, x, true)[0], why));
    }

    void readNoiseOnTest4EqualsReference()
    {
        quant::ModelGraphs model(data("mnist/mnist_lenet.onnx"));
        analog::NonIdealities ni;
        ni.readNoise = 0.03;
        ni.adcOffset = 0.3;
        ni.seed = 11;
        const QuantSpec spec = quantizeFor(model, quant::sliceRows(readNpy(data("mnist/mnist_calib_x.npy")), 0, 8), "test4", ni);
        const Graph& g = model.forBatch(1);
        const Tensor x = quant::sliceRows(readNpy(data("mnist/mnist_test_x16.npy")), 0, 3);
        expectBitExact(g, spec, compileFor(g, spec, "test4"), x, true);
    }

    void sameAcrossThreadsAndSplits()
    {
        quant::ModelGraphs model(data("mnist/mnist_lenet.onnx"));
        analog::NonIdealities ni;
        ni.readNoise = 0.05;
        ni.seed = 3;
        const QuantSpec spec = quantizeFor(model, quant::sliceRows(readNpy(data("mnist/mnist_calib_x.npy")), 0, 8), "m1076", ni);
        const Graph& g = model.forBatch(1);
        const sim::Machine machine(compileFor(g, spec, "m1076"));
        const Tensor x = quant::sliceRows(readNpy(data("mnist/mnist_test_x16.npy")), 0, 8);
        sim::RunOptions o;
        o.noise = true;
        o.threads = 1;
        const Tensor all = machine.run({x}, o)[0];
        o.threads = 2;
        TESSERA_COMPARE_BITS(machine.run({x}, o)[0], all);
        const Tensor first = machine.run({quant::sliceRows(x, 0, 3)}, o)[0];
        o.firstFrame = 3;
        const Tensor rest = machine.run({quant::sliceRows(x, 3, 5)}, o)[0];
        TESSERA_COMPARE_BITS(quant::concatRows({first, rest}), all);
        o.firstFrame = 0;
        o.overrideSeed = true;
        o.seed = 4;
        std::string why;
        QVERIFY(!sameBits(machine.run({x}, o)[0], all, why)); // another seed draws other noise
    }

    // Inputs given as codes in the input tensor's element type equal float inputs.
    void codeInputsEqualFloatInputs()
    {
        quant::ModelGraphs model(data("mnist/mnist_lenet.onnx"));
        const QuantSpec spec = quantizeFor(model, quant::sliceRows(readNpy(data("mnist/mnist_calib_x.npy")), 0, 8), "m1076");
        const sim::Machine machine(compileFor(model.forBatch(1), spec, "m1076"));
        const package::PackageTensor& in = machine.package().tensors[machine.package().inputs[0]];
        QVERIFY(in.quant.quantized);
        const Tensor x = quant::sliceRows(readNpy(data("mnist/mnist_test_x16.npy")), 0, 4);
        Tensor codes(package::computeDType(in.type), x.shape());
        const analog::CodeRange range = analog::codeRange(in.quant.bits, in.quant.isSigned);
        for (int64_t i = 0; i < x.numel(); ++i) {
            const int64_t c = analog::quantizeValue(x.data<float>()[i], in.quant.scale, range);
            if (in.type == package::ElementType::UInt8)
                codes.mutableData<uint8_t>()[i] = static_cast<uint8_t>(c);
            else
                codes.mutableData<int8_t>()[i] = static_cast<int8_t>(c);
        }
        TESSERA_COMPARE_BITS(machine.run({codes})[0], machine.run({x})[0]);
    }

    // The 640x640 detector (ConvTranspose upsampling, 64 analog layers), calibrated on one
    // random frame: slow (10-30 s on this shared machine), opt-in like the detector's PTQ
    // check. tests/simulator/test_machine_graphs.cpp covers ConvTranspose by default.
    void ocrDetectorBitExact()
    {
        if (qEnvironmentVariableIsEmpty("TESSERA_SIM_OCR_DET"))
            QSKIP("set TESSERA_SIM_OCR_DET=1 to run the OCR detector on the simulator (10-30 s)");
        quant::ModelGraphs model(data("ocr/ch_PP-OCRv4_det_infer.onnx"), {1, 3, 640, 640});
        const Tensor x = filled({1, 3, 640, 640}, -1.5f, 1.5f, 21);
        const QuantSpec spec = quantizeFor(model, x, "m1076");
        const Graph& g = model.forBatch(1);
        expectBitExact(g, spec, compileFor(g, spec, "m1076"), x, false);
    }
};

QTEST_APPLESS_MAIN(TestMachineModels)
#include "test_machine_models.moc"

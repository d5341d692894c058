// AdaRound (quant/train/AdaRound.h) on a tiny Conv -> Relu -> Flatten -> Gemm graph with
// seeded random weights at 3-bit weights: its output error, measured by the quantized
// reference executor against the FP32 graph (not by AdaRound's own forward), is at most
// round-to-nearest's on calibration and held-out data; core's program() on the snapped
// weights gives levels one step from the unrounded weights; seeds make it deterministic;
// cancellation throws and writes nothing; --adaround needs a model to write.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/analog/SpecProgramming.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizedExecutor.h"
#include "quant/train/AdaRound.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <random>

using namespace tessera;
using namespace tessera::quant;

namespace {

constexpr int64_t kBatch = 48;

Tensor randomTensor(Shape shape, std::mt19937& rng, float lo, float hi)
{
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(static_cast<size_t>(numElements(shape)));
    for (float& x : v)
        x = u(rng);
    return Tensor::fromVector<float>(v, shape);
}

// x [B, 2, 6, 6] -> Conv 6x2x3x3 (pads 1) -> Relu -> Flatten -> Gemm (216 -> 5, transB).
Graph tinyGraph()
{
    std::mt19937 rng(3);
    Graph g;
    g.name = "tiny";
    ValueId x = g.addValue("x", DType::Float32, {kBatch, 2, 6, 6});
    ValueId w1 = g.addConstant("W1", randomTensor({6, 2, 3, 3}, rng, -0.5f, 0.5f));
    ValueId b1 = g.addConstant("B1", randomTensor({6}, rng, -0.1f, 0.1f));
    ValueId w2 = g.addConstant("W2", randomTensor({5, 216}, rng, -0.2f, 0.2f));
    ValueId c = g.addValue("c"), r = g.addValue("r"), f = g.addValue("f"), y = g.addValue("y");
    Attributes conv;
    conv.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.addNode("conv", "Conv", {x, w1, b1}, {c}, conv);
    g.addNode("relu", "Relu", {c}, {r});
    g.addNode("flatten", "Flatten", {r}, {f});
    Attributes gemm;
    gemm.set("transB", int64_t{1});
    g.addNode("fc", "Gemm", {f, w2}, {y}, gemm);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

Dataset randomData(unsigned seed)
{
    std::mt19937 rng(seed);
    Dataset d;
    d.inputs = randomTensor({kBatch, 2, 6, 6}, rng, 0.0f, 1.0f);
    d.source = "random";
    return d;
}

QuantConfig config3Bits()
{
    QuantConfig c;
    c.weightBits = 3;
    c.smoothInputs = SmoothingScope::Off;
    return c;
}

train::AdaRoundOptions fastOptions(uint64_t seed = 1)
{
    train::AdaRoundOptions o;
    o.iterations = 400;
    o.batchVectors = 256;
    o.seed = seed;
    o.threads = 1;
    return o;
}

// Mean squared difference of the quantized output (graph `q` with `spec`) from FP32 `ref`.
double outputError(const Graph& ref, const Graph& q, const QuantSpec& spec, const Dataset& d)
{
    const std::vector<float> f = Executor(ref).run({d.inputs})[0].toFloatVector();
    QuantizedExecutorOptions o;
    o.nonIdealities = false;
    const std::vector<float> y = QuantizedExecutor(q, spec, o).run({d.inputs})[0].toFloatVector();
    double e = 0.0;
    for (size_t i = 0; i < f.size(); ++i)
        e += (double(y[i]) - f[i]) * (double(y[i]) - f[i]);
    return e / static_cast<double>(f.size());
}

// A sink that asks to stop once AdaRound reports its first training iteration.
class CancelAtTraining : public ProgressSink {
public:
    void report(double, std::string_view message) override
    {
        if (message.find("iteration") != std::string_view::npos)
            m_cancel = true;
    }
    bool isCancelled() const override { return m_cancel; }

private:
    bool m_cancel = false;
};

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }

} // namespace

class TestAdaRound : public QObject {
    Q_OBJECT
private:
    Graph m_fp32;
    QuantSpec m_spec;
    Graph m_tuned;
    train::AdaRoundReport m_report;

private slots:
    void initTestCase()
    {
        m_fp32 = tinyGraph();
        ModelGraphs model{Graph(m_fp32)};
        m_spec = calibrate(model, randomData(1), config3Bits());
        QCOMPARE(m_spec.layers.size(), size_t(2));
        m_tuned = m_fp32;
        m_report = train::adaRound(m_tuned, m_spec, randomData(1), fastOptions());
    }

    void errorAtMostNearestOnCalibrationAndHeldOut()
    {
        for (unsigned seed : {1u, 2u}) { // 1: the calibration data; 2: held out
            const double nearest = outputError(m_fp32, m_fp32, m_spec, randomData(seed));
            const double learned = outputError(m_fp32, m_tuned, m_spec, randomData(seed));
            qInfo("data %u: output MSE round-to-nearest %.4g, AdaRound %.4g", seed, nearest, learned);
            QVERIFY(learned <= nearest);
        }
        for (const train::AdaRoundLayerReport& l : m_report.layers) {
            qInfo("%s: %lld of %lld levels changed, MSE %.4g -> %.4g", l.layer.c_str(), (long long)l.changed,
                  (long long)l.weights, l.nearestError, l.learnedError);
            QVERIFY(l.skipped.empty());
            QVERIFY(l.changed > 0);
            QVERIFY(l.learnedError <= l.nearestError);
        }
    }

    // program() (core) on the snapped weights: each weight is exactly level x sw, the level
    // is the floor or the ceiling of the unrounded W / sw, and the levels that differ from
    // round-to-nearest are as many as AdaRound says it changed.
    void snappedWeightsReproduceLevels()
    {
        for (size_t i = 0; i < m_spec.layers.size(); ++i) {
            const LayerQuant& l = m_spec.layers[i];
            const NodeId id = *m_tuned.findNode(l.node);
            const analog::AnalogMatmulView tuned = analog::lowerAnalogNode(m_tuned, m_tuned.node(id));
            const analog::AnalogMatmulView orig = analog::lowerAnalogNode(m_fp32, m_fp32.node(id));
            const analog::ProgrammedLayer p =
                analog::program(analog::layerParams(m_spec, l, tuned), tuned.weights.data(), {});
            int64_t changed = 0;
            for (size_t j = 0; j < p.levels.size(); ++j) {
                const double sw = l.weightScales[j / size_t(l.rows)], level = p.levels[j];
                QCOMPARE(tuned.weights[j], static_cast<float>(level * sw));
                const double unrounded = orig.weights[j] / sw;
                QVERIFY(level == std::floor(unrounded) || level == std::ceil(unrounded) || std::fabs(level) == 3);
                changed += level != std::nearbyint(std::clamp(unrounded, -3.0, 3.0));
            }
            QCOMPARE(changed, m_report.layers[i].changed);
        }
    }

    void deterministicForASeed()
    {
        Graph again = m_fp32;
        train::adaRound(again, m_spec, randomData(1), fastOptions());
        for (const LayerQuant& l : m_spec.layers) {
            const NodeId id = *again.findNode(l.node);
            QCOMPARE(weightMatrixOf(again, again.node(id)).weights, weightMatrixOf(m_tuned, m_tuned.node(id)).weights);
        }
    }

    void cancellationThrowsAndWritesNothing()
    {
        QTemporaryDir dir;
        train::AdaRoundRequest req;
        req.quantize.modelPath = mnist("mnist_lenet.onnx");
        req.quantize.calibration.npyFiles = {mnist("mnist_calib_x.npy")};
        req.quantize.calibration.limit = 32;
        req.quantize.outputPath = dir.filePath("q.json").toStdString();
        req.modelOut = dir.filePath("tuned.onnx").toStdString();
        CancelAtTraining cancel;
        QVERIFY_THROWS_EXCEPTION(Cancelled, train::runAdaRoundQuantize(req, &cancel));
        QVERIFY(QDir(dir.path()).isEmpty());
    }

    // The tuned ONNX and its spec, as written, are what any verb takes: the spec matches the
    // model (hash), and the quantized model agrees with the original FP32 model.
    void writesATunedModelWithItsSpec()
    {
        QTemporaryDir dir;
        train::AdaRoundRequest req;
        req.quantize.modelPath = mnist("mnist_lenet.onnx");
        req.quantize.calibration.npyFiles = {mnist("mnist_calib_x.npy")};
        req.quantize.calibration.limit = 64;
        req.quantize.config.weightBits = 4;
        req.quantize.outputPath = dir.filePath("q.json").toStdString();
        req.modelOut = dir.filePath("tuned.onnx").toStdString();
        req.options = fastOptions();
        req.options.iterations = 50;
        train::runAdaRoundQuantize(req);
        const QuantSpec spec = readQuantSpec(req.quantize.outputPath);
        QVERIFY(spec.smoothing.empty() && spec.equalization.empty());
        ModelGraphs tuned = openModelFor(req.modelOut, spec), original(mnist("mnist_lenet.onnx"));
        EvalOptions eo;
        eo.referenceModel = &original;
        const EvalReport rep = evaluate(tuned, spec, loadNpyDataset({mnist("mnist_test_x16.npy")}), eo);
        QVERIFY2(rep.agreement >= 0.9, std::to_string(rep.agreement).c_str());
    }

    // evaluate() against another model's FP32 (quant-eval --fp32-model): against a copy of
    // the same model it reports what it reports without one; against the original, the
    // tuned model's figures are the independent measure above.
    void referenceModelScoresAgainstItsFp32()
    {
        ModelGraphs same{Graph(m_fp32)}, copy{Graph(m_fp32)}, tuned{Graph(m_tuned)};
        EvalOptions eo;
        eo.perLayer = true;
        const EvalReport plain = evaluate(same, m_spec, randomData(2), eo);
        eo.referenceModel = &copy;
        const EvalReport referenced = evaluate(same, m_spec, randomData(2), eo);
        QCOMPARE(referenced.outputSqnrDb, plain.outputSqnrDb);
        QCOMPARE(referenced.layers.size(), plain.layers.size());
        QuantSpec forTuned = m_spec; // made for the original: the tuned graph has another hash
        forTuned.modelHash.clear();
        const EvalReport tunedVsOriginal = evaluate(tuned, forTuned, randomData(2), eo);
        const double noise = outputError(m_fp32, m_tuned, m_spec, randomData(2));
        QVERIFY(tunedVsOriginal.outputSqnrDb > plain.outputSqnrDb);
        QVERIFY(noise < outputError(m_fp32, m_fp32, m_spec, randomData(2)));
    }

    void refusesWithoutModelOut()
    {
        train::AdaRoundRequest req;
        req.quantize.modelPath = mnist("mnist_lenet.onnx");
        req.quantize.outputPath = "q.json";
        try {
            train::runAdaRoundQuantize(req);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("--model-out") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestAdaRound)
#include "test_adaround.moc"

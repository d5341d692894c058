// The trainable module built from the graph IR (quant/train/TorchGraph.h): its forward
// equals core's FP32 executor (the oracle) on the bundled models at a batch other than the
// one the graph was built at, gradients reach every parameter, exported weights are the
// trained ones, and a graph with ops the trainer cannot build is refused with one listing.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/io/Npy.h"
#include "quant/Dataset.h"
#include "quant/train/TorchGraph.h"

#include <QtTest>

using namespace tessera;
using namespace tessera::train;

namespace {

std::string model(const std::string& dir, const std::string& file)
{
    return std::string(TESSERA_TEST_DATA) + "/models/" + dir + "/" + file;
}

// max |torch - executor| / max |executor| over the outputs.
double relativeError(const std::vector<torch::Tensor>& ours, const std::vector<Tensor>& oracle)
{
    double err = 0.0;
    for (size_t i = 0; i < oracle.size(); ++i) {
        const torch::Tensor ref = toTorch(oracle[i]);
        const double scale = std::max(1e-12, ref.abs().max().item<double>());
        err = std::max(err, (ours[i].detach() - ref).abs().max().item<double>() / scale);
    }
    return err;
}

// The module built from the model's declared batch, run at 5 samples, against the executor.
double modelError(const std::string& path, const std::string& samples)
{
    const Tensor x = quant::sliceRows(readNpy(samples), 0, 5);
    quant::ModelGraphs graphs = quant::openModelForSamples(path, x, samples);
    TorchGraph module(graphs.forBatch(graphs.declaredBatch()));
    Executor exec(graphs.forBatch(5));
    const double err = relativeError(module.forward({toTorch(x)}), exec.run({x}));
    qInfo("%s: max error %.2e of the output scale", path.substr(path.rfind('/') + 1).c_str(), err);
    return err;
}

// x [1, 2, 7, 7] -> op(attrs) -> y, one node.
Graph oneNode(const std::string& op, const Attributes& attrs, const std::vector<Tensor>& constants = {})
{
    Graph g;
    g.name = "one " + op;
    std::vector<ValueId> inputs{g.addValue("x", DType::Float32, {1, 2, 7, 7})};
    for (size_t i = 0; i < constants.size(); ++i)
        inputs.push_back(g.addConstant("c" + std::to_string(i), constants[i]));
    ValueId y = g.addValue("y");
    g.addNode("n", op, inputs, {y}, attrs);
    g.markGraphInput(inputs[0]);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

double oneNodeError(const Graph& g)
{
    const torch::Tensor x = torch::randn({1, 2, 7, 7});
    TorchGraph module(g);
    Executor exec(g);
    return relativeError(module.forward({x}), exec.run({fromTorch(x)}));
}

} // namespace

class TestTorchGraph : public QObject {
    Q_OBJECT
private slots:
    void forwardEqualsExecutorOnBundledModels()
    {
        const std::string mnistX = model("mnist", "mnist_test_x16.npy");
        for (const char* m : {"mnist_lenet.onnx", "mnist_wide.onnx", "mnist_mobile.onnx"})
            QVERIFY2(modelError(model("mnist", m), mnistX) < 1e-5, m);
        QVERIFY(modelError(model("digits", "digits_cnn.onnx"), model("digits", "digits_test_x8.npy")) < 1e-5);
        QVERIFY(modelError(model("digits", "digits_resnet.onnx"), model("digits", "digits_test_x16.npy")) < 1e-5);
    }
    void windowsWithAsymmetricPadsAndCeilMode()
    {
        Attributes pool;
        pool.set("kernel_shape", std::vector<int64_t>{3, 2});
        pool.set("strides", std::vector<int64_t>{2, 2});
        pool.set("pads", std::vector<int64_t>{1, 0, 0, 1});
        pool.set("ceil_mode", int64_t{1});
        QVERIFY(oneNodeError(oneNode("MaxPool", pool)) < 1e-6);
        QVERIFY(oneNodeError(oneNode("AveragePool", pool)) < 1e-6);
        pool.set("count_include_pad", int64_t{1});
        QVERIFY(oneNodeError(oneNode("AveragePool", pool)) < 1e-6);
        Attributes conv; // depthwise, asymmetric pads, fused ReLU6
        conv.set("group", int64_t{2});
        conv.set("pads", std::vector<int64_t>{0, 1, 2, 0});
        conv.set("fused_activation", std::string("Clip"));
        conv.set("fused_min", 0.0f);
        conv.set("fused_max", 0.5f);
        QVERIFY(oneNodeError(oneNode("Conv", conv, {fromTorch(torch::randn({2, 1, 3, 3})), fromTorch(torch::randn({2}))})) < 1e-6);
    }
    void gradientsReachEveryParameter()
    {
        const std::string x = model("mnist", "mnist_test_x16.npy");
        quant::ModelGraphs graphs = quant::openModelForSamples(model("mnist", "mnist_mobile.onnx"), readNpy(x), x);
        TorchGraph module(graphs.forBatch(1));
        QVERIFY(module.logitsBeforeOutput()); // mnist_mobile ends in Softmax: logits are its input
        QVERIFY(!module.parameters().empty());
        torch::Tensor logits = module.logits(toTorch(quant::sliceRows(readNpy(x), 0, 8)));
        torch::nn::functional::cross_entropy(logits, torch::arange(8) % 10).backward();
        for (const auto& [name, p] : module.namedParameters())
            QVERIFY2(p.grad().defined() && p.grad().abs().sum().item<double>() > 0, name.c_str());
    }
    void exportWritesTheTrainedWeights()
    {
        Graph g = oneNode("Conv", {}, {fromTorch(torch::randn({3, 2, 3, 3})), fromTorch(torch::randn({3}))});
        TorchGraph module(g);
        QCOMPARE(module.parameters().size(), size_t(2)); // weight and bias of the analog layer
        {
            torch::NoGradGuard noGrad;
            module.parameters()[0].mul_(2.0);
        }
        const Graph out = module.exportGraph();
        const torch::Tensor exported = toTorch(out.value(*out.findValue("c0")).constant);
        QVERIFY(torch::allclose(exported, 2.0 * toTorch(g.value(*g.findValue("c0")).constant)));
        QVERIFY(oneNodeError(out) < 1e-6);
    }
    void unsupportedOpsAreListedInOneError()
    {
        Graph g;
        g.name = "odd";
        ValueId x = g.addValue("x", DType::Float32, {1, 4});
        ValueId a = g.addValue("a"), b = g.addValue("b"), c = g.addValue("c");
        g.addNode("erf1", "Erf", {x}, {a});
        g.addNode("erf2", "Erf", {a}, {b});
        g.addNode("root", "Sqrt", {b}, {c});
        g.markGraphInput(x);
        g.markGraphOutput(c);
        inferShapes(g);
        try {
            TorchGraph module(g);
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("3 nodes of 2 op types") && msg.contains("Erf ('erf1', 'erf2')") &&
                         msg.contains("Sqrt ('root')"),
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestTorchGraph)
#include "test_torch_graph.moc"

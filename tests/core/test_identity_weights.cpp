// Weights that arrive through Identity nodes (PyTorch's export of shared or duplicated
// initializers): the raw import must show them as constants, so placement, parameter and
// MAC counts agree with the cleaned-up graph and the FP32 results stay those of the file.
// The reference counts are written from the shapes; the reference product is a naive loop.
#include "test_onnx_import_util.h"

#include "core/Executor.h"
#include "core/OpRegistry.h"
#include "core/onnx/ImportAsWritten.h"

#include <QtTest>

using namespace tessera;
using namespace tessera::testing;

namespace {

std::vector<float> ramp(int n, float step)
{
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        v[i] = step * static_cast<float>(i % 7 - 3);
    return v;
}

// x[1,4] @ Identity(W[4,3]) and Conv(y[1,2,5,5], Identity(Identity(Wc[3,2,3,3]))); W also
// reaches a second MatMul through another Identity (a duplicated parameter).
OnnxModel identityFedModel()
{
    OnnxModel m(13);
    m.input("x", {1, 4});
    m.input("y", {1, 2, 5, 5});
    m.initializer("W", {4, 3}, ramp(12, 0.5f));
    m.initializer("Wc", {3, 2, 3, 3}, ramp(54, 0.25f));
    m.node("Identity", {"W"}, {"w_alias"}, "Identity_0");
    m.node("Identity", {"W"}, {"w_alias2"}, "Identity_1");
    m.node("Identity", {"Wc"}, {"wc_a"}, "Identity_2");
    m.node("Identity", {"wc_a"}, {"wc_b"}, "Identity_3");
    m.node("MatMul", {"x", "w_alias"}, {"mm"}, "mm");
    m.node("MatMul", {"x", "w_alias2"}, {"mm2"}, "mm2");
    m.node("Conv", {"y", "wc_b"}, {"conv"}, "conv");
    m.output("mm");
    m.output("mm2");
    m.output("conv");
    return m;
}

const Node& nodeNamed(const Graph& g, const std::string& name)
{
    const std::optional<NodeId> id = g.findNode(name);
    if (!id)
        fail("no node ", name);
    return g.node(*id);
}

OnnxModel oneMatMul(bool throughIdentity)
{
    OnnxModel m(13);
    m.input("x", {1, 4});
    m.initializer("W", {4, 3}, ramp(12, 0.5f));
    if (throughIdentity)
        m.node("Identity", {"W"}, {"w_alias"}, "Identity_0");
    m.node("MatMul", {"x", throughIdentity ? "w_alias" : "W"}, {"mm"}, "mm");
    m.output("mm");
    return m;
}

} // namespace

class TestIdentityWeights : public QObject {
    Q_OBJECT
private slots:
    void rawImportSeesConstantWeights()
    {
        const Graph g = importOnnxBytes(identityFedModel().bytes(), "identity.onnx").graph;
        QCOMPARE(g.liveNodeCount(), size_t{3}); // the four aliases are gone
        const std::pair<const char*, OpCost> expected[] = {
            {"mm", {1 * 4 * 3, 4 * 3, 0}}, {"mm2", {1 * 4 * 3, 4 * 3, 0}}, {"conv", {3 * 3 * 3 * 2 * 9, 3 * 2 * 9, 0}}};
        for (const auto& [name, cost] : expected) {
            const Node& n = nodeNamed(g, name);
            QVERIFY2(whyNotLowerable(g, n).empty(), name);
            QCOMPARE(n.op->placeNode(n, g).placement, Placement::Analog);
            QCOMPARE(n.op->costOf(n, g).params, cost.params);
            QCOMPARE(n.op->costOf(n, g).macs, cost.macs);
        }
    }

    void keepingForwardingNodesGivesTheFileGraph()
    {
        const Graph g = importOnnxBytesAsWritten(identityFedModel().bytes(), "identity.onnx").graph;
        QCOMPARE(g.liveNodeCount(), size_t{7}); // every node the file has
        QCOMPARE(nodeNamed(g, "Identity_3").op->name(), std::string("Identity"));
    }

    void foldedWeightsKeepTheFileValues()
    {
        ImportedModel model = importOnnxBytes(identityFedModel().bytes(), "identity.onnx");
        const std::vector<float> x = {1.f, -2.f, 0.5f, 3.f}, w = ramp(12, 0.5f);
        Executor executor(model.graph);
        const std::vector<Tensor> out =
            executor.run({Tensor::fromVector(x, {1, 4}), Tensor::fromVector(ramp(50, 1.f), {1, 2, 5, 5})});
        for (int j = 0; j < 3; ++j) {
            float ref = 0;
            for (int k = 0; k < 4; ++k)
                ref += x[k] * w[k * 3 + j];
            QCOMPARE(out[0].valueAsDouble(j), double(ref));
            QCOMPARE(out[1].valueAsDouble(j), double(ref));
        }
        QCOMPARE(out[2].shape(), (Shape{1, 3, 3, 3}));
    }

    void contentHashCountsTheFileNodes()
    {
        // The hash is of the file as written: a model without the aliases is another model.
        QVERIFY(importOnnxBytes(oneMatMul(false).bytes(), "a").report.contentHash !=
                importOnnxBytes(oneMatMul(true).bytes(), "b").report.contentHash);
    }
};

QTEST_APPLESS_MAIN(TestIdentityWeights)
#include "test_identity_weights.moc"

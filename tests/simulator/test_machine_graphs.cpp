// The simulator on tiny hand-made graphs, each quantized on a few random samples,
// compiled and run bit-identically to the quantized reference: ConvTranspose (col2im on
// the accumulators, per-channel bias), grouped and depthwise convolution, Gemm with bias,
// MatMul on [.., M, K] inputs, a layer split in rows across the test chip's tiles (partial
// sums over the NoC) and in columns, and noise on for a row-split layer.
#include "SimFixture.h"

#include "core/ShapeInference.h"
#include "core/package/PackageText.h"

#include "../core/OpTestHarness.h"

using namespace tessera;
using namespace tessera::testing;

namespace {

struct Case {
    Graph graph;
    Shape input;
};

Graph oneNode(const Shape& input, const std::string& op, const Shape& weight, bool bias, Attributes attrs, int64_t biasSize)
{
    Graph g;
    g.name = op;
    ValueId x = g.addValue("x", DType::Float32, input);
    g.markGraphInput(x);
    std::vector<ValueId> ins{x, g.addConstant("w", filled(weight, -1, 1, 5))};
    if (bias)
        ins.push_back(g.addConstant("b", filled({biasSize}, -0.5f, 0.5f, 6)));
    ValueId y = g.addValue("y");
    g.addNode("layer", op, ins, {y}, std::move(attrs));
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

// Quantizes on 6 random samples, compiles for `target`, runs 3 frames on both executors.
void expectBitExact(const Graph& original, const std::string& target, const analog::NonIdealities& noise = {},
                    const std::string& disasmMustHave = "")
{
    Shape calibShape = original.value(original.inputs()[0]).shape;
    calibShape[0] = 6;
    quant::ModelGraphs model{Graph(original)};
    const QuantSpec spec = quantizeFor(model, filled(calibShape, -1, 1, 11), target, noise);
    const Graph& g = model.forBatch(1); // as calibrated (smoothing may insert nodes)
    const package::Package pkg = compileFor(g, spec, target);
    if (!disasmMustHave.empty()) {
        const std::string text = package::disassemble(pkg);
        QVERIFY2(text.find(disasmMustHave) != std::string::npos, text.c_str());
    }
    Shape xs = calibShape;
    xs[0] = 3;
    const Tensor x = filled(xs, -1, 1, 12);
    sim::RunOptions o;
    o.noise = noise.any();
    const std::vector<Tensor> got = sim::Machine(pkg).run({x}, o);
    const std::vector<Tensor> want = referenceOutputs(g, spec, x, noise.any(), 0, package::simdLayerNames(pkg));
    TESSERA_COMPARE_BITS(got[0], want[0]);
}

Attributes ints(std::initializer_list<std::pair<const char*, std::vector<int64_t>>> list)
{
    Attributes a;
    for (const auto& [name, v] : list)
        if (v.size() == 1 && std::string(name) == "group")
            a.set(name, v[0]);
        else
            a.set(name, v);
    return a;
}

} // namespace

class TestMachineGraphs : public QObject {
    Q_OBJECT
private slots:
    void convTransposeSumsTapsBeforeTheEpilogue()
    {
        const Graph g = oneNode({1, 4, 5, 5}, "ConvTranspose", {4, 3, 3, 3}, true,
                                ints({{"strides", {2, 2}}, {"pads", {1, 1, 1, 1}}}), 3);
        expectBitExact(g, "m1076", {}, "SCATTER");
    }

    void groupedConv()
    {
        expectBitExact(oneNode({1, 8, 6, 6}, "Conv", {8, 2, 3, 3}, true, ints({{"group", {4}}, {"pads", {1, 1, 1, 1}}}), 8),
                       "m1076");
    }

    void depthwiseConv()
    {
        expectBitExact(oneNode({1, 16, 6, 6}, "Conv", {16, 1, 3, 3}, true, ints({{"group", {16}}}), 16), "m1076");
    }

    void gemmWithBias()
    {
        Attributes a;
        a.set("transB", int64_t{1});
        expectBitExact(oneNode({1, 40}, "Gemm", {24, 40}, true, a, 24), "m1076");
    }

    void matmulOnRowsOfA()
    {
        expectBitExact(oneNode({1, 5, 32}, "MatMul", {32, 12}, false, {}, 0), "m1076");
    }

    // K = 600 rows on 256-row arrays: three row blocks, partial sums added on the home tile;
    // N = 300 columns: two column blocks.
    void rowAndColumnSplitAcrossTiles()
    {
        Attributes a;
        a.set("transB", int64_t{1});
        const Graph g = oneNode({1, 600}, "Gemm", {300, 600}, true, a, 300);
        expectBitExact(g, "test4", {}, "buffer=acc");
    }

    void rowSplitWithNoise()
    {
        Attributes a;
        a.set("transB", int64_t{1});
        analog::NonIdealities ni;
        ni.weightProgramNoise = 0.03;
        ni.readNoise = 0.02;
        ni.adcOffset = 0.4;
        ni.seed = 5;
        expectBitExact(oneNode({1, 600}, "Gemm", {200, 600}, true, a, 200), "test4", ni);
    }
};

QTEST_APPLESS_MAIN(TestMachineGraphs)
#include "test_machine_graphs.moc"

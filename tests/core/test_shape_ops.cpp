// Shape and data-movement ops on hand-computed cases the ONNX backend tests do not cover:
// static folding of shape chains, int64 paths, error messages for non-static inputs,
// opset-18 forms, negative pads, uneven splits, placement and cost rows.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/OpRegistry.h"
#include "core/ShapeInference.h"
#include "OpTestHarness.h"

#include <QtTest>

#include <algorithm>
#include <cstdint>
#include <limits>

using namespace tessera;
using namespace tessera::testing;

class TestShapeOps : public QObject {
    Q_OBJECT
private slots:
    // PyTorch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    void shapeChainFoldsToStaticReshape()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3, 4});
        g.markGraphInput(x);
        ValueId shape = g.addValue("shape"), dim0 = g.addValue("dim0"), dim0v = g.addValue("dim0v"),
                target = g.addValue("target"), y = g.addValue("y");
        g.addNode("shape", "Shape", {x}, {shape});
        g.addNode("gather", "Gather", {shape, g.addConstant("zero", Tensor::scalar<int64_t>(0))}, {dim0});
        g.addNode("unsq", "Unsqueeze", {dim0, g.addConstant("axes", ints({0}))}, {dim0v});
        g.addNode(
            "concat", "Concat", {dim0v, g.addConstant("minus1", ints({-1}))}, {target}, attrs({{"axis", int64_t(0)}}));
        g.addNode("reshape", "Reshape", {x, target}, {y});
        g.markGraphOutput(y);
        InferenceResult known = inferShapes(g);
        QCOMPARE(g.value(y).shape, Shape({2, 12}));
        QCOMPARE(known.knownValues.at(target).toInt64Vector(), std::vector<int64_t>({2, -1}));
        Tensor out = Executor(g).run({iota({2, 3, 4})})[0];
        QCOMPARE(out.shape(), Shape({2, 12}));
        QCOMPARE(out.toFloatVector()[13], 13.0f);
    }

    void reshapeTargetMustBeStatic()
    {
        QString message = runError("Reshape", {runtime(iota({2, 3})), runtime(ints({3, 2}))});
        QVERIFY2(message.contains("Reshape node 'node'") && message.contains("shape (input 1) must be a constant"),
                 qPrintable(message));
        message = runError("Slice", {runtime(iota({4})), runtime(ints({0})), constant(ints({2}))});
        QVERIFY2(message.contains("starts (input 1)"), qPrintable(message));
        message = runError("Reshape", {runtime(iota({2, 3})), constant(ints({4, -1}))});
        QVERIFY2(message.contains("cannot infer the -1"), qPrintable(message));
    }

    void reshapeZeroCopiesUnlessAllowZero()
    {
        QCOMPARE(runSingleOp("Reshape", {runtime(iota({2, 3, 4})), constant(ints({0, 4, -1}))})[0].shape(),
            Shape({2, 4, 3}));
        QCOMPARE(runSingleOp("Reshape", {runtime(Tensor(DType::Float32, {0, 3})), constant(ints({3, 0}))},
                       attrs({{"allowzero", int64_t(1)}}))[0].shape(),
                 Shape({3, 0}));
    }

    void int64ShapeArithmetic()
    {
        // Cast float -> int64, then int64 Add/Mul/Concat/Slice/Unsqueeze/Gather keep exact values.
        Tensor big = ints({int64_t(1) << 40, -7});
        QCOMPARE(runSingleOp("Add", {runtime(big), constant(ints({1, 2}))})[0].toInt64Vector(),
                 std::vector<int64_t>({(int64_t(1) << 40) + 1, -5}));
        QCOMPARE(runSingleOp("Mul", {runtime(big), constant(Tensor::scalar<int64_t>(3))})[0].toInt64Vector(),
                 std::vector<int64_t>({int64_t(3) << 40, -21}));
        QCOMPARE(runSingleOp("Div", {runtime(ints({7, -7})), constant(Tensor::scalar<int64_t>(2))})[0].toInt64Vector(),
                 std::vector<int64_t>({3, -3}));
        QCOMPARE(runSingleOp("Concat", {runtime(big), constant(ints({5}))}, attrs({{"axis", int64_t(-1)}}))[0]
                     .toInt64Vector(),
            std::vector<int64_t>({int64_t(1) << 40, -7, 5}));
        QCOMPARE(runSingleOp("Gather", {runtime(big), constant(Tensor::scalar<int64_t>(-1))})[0].toInt64Vector(),
                 std::vector<int64_t>({-7}));
        Tensor unsq = runSingleOp("Unsqueeze", {runtime(Tensor::scalar<int64_t>(9)), constant(ints({0}))})[0];
        QCOMPARE(unsq.shape(), Shape({1}));
        QCOMPARE(unsq.dtype(), DType::Int64);
        Tensor cast = runSingleOp("Cast", {runtime(floats({2.9f, -2.9f, 0.0f}, {3}))}, attrs({{"to", int64_t(7)}}))[0];
        QCOMPARE(cast.toInt64Vector(), std::vector<int64_t>({2, -2, 0}));
        Tensor asBool = runSingleOp("Cast", {runtime(floats({0.5f, 0.0f}, {2}))}, attrs({{"to", int64_t(9)}}))[0];
        QCOMPARE(asBool.dtype(), DType::Bool);
        QCOMPARE(asBool.toInt64Vector(), std::vector<int64_t>({1, 0}));
    }

    void sliceClampsAndStepsBackwards()
    {
        const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
        // Reverse the whole axis: start -1, end INT64_MIN, step -1.
        QCOMPARE(runSingleOp("Slice",
                     {runtime(iota({5})), constant(ints({-1})), constant(ints({lo})), constant(ints({0})),
                         constant(ints({-1}))})[0]
                     .toFloatVector(),
            std::vector<float>({4, 3, 2, 1, 0}));
        // Every other element from 1 to the (clamped) end, on int64 data.
        QCOMPARE(runSingleOp("Slice", {runtime(ints({10, 11, 12, 13, 14})), constant(ints({1})), constant(ints({hi})),
                                 constant(ints({0})), constant(ints({2}))})[0].toInt64Vector(),
                 std::vector<int64_t>({11, 13}));
        // Axis 1 of a [2, 3] tensor, negative axis and start beyond the end: empty.
        QCOMPARE(runSingleOp("Slice", {runtime(iota({2, 3})), constant(ints({7})), constant(ints({9})),
                                 constant(ints({-1}))})[0].shape(),
                 Shape({2, 0}));
    }

    void splitUnevenWithNumOutputs()
    {
        std::vector<Tensor> parts = runSingleOp("Split", {runtime(iota({5}))}, attrs({{"num_outputs", int64_t(2)}}), 2);
        QCOMPARE(parts[0].toFloatVector(), std::vector<float>({0, 1, 2}));
        QCOMPARE(parts[1].toFloatVector(), std::vector<float>({3, 4}));
        parts = runSingleOp("Split", {runtime(iota({2, 3})), constant(ints({1, 2}))}, attrs({{"axis", int64_t(1)}}), 2);
        QCOMPARE(parts[0].toFloatVector(), std::vector<float>({0, 3}));
        QCOMPARE(parts[1].toFloatVector(), std::vector<float>({1, 2, 4, 5}));
    }

    void padNegativeCropsAndOpset18Axes()
    {
        // pads [begin=-1, end=2] on the only axis, edge mode: drop x[0], repeat x[3] twice.
        QCOMPARE(
            runSingleOp("Pad", {runtime(iota({4})), constant(ints({-1, 2}))}, attrs({{"mode", std::string("edge")}}))[0]
                .toFloatVector(),
            std::vector<float>({1, 2, 3, 3, 3}));
        // axes input: pad only axis 1 of [2, 2] with constant 9 before.
        Tensor out = runSingleOp("Pad", {runtime(iota({2, 2})), constant(ints({1, 0})),
                                   constant(Tensor::scalar<float>(9.0f)), constant(ints({-1}))})[0];
        QCOMPARE(out.toFloatVector(), std::vector<float>({9, 0, 1, 9, 2, 3}));
        // reflect by 2 around [0 1 2]: 2 1 | 0 1 2 | 1 0
        QCOMPARE(runSingleOp(
                     "Pad", {runtime(iota({3})), constant(ints({2, 2}))}, attrs({{"mode", std::string("reflect")}}))[0]
                     .toFloatVector(),
            std::vector<float>({2, 1, 0, 1, 2, 1, 0}));
        QString message
            = runError("Pad", {runtime(iota({3})), constant(ints({1, 1}))}, attrs({{"mode", std::string("wrap")}}));
        QVERIFY2(message.contains("'wrap' is not supported"), qPrintable(message));
    }

    void squeezeAndUnsqueezeAxes()
    {
        QCOMPARE(runSingleOp("Squeeze", {runtime(iota({1, 3, 1}))})[0].shape(), Shape({3}));
        QCOMPARE(runSingleOp("Squeeze", {runtime(iota({1, 3, 1})), constant(ints({-1}))})[0].shape(), Shape({1, 3}));
        QCOMPARE(runSingleOp("Squeeze", {runtime(iota({1, 3, 1})), constant(ints({}))})[0].shape(),
            Shape({3})); // empty: all
        QString message = runError("Squeeze", {runtime(iota({1, 3})), constant(ints({1}))});
        QVERIFY2(message.contains("cannot squeeze axis 1"), qPrintable(message));
        QCOMPARE(runSingleOp("Unsqueeze", {runtime(iota({3})), constant(ints({-1, 0}))})[0].shape(), Shape({1, 3, 1}));
    }

    void transposeLargeMatchesDefinition()
    {
        // [2, 3, 4, 5] with perm [0, 2, 3, 1] (NCHW -> NHWC): out[n, h, w, c] = in[n, c, h, w].
        Tensor in = iota({2, 3, 4, 5});
        Attributes a = attrs({{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
        Tensor out = runSingleOp("Transpose", {runtime(in)}, a)[0];
        QCOMPARE(out.shape(), Shape({2, 4, 5, 3}));
        const float* o = out.data<float>();
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 3; ++c)
                for (int h = 0; h < 4; ++h)
                    for (int w = 0; w < 5; ++w)
                        QCOMPARE(o[((n * 4 + h) * 5 + w) * 3 + c], float(((n * 3 + c) * 4 + h) * 5 + w));
    }

    // Shapes that are not multiples of the copy tiles, every permutation of a 4-D tensor,
    // checked against the index definition out[i_perm] = in[i].
    void transposeAllPermutationsOddSizes()
    {
        const Shape shape{2, 37, 6, 41};
        Tensor in = iota(shape);
        std::vector<int64_t> perm{0, 1, 2, 3};
        do {
            Tensor out = runSingleOp("Transpose", {runtime(in)}, attrs({{"perm", perm}}))[0];
            std::vector<int64_t> outStrides(4, 1);
            for (int d = 2; d >= 0; --d)
                outStrides[d] = outStrides[d + 1] * shape[perm[d + 1]];
            const float* o = out.data<float>();
            int64_t flat = 0;
            for (int64_t a = 0; a < shape[0]; ++a)
                for (int64_t b = 0; b < shape[1]; ++b)
                    for (int64_t c = 0; c < shape[2]; ++c)
                        for (int64_t d = 0; d < shape[3]; ++d, ++flat) {
                            const int64_t idx[4] = {a, b, c, d};
                            int64_t at = 0;
                            for (int k = 0; k < 4; ++k)
                                at += idx[perm[k]] * outStrides[k];
                            if (o[at] != float(flat))
                                QFAIL(qPrintable(QString("perm %1%2%3%4: wrong element %5")
                                                     .arg(perm[0]).arg(perm[1]).arg(perm[2]).arg(perm[3]).arg(flat)));
                        }
        } while (std::next_permutation(perm.begin(), perm.end()));
    }

    // Broadcast patterns (trailing runs of each kind, mixed) against explicit index math.
    void broadcastPatternsMatchDefinition()
    {
        const std::vector<std::pair<Shape, Shape>> cases = {
            {{2, 3, 4, 5}, {3, 1, 1}}, {{2, 1, 4, 1}, {3, 1, 5}}, {{1}, {2, 3}}, {{2, 3, 4, 5}, {1, 3, 4, 1}},
            {{4, 1}, {1, 5}}, {{}, {3}}, {{2, 3}, {2, 3}}};
        for (const auto& [sa, sb] : cases) {
            Tensor a = iota(sa), b = iota(sb);
            Tensor out = runSingleOp("Sub", {runtime(a), runtime(b)})[0];
            const Shape& so = out.shape();
            const size_t rank = so.size();
            auto at = [&](const Tensor& t, int64_t flat) { // the operand element for output index `flat`
                int64_t index = 0, stride = 1, rest = flat;
                std::vector<int64_t> coord(rank);
                for (size_t d = rank; d-- > 0;) {
                    coord[d] = rest % so[d];
                    rest /= so[d];
                }
                for (size_t d = t.shape().size(); d-- > 0;) {
                    const int64_t extent = t.shape()[d];
                    index += (extent == 1 ? 0 : coord[d + rank - t.shape().size()]) * stride;
                    stride *= extent;
                }
                return t.data<float>()[index];
            };
            for (int64_t i = 0; i < out.numel(); ++i)
                QCOMPARE(out.data<float>()[i], at(a, i) - at(b, i));
        }
    }

    void constantAttributeForms()
    {
        QCOMPARE(runSingleOp("Constant", {}, attrs({{"value_ints", std::vector<int64_t>{4, 5}}}))[0].toInt64Vector(),
                 std::vector<int64_t>({4, 5}));
        Tensor f = runSingleOp("Constant", {}, attrs({{"value_float", 2.5f}}))[0];
        QCOMPARE(f.shape(), Shape({}));
        QCOMPARE(f.toFloatVector(), std::vector<float>({2.5f}));
        QCOMPARE(runSingleOp("Constant", {}, attrs({{"value", floats({1, 2}, {2})}}))[0].toFloatVector(),
            std::vector<float>({1, 2}));
    }

    void shapeStartEnd()
    {
        Attributes a = attrs({{"start", int64_t(1)}});
        a.set("end", int64_t(-1));
        QCOMPARE(
            runSingleOp("Shape", {runtime(iota({2, 3, 4, 5}))}, a)[0].toInt64Vector(), std::vector<int64_t>({3, 4}));
    }

    void dataMovementIsFreeAndSaysSo()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3});
        ValueId y = g.addValue("y");
        NodeId id = g.addNode("flat", "Flatten", {x}, {y});
        inferShapes(g);
        const Node& node = g.node(id);
        for (const char* op :
            {"Shape", "Constant", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}) {
            const OpDef* def = OpRegistry::global().find(op);
            QVERIFY2(def, op);
            PlacementDecision placement = def->placeNode(node, g);
            QCOMPARE(placement.placement, Placement::Digital);
            QVERIFY2(QString::fromStdString(placement.reason).contains("free data movement"), op);
            QCOMPARE(def->costOf(node, g).macs, int64_t(0));
        }
        QCOMPARE(OpRegistry::global().find("Concat")->quantPolicyValue(), QuantPolicy::ShareScale);
        QCOMPARE(OpRegistry::global().find("Shape")->quantPolicyValue(), QuantPolicy::ShapeOnly);
        QCOMPARE(OpRegistry::global().find("Transpose")->costOf(node, g).macs, int64_t(6));
    }
};

QTEST_APPLESS_MAIN(TestShapeOps)
#include "test_shape_ops.moc"

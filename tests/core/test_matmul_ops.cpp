// Gemm and MatMul rows: hand-computed cases for transposes, alpha/beta, C broadcasting,
// numpy batching with 1-D operands, fused activations, messages, placement and cost.
#include "OpTestHarness.h"

#include "core/ops/Gemm.h"

#include <random>

using namespace tessera;
using namespace tessera::testing;

class TestMatmulOps : public QObject {
    Q_OBJECT
private slots:
    void gemmTransposesAlphaBetaAndRowBias()
    {
        // op(A) = [[1,3],[2,4]], op(B) = [[1,0,1],[0,1,1]] -> [[1,3,4],[2,4,6]]; x2, + 0.5 x [1,2,3].
        auto y = runSingleOp("Gemm",
                             {floats({1, 2, 3, 4}, {2, 2}), constant(floats({1, 0, 0, 1, 1, 1}, {3, 2})),
                              constant(floats({1, 2, 3}, {3}))},
                             attrs({{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 2.0f}, {"beta", 0.5f}}));
        expectTensor(y[0], {2.5, 7, 9.5, 4.5, 9, 13.5}, {2, 3});
    }

    void gemmBroadcastsColumnAndScalarBias()
    {
        Tensor a = floats({1, 0, 0, 1}, {2, 2});
        Tensor b = floats({1, 2, 3, 4}, {2, 2});
        expectTensor(runSingleOp("Gemm", {a, b, floats({10, 20}, {2, 1})})[0], {11, 12, 23, 24}, {2, 2});
        expectTensor(runSingleOp("Gemm", {a, b, floats({5}, {})})[0], {6, 7, 8, 9}, {2, 2});
        expectTensor(runSingleOp("Gemm", {a, b, floats({5}, {})}, attrs({{"beta", 0.0f}}))[0], {1, 2, 3, 4}, {2, 2});
        expectTensor(runSingleOp("Gemm", {a, b, omitted()})[0], {1, 2, 3, 4}, {2, 2});
    }

    void gemmFusedRelu()
    {
        auto y = runSingleOp("Gemm", {floats({1, -1}, {1, 2}), floats({1, 2, 3, -4}, {2, 2})},
                             attrs({{"fused_activation", std::string("Relu")}}));
        expectTensor(y[0], {0, 6}, {1, 2}); // [1-3, 2+4] -> relu
    }

    void gemmMismatchNamesDims()
    {
        QString msg = buildError("Gemm", {Tensor(DType::Float32, {2, 3}), Tensor(DType::Float32, {4, 5})},
                                 attrs({{"transB", int64_t{1}}}));
        QVERIFY2(msg.contains("bad_node") && msg.contains("K=3") && msg.contains("K=5"), qPrintable(msg));
        msg = buildError("Gemm", {Tensor(DType::Float32, {2, 3}), Tensor(DType::Float32, {3, 4}),
                                  Tensor(DType::Float32, {3})}, {});
        QVERIFY2(msg.contains("C [3] cannot be broadcast to the output [2,4]"), qPrintable(msg));
    }

    void gemmPlacementAndCost()
    {
        SingleOpGraph s = buildSingleOp("Gemm", {Tensor(DType::Float32, {8, 16}), constant(Tensor(DType::Float32, {4, 16})),
                                                 constant(Tensor(DType::Float32, {4}))},
                                        attrs({{"transB", int64_t{1}}}));
        const Node& node = s.graph.node(s.node);
        QCOMPARE(node.op->placeNode(node, s.graph).placement, Placement::Analog);
        QCOMPARE(node.op->quantPolicyValue(), QuantPolicy::AnalogMatmul);
        QCOMPARE(node.op->costOf(node, s.graph).macs, int64_t{8 * 4 * 16});
        QCOMPARE(node.op->costOf(node, s.graph).params, int64_t{64 + 4});
    }

    void matmulOneDimensionalOperands()
    {
        Tensor b = floats({1, 2, 3, 4, 5, 6}, {2, 3});
        expectTensor(runSingleOp("MatMul", {floats({1, 2}, {2}), b})[0], {9, 12, 15}, {3});
        expectTensor(runSingleOp("MatMul", {b, floats({1, 0, -1}, {3})})[0], {-2, -2}, {2});
        expectTensor(runSingleOp("MatMul", {floats({1, 2}, {2}), floats({3, 4}, {2})})[0], {11}, {});
    }

    void matmulBroadcastsBatches()
    {
        // A batches [2,1] x B batches [3] -> [2,3]; each product is a_i . b_j.
        Tensor a = floats({1, 2, 3, 4}, {2, 1, 1, 2});
        Tensor b = floats({1, 0, 0, 1, 1, 1}, {3, 2, 1});
        expectTensor(runSingleOp("MatMul", {a, b})[0], {1, 2, 3, 3, 4, 7}, {2, 3, 1, 1});
    }

    void matmulSharedWeightAcrossBatch()
    {
        Tensor a = floats({1, 0, 0, 1, 2, 0, 0, 2}, {2, 2, 2});
        auto y = runSingleOp("MatMul", {a, constant(floats({1, 2, 3, 4}, {2, 2}))});
        expectTensor(y[0], {1, 2, 3, 4, 2, 4, 6, 8}, {2, 2, 2});
    }

    void sgemmMatchesEigenOnEdgeShapes()
    {
        // Shapes straddle the packed kernel's tiles (8 x 48), depth blocks (256) and column
        // blocks (1536); strides exceed the logical widths; every transpose / alpha / beta mix.
        struct Case { int64_t m, n, k; };
        const Case cases[] = {{1, 1, 1}, {13, 50, 300}, {8, 48, 256}, {33, 17, 5}, {3, 1600, 7}, {70, 97, 520}};
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        for (const Case& c : cases)
            for (int mode = 0; mode < 4; ++mode) {
                const bool ta = mode & 1, tb = mode & 2;
                const int64_t lda = (ta ? c.m : c.k) + 3, ldb = (tb ? c.k : c.n) + 2, ldc = c.n + 5;
                std::vector<float> a((ta ? c.k : c.m) * lda), b((tb ? c.n : c.k) * ldb), c0(c.m * ldc);
                for (std::vector<float>* v : {&a, &b, &c0})
                    for (float& x : *v)
                        x = dist(rng);
                const float alpha = mode == 3 ? 1.0f : 0.75f, beta = mode == 0 ? 0.0f : 0.5f;
                std::vector<float> got = c0, packedGot = c0, want = c0;
                ops::sgemm(ta, tb, c.m, c.n, c.k, alpha, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
                ops::sgemmReference(ta, tb, c.m, c.n, c.k, alpha, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
                if (!tb) { // the pre-packed-A entry point (B not transposed) must agree too
                    ops::PackedLhs packed(ta, c.m, c.k, a.data(), lda);
                    ops::sgemmPacked(packed, c.n, alpha, b.data(), ldb, beta, packedGot.data(), ldc);
                } else {
                    packedGot = want;
                }
                for (size_t i = 0; i < got.size(); ++i)
                    if (std::abs(got[i] - want[i]) > 1e-4f * (1.0f + static_cast<float>(c.k)) ||
                        std::abs(packedGot[i] - want[i]) > 1e-4f * (1.0f + static_cast<float>(c.k)))
                        QFAIL(qPrintable(QString("m=%1 n=%2 k=%3 mode %4 element %5: %6 / %7 vs %8")
                                             .arg(c.m).arg(c.n).arg(c.k).arg(mode).arg(i).arg(got[i])
                                             .arg(packedGot[i]).arg(want[i])));
            }
    }

    void matmulMismatchAndCost()
    {
        QString msg = buildError("MatMul", {Tensor(DType::Float32, {2, 3}), Tensor(DType::Float32, {4, 5})}, {});
        QVERIFY2(msg.contains("bad_node") && msg.contains("K=3") && msg.contains("K=4"), qPrintable(msg));
        msg = buildError("MatMul", {Tensor(DType::Float32, {2, 2, 3}), Tensor(DType::Float32, {3, 3, 4})}, {});
        QVERIFY2(msg.contains("cannot be broadcast"), qPrintable(msg));
        SingleOpGraph s = buildSingleOp("MatMul", {Tensor(DType::Float32, {5, 2, 3}), constant(Tensor(DType::Float32, {3, 4}))}, {});
        const Node& node = s.graph.node(s.node);
        QCOMPARE(node.op->costOf(node, s.graph).macs, int64_t{5 * 2 * 4 * 3});
        QCOMPARE(node.op->costOf(node, s.graph).params, int64_t{12});
    }
};

QTEST_APPLESS_MAIN(TestMatmulOps)
#include "test_matmul_ops.moc"

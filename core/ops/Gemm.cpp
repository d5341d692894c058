#include "core/ops/Gemm.h"

#include <Eigen/Core>

namespace tessera::ops {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class MatA, class MatB>
void multiplyInto(MutMap& c, const MatA& a, const MatB& b, float alpha, float beta)
{
    if (beta == 0.0f) {
        if (alpha == 1.0f)
            c.noalias() = a * b;
        else
            c.noalias() = alpha * (a * b);
        return;
    }
    if (beta != 1.0f)
        c *= beta;
    if (alpha == 1.0f)
        c.noalias() += a * b;
    else
        c.noalias() += alpha * (a * b);
}

} // namespace

void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
    if (k == 0) { // empty sum: only the beta * C term is left
        if (beta == 0.0f)
            cm.setZero();
        else
            cm *= beta;
        return;
    }
    ConstMap am(a, transA ? k : m, transA ? m : k, Eigen::OuterStride<>(lda));
    ConstMap bm(b, transB ? n : k, transB ? k : n, Eigen::OuterStride<>(ldb));
    if (!transA && !transB)
        multiplyInto(cm, am, bm, alpha, beta);
    else if (transA && !transB)
        multiplyInto(cm, am.transpose(), bm, alpha, beta);
    else if (!transA && transB)
        multiplyInto(cm, am, bm.transpose(), alpha, beta);
    else
        multiplyInto(cm, am.transpose(), bm.transpose(), alpha, beta);
}

} // namespace tessera::ops

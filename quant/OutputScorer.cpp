#include "quant/OutputScorer.h"

#include "core/Error.h"
#include "quant/Evaluate.h"

#include <cmath>

namespace tessera::quant {

namespace {

int64_t argmax(const float* d, int64_t n, int64_t stride)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (d[i * stride] > d[best * stride])
            best = i;
    return best;
}

// Intersection over union of the masks value > threshold; 1 when both are empty.
double maskIou(const float* fp, const float* q, int64_t n, double threshold)
{
    int64_t inter = 0, uni = 0;
    for (int64_t i = 0; i < n; ++i) {
        const bool a = fp[i] > threshold, b = q[i] > threshold;
        inter += a && b;
        uni += a || b;
    }
    return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

} // namespace

std::vector<int64_t> ctcDecode(const float* seq, int64_t positions, int64_t classes, int64_t stride, int64_t blank)
{
    std::vector<int64_t> out;
    int64_t previous = -1;
    for (int64_t t = 0; t < positions; ++t) {
        const int64_t c = argmax(seq + t * stride, classes, 1);
        if (c != previous && c != blank)
            out.push_back(c);
        previous = c;
    }
    return out;
}

OutputScorer::OutputScorer(const float* fp32, int64_t perSample, const TaskLayout& task,
                           const std::vector<int64_t>& labels)
    : m_fp(fp32), m_per(perSample), m_task(task), m_labels(labels)
{
    if (!labels.empty() && task.kind != TaskKind::Classification)
        fail("labels give one class per sample, which scores classification outputs; this output is scored as ",
             taskKindName(task.kind), " (evaluate without labels, or choose --task classification)");
}

void OutputScorer::addSample(const float* fp, const float* q, int64_t label)
{
    const TaskLayout& t = m_task;
    switch (t.kind) {
    case TaskKind::Classification: {
        const int64_t a = argmax(fp, m_per, 1), b = argmax(q, m_per, 1);
        m_agree += a == b;
        m_fpCorrect += a == label;
        m_qCorrect += b == label;
        break;
    }
    case TaskKind::Sequence:
        for (int64_t p = 0; p < t.positions; ++p)
            m_positionsAgree += argmax(fp + p * t.positionStride, t.classes, 1) == argmax(q + p * t.positionStride, t.classes, 1);
        m_positions += t.positions;
        m_agree += ctcDecode(fp, t.positions, t.classes, t.positionStride, t.blank) ==
                   ctcDecode(q, t.positions, t.classes, t.positionStride, t.blank);
        break;
    case TaskKind::Dense:
        if (t.classes == 1) {
            m_iouSum += maskIou(fp, q, t.positions, t.maskThreshold);
            break;
        }
        for (int64_t p = 0; p < t.positions; ++p)
            m_positionsAgree += argmax(fp + p, t.classes, t.classStride) == argmax(q + p, t.classes, t.classStride);
        m_positions += t.positions;
        break;
    default:
        break;
    }
}

void OutputScorer::add(int64_t first, const float* q, int64_t count)
{
    const float* fp = m_fp + first * m_per;
    for (int64_t i = 0; i < count; ++i) {
        m_signal += double(fp[i]) * fp[i];
        m_noise += (double(fp[i]) - q[i]) * (double(fp[i]) - q[i]);
    }
    for (int64_t i = 0; i < count / m_per; ++i)
        addSample(fp + i * m_per, q + i * m_per, m_labels.empty() ? -1 : m_labels[first + i]);
    m_samples += count / m_per;
}

void OutputScorer::finish(EvalReport& rep) const
{
    const double n = static_cast<double>(m_samples);
    TaskScores& s = rep.task;
    s = TaskScores{};
    s.kind = m_task.kind;
    s.relativeError = m_signal > 0.0 ? std::sqrt(m_noise / m_signal) : (m_noise > 0.0 ? INFINITY : 0.0);
    rep.samples = m_samples;
    rep.hasLabels = !m_labels.empty();
    rep.fp32Top1 = double(m_fpCorrect) / n;
    rep.quantTop1 = double(m_qCorrect) / n;
    rep.outputSqnrDb = sqnrDb(m_signal, m_noise);
    const double positions = static_cast<double>(m_positions);
    switch (m_task.kind) {
    case TaskKind::Classification:
        s.metric = "top1_agreement";
        rep.agreement = double(m_agree) / n;
        break;
    case TaskKind::Sequence:
        s.metric = "sequence_agreement";
        s.positionAgreement = double(m_positionsAgree) / positions;
        rep.agreement = s.sequenceAgreement = double(m_agree) / n;
        break;
    case TaskKind::Dense:
        if (m_task.classes == 1) {
            s.metric = "mask_iou";
            rep.agreement = s.maskIou = m_iouSum / n;
        } else {
            s.metric = "pixel_agreement";
            rep.agreement = s.pixelAgreement = double(m_positionsAgree) / positions;
        }
        break;
    default: // regression: 1 - relative error, floored at 0
        s.metric = "one_minus_relative_error";
        rep.agreement = std::max(0.0, 1.0 - s.relativeError);
        break;
    }
}

} // namespace tessera::quant

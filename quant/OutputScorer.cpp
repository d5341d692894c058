#include "quant/OutputScorer.h"

#include "core/Error.h"
#include "quant/Evaluate.h"

#include <algorithm>
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

int64_t editDistance(const std::u32string& a, const std::u32string& b)
{
    std::vector<int64_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = static_cast<int64_t>(j);
    for (size_t i = 1; i <= a.size(); ++i) {
        int64_t diagonal = row[0];
        row[0] = static_cast<int64_t>(i);
        for (size_t j = 1; j <= b.size(); ++j) {
            const int64_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::u32string utf32(const std::string& s)
{
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        char32_t cp = n == 1 ? c : c & (0x7F >> n);
        for (int k = 1; k < n; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out.push_back(cp);
        i += n;
    }
    return out;
}

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

void OutputScorer::setTextLabels(const std::vector<std::string>& texts, const std::vector<std::string>& keys)
{
    if (m_task.kind != TaskKind::Sequence)
        fail("label texts score sequence outputs; this output is scored as ", taskKindName(m_task.kind),
             " (choose --task sequence, or give integer labels)");
    if (static_cast<int64_t>(keys.size()) + 1 < m_task.classes)
        fail("the keys give ", keys.size(), " characters for a sequence output of ", m_task.classes,
             " classes (class 0 is the blank; PaddleOCR dictionaries often need --keys-space)");
    m_texts = &texts;
    m_keys = &keys;
}

std::string OutputScorer::text(const std::vector<int64_t>& classes) const
{
    std::string out;
    for (int64_t c : classes)
        if (c >= 1 && c - 1 < static_cast<int64_t>(m_keys->size()))
            out += (*m_keys)[static_cast<size_t>(c - 1)];
    return out;
}

void OutputScorer::addSequence(const float* fp, const float* q, int64_t sample)
{
    const TaskLayout& t = m_task;
    for (int64_t p = 0; p < t.positions; ++p)
        m_positionsAgree += argmax(fp + p * t.positionStride, t.classes, 1) == argmax(q + p * t.positionStride, t.classes, 1);
    m_positions += t.positions;
    const std::vector<int64_t> a = ctcDecode(fp, t.positions, t.classes, t.positionStride, t.blank);
    const std::vector<int64_t> b = ctcDecode(q, t.positions, t.classes, t.positionStride, t.blank);
    m_agree += a == b;
    if (!m_texts)
        return;
    const std::string& label = (*m_texts)[static_cast<size_t>(sample)];
    const std::string fpText = text(a), qText = text(b);
    m_fpCorrect += fpText == label;
    m_qCorrect += qText == label;
    const std::u32string want = utf32(label);
    m_labelChars += static_cast<int64_t>(want.size());
    m_fpEdits += editDistance(utf32(fpText), want);
    m_qEdits += editDistance(utf32(qText), want);
}

void OutputScorer::addSample(const float* fp, const float* q, int64_t sample)
{
    const TaskLayout& t = m_task;
    switch (t.kind) {
    case TaskKind::Classification: {
        const int64_t a = argmax(fp, m_per, 1), b = argmax(q, m_per, 1);
        const int64_t label = m_labels.empty() ? -1 : m_labels[static_cast<size_t>(sample)];
        m_agree += a == b;
        m_fpCorrect += a == label;
        m_qCorrect += b == label;
        break;
    }
    case TaskKind::Sequence:
        addSequence(fp, q, sample);
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
        addSample(fp + i * m_per, q + i * m_per, first + i);
    m_samples += count / m_per;
}

void OutputScorer::merge(const OutputScorer& o)
{
    for (int64_t OutputScorer::*count :
         {&OutputScorer::m_labelChars, &OutputScorer::m_fpEdits, &OutputScorer::m_qEdits, &OutputScorer::m_samples,
          &OutputScorer::m_fpCorrect, &OutputScorer::m_qCorrect, &OutputScorer::m_agree, &OutputScorer::m_positions,
          &OutputScorer::m_positionsAgree})
        this->*count += o.*count;
    for (double OutputScorer::*sum : {&OutputScorer::m_iouSum, &OutputScorer::m_signal, &OutputScorer::m_noise})
        this->*sum += o.*sum;
}

void OutputScorer::finish(EvalReport& rep) const
{
    const double n = static_cast<double>(m_samples);
    TaskScores& s = rep.task;
    s = TaskScores{};
    s.kind = m_task.kind;
    s.relativeError = m_signal > 0.0 ? std::sqrt(m_noise / m_signal) : (m_noise > 0.0 ? INFINITY : 0.0);
    rep.samples = m_samples;
    rep.hasLabels = !m_labels.empty() || m_texts;
    if (m_texts && m_labelChars > 0) {
        s.fp32Cer = double(m_fpEdits) / double(m_labelChars);
        s.quantCer = double(m_qEdits) / double(m_labelChars);
    }
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

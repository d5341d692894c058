#pragma once
// Scores graph output 0 of a quantized run against the FP32 reference, sample by sample,
// as the output's task says (core/quantspec/OutputTask.h): what "agreement" and "top-1"
// mean for a classifier, a sequence recognizer, a dense map or a regressor. Evaluation,
// sensitivity and the mixed-precision search all score through it.
#include "core/quantspec/OutputTask.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::quant {

// The task's figures of one run; -1 where the task has no such figure.
struct TaskScores {
    TaskKind kind = TaskKind::Classification;
    std::string metric;               // what `agreement` is: "top1_agreement", ...
    double positionAgreement = -1.0;  // sequence: positions whose argmax agrees
    double sequenceAgreement = -1.0;  // sequence: samples whose CTC decodings are equal
    double pixelAgreement = -1.0;     // dense, C > 1: pixels whose argmax agrees
    double maskIou = -1.0;            // dense, C = 1: mean IoU of the thresholded masks
    double relativeError = -1.0;      // every task: sqrt(sum (fp - q)^2 / sum fp^2)
    // Sequence with label texts: character error rate (edit distance / label characters)
    // of the FP32 and quantized decodings; exact lines are top-1 (EvalReport::*Top1).
    double fp32Cer = -1.0, quantCer = -1.0;
};

struct EvalReport;

// Levenshtein distance between two sequences of Unicode code points.
int64_t editDistance(const std::u32string& a, const std::u32string& b);
// UTF-8 -> code points (an invalid byte becomes U+FFFD).
std::u32string utf32(const std::string& utf8);

// Greedy CTC decoding of one [T, C] sequence (values of position t at t * stride): argmax
// per position, repeats collapsed, blanks dropped.
std::vector<int64_t> ctcDecode(const float* seq, int64_t positions, int64_t classes, int64_t stride, int64_t blank);

class OutputScorer {
public:
    // `fp32`: [N, perSample]; `labels`: empty, or one class per sample (classification only:
    // fails naming the task otherwise). Both outlive the scorer.
    OutputScorer(const float* fp32, int64_t perSample, const TaskLayout& task, const std::vector<int64_t>& labels);
    // The scorer keeps a reference to the labels: a temporary (`{}`) would dangle (ASan:
    // stack-use-after-scope in finish()), so it does not compile.
    OutputScorer(const float* fp32, int64_t perSample, const TaskLayout& task, std::vector<int64_t>&& labels) = delete;
    // Sequence outputs read against label texts (Dataset::textLabels, one per sample): a
    // decoded class c >= 1 is keys[c - 1] (0: the blank). Both outlive the scorer.
    void setTextLabels(const std::vector<std::string>& texts, const std::vector<std::string>& keys);
    // Quantized outputs of samples [first, first + count / perSample).
    void add(int64_t first, const float* quantized, int64_t count);
    // Fills samples, hasLabels, fp32Top1, quantTop1, agreement (the task's primary figure),
    // outputSqnrDb and task.
    void finish(EvalReport& report) const;
    // Adds another scorer's counts (the same task on other samples, e.g. another shape group).
    void merge(const OutputScorer& other);

private:
    void addSample(const float* fp, const float* q, int64_t sample);
    void addSequence(const float* fp, const float* q, int64_t sample);
    std::string text(const std::vector<int64_t>& classes) const;

    const float* m_fp;
    int64_t m_per;
    TaskLayout m_task;
    const std::vector<int64_t>& m_labels;
    const std::vector<std::string>* m_texts = nullptr;
    const std::vector<std::string>* m_keys = nullptr;
    int64_t m_labelChars = 0, m_fpEdits = 0, m_qEdits = 0;
    int64_t m_samples = 0, m_fpCorrect = 0, m_qCorrect = 0, m_agree = 0;
    int64_t m_positions = 0, m_positionsAgree = 0;
    double m_iouSum = 0.0;
    double m_signal = 0.0, m_noise = 0.0;
};

} // namespace tessera::quant

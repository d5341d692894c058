// Task-aware scoring of graph output 0 (core/quantspec/OutputTask.h, quant/OutputScorer.h):
// the task picked from the output's shape, CTC decoding, sequence / dense / regression
// figures on hand-made outputs whose answers are worked out by hand, the task recorded in
// the quantization spec, and a sensitivity report read back for the search.
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/OutputScorer.h"
#include "quant/Sensitivity.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace tessera;
using namespace tessera::quant;

namespace {

EvalReport score(const std::vector<float>& fp, const std::vector<float>& q, const TaskLayout& task,
                 const std::vector<int64_t>& labels = {})
{
    OutputScorer scorer(fp.data(), static_cast<int64_t>(fp.size()) / 2, task, labels); // 2 samples
    scorer.add(0, q.data(), static_cast<int64_t>(q.size()));
    EvalReport r;
    scorer.finish(r);
    return r;
}

// One-hot [T, C] rows from a list of class indices.
std::vector<float> oneHot(const std::vector<int>& classes, int c)
{
    std::vector<float> v(classes.size() * c, 0.0f);
    for (size_t t = 0; t < classes.size(); ++t)
        v[t * c + classes[t]] = 1.0f;
    return v;
}

std::vector<float> cat(std::vector<float> a, const std::vector<float>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// x [N, 4] -> Relu -> y [N, 4], batch symbolic: a 4-class "classifier".
ModelGraphs reluModel()
{
    Graph g;
    g.name = "relu";
    const ValueId x = g.addValue("x", DType::Float32, {1, 4});
    const ValueId y = g.addValue("y");
    g.addNode("act", "Relu", {x}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return ModelGraphs(std::move(g));
}

// Counts progress reports: any report means a run has started.
class CountingProgress : public ProgressSink {
public:
    void report(double, std::string_view) override { ++reports; }
    bool isCancelled() const override { return false; }
    int reports = 0;
};

} // namespace

class TestOutputTask : public QObject {
    Q_OBJECT
private slots:
    void autoFromShape()
    {
        QCOMPARE(int(resolveTask({}, {10}, "y").kind), int(TaskKind::Classification));
        QCOMPARE(int(resolveTask({}, {1}, "y").kind), int(TaskKind::Regression));
        const TaskLayout seq = resolveTask({}, {40, 97}, "y");
        QCOMPARE(int(seq.kind), int(TaskKind::Sequence));
        QCOMPARE(seq.positions, int64_t(40));
        QCOMPARE(seq.classes, int64_t(97));
        const TaskLayout map = resolveTask({}, {1, 16, 16}, "y");
        QCOMPARE(int(map.kind), int(TaskKind::Dense));
        QCOMPARE(map.positions, int64_t(256));
        QCOMPARE(int(resolveTask({}, {16, 32, 2, 2}, "y").kind), int(TaskKind::Regression));
        QVERIFY_THROWS_EXCEPTION(Error, resolveTask({TaskKind::Sequence, 0, 0.3}, {10}, "y"));
        QVERIFY_THROWS_EXCEPTION(Error, resolveTask({TaskKind::Sequence, 7, 0.3}, {4, 5}, "y")); // blank >= C
    }

    void ctcCollapsesRepeatsAndDropsBlanks()
    {
        const std::vector<float> s = oneHot({0, 3, 3, 0, 3, 5, 5, 0}, 6);
        QCOMPARE(ctcDecode(s.data(), 8, 6, 6, 0), (std::vector<int64_t>{3, 3, 5}));
        QCOMPARE(ctcDecode(s.data(), 8, 6, 6, 3), (std::vector<int64_t>{0, 0, 5, 0}));
    }

    void sequenceScoresPositionsAndDecodings()
    {
        const TaskLayout task = resolveTask({}, {4, 3}, "y");
        // Sample 0: 2 of 4 positions differ, but both decode to [1, 2].
        // Sample 1: 2 of 4 positions differ and the decodings differ: [2] vs [1].
        const std::vector<float> fp = cat(oneHot({1, 1, 0, 2}, 3), oneHot({0, 2, 2, 0}, 3));
        const std::vector<float> q = cat(oneHot({1, 0, 2, 2}, 3), oneHot({0, 1, 1, 0}, 3));
        const EvalReport r = score(fp, q, task);
        QCOMPARE(r.task.metric, std::string("sequence_agreement"));
        QCOMPARE(r.task.sequenceAgreement, 0.5);
        QCOMPARE(r.agreement, 0.5);
        QCOMPARE(r.task.positionAgreement, 4.0 / 8.0); // sample 0: 2 of 4, sample 1: 2 of 4
    }

    void editDistanceOnCodePoints()
    {
        QCOMPARE(editDistance(utf32("kitten"), utf32("sitting")), int64_t(3));
        QCOMPARE(utf32("a\xc3\xa9\xe4\xb8\xad").size(), size_t(3)); // a, e-acute, a CJK character
        QCOMPARE(editDistance(utf32("\xe4\xb8\xad"), utf32("\xe6\x96\x87")), int64_t(1));
    }

    void sequenceAgainstLabelTexts()
    {
        const TaskLayout task = resolveTask({}, {4, 3}, "y"); // blank 0, keys a = 1, b = 2
        // Sample 0: both decode "ab" (label "ab"). Sample 1: FP32 "bb", quantized "b" (label "bb").
        const std::vector<float> fp = cat(oneHot({1, 0, 2, 2}, 3), oneHot({2, 0, 2, 0}, 3));
        const std::vector<float> q = cat(oneHot({1, 1, 2, 0}, 3), oneHot({2, 2, 0, 0}, 3));
        const std::vector<std::string> texts{"ab", "bb"}, keys{"a", "b"};
        const std::vector<int64_t> noLabels; // outlives the scorers (a `{}` dangled)
        OutputScorer scorer(fp.data(), 12, task, noLabels);
        scorer.setTextLabels(texts, keys);
        scorer.add(0, q.data(), 24);
        EvalReport r;
        scorer.finish(r);
        QVERIFY(r.hasLabels);
        QCOMPARE(r.fp32Top1, 1.0);
        QCOMPARE(r.quantTop1, 0.5);
        QCOMPARE(r.task.fp32Cer, 0.0);
        QCOMPARE(r.task.quantCer, 0.25); // one deletion in 4 label characters
        const std::vector<std::string> fewKeys{"a"};
        OutputScorer other(fp.data(), 12, task, noLabels);
        QVERIFY_THROWS_EXCEPTION(Error, other.setTextLabels(texts, fewKeys)); // 3 classes need 2 keys
    }

    void denseMaskIouAndPixelArgmax()
    {
        const TaskLayout mask = resolveTask({}, {1, 2, 2}, "map");
        // Sample 0: masks {1,1,0,0} vs {1,0,1,0}: IoU 1/3. Sample 1: both empty: IoU 1.
        const EvalReport r = score({0.9f, 0.8f, 0.1f, 0.0f, 0.0f, 0.1f, 0.2f, 0.0f},
                                   {0.9f, 0.2f, 0.5f, 0.0f, 0.1f, 0.0f, 0.0f, 0.2f}, mask);
        QCOMPARE(r.task.metric, std::string("mask_iou"));
        QVERIFY(std::fabs(r.agreement - (1.0 / 3.0 + 1.0) / 2.0) < 1e-12);
        const TaskLayout classes = resolveTask({}, {2, 1, 2}, "seg"); // 2 classes, 2 pixels: [C, H, W]
        // Sample 0 pixels: fp classes (0, 1), q (0, 0). Sample 1: fp (1, 1), q (1, 1).
        const EvalReport p = score({5, 0, 1, 3, 0, 0, 1, 1}, {5, 4, 1, 3, 0, 0, 1, 1}, classes);
        QCOMPARE(p.task.pixelAgreement, 3.0 / 4.0);
    }

    void regressionUsesRelativeError()
    {
        const EvalReport r = score({3, 4, 0, 0}, {3, 4, 0, 5}, resolveTask({TaskKind::Regression, 0, 0.3}, {2}, "y"));
        QCOMPARE(r.task.relativeError, 1.0); // noise 25 / signal 25
        QCOMPARE(r.agreement, 0.0);
    }

    void labelsOnlyScoreClassification()
    {
        const TaskLayout seq = resolveTask({}, {4, 3}, "y");
        std::vector<float> fp(24, 0.0f);
        const std::vector<int64_t> labels{1, 2};
        QVERIFY_THROWS_EXCEPTION(Error, OutputScorer(fp.data(), 12, seq, labels));
    }

    void specRecordsTheTask()
    {
        QuantSpec spec;
        spec.config.task = {TaskKind::Sequence, 5, 0.3};
        nlohmann::json j = toJson(spec);
        QCOMPARE(j["config"]["task"]["kind"].get<std::string>(), std::string("sequence"));
        QVERIFY(quantSpecFromJson(j, "spec.json").config.task == spec.config.task);
        j["config"].erase("task"); // files from before tasks: auto
        QCOMPARE(int(quantSpecFromJson(j, "old.json").config.task.kind), int(TaskKind::Auto));
        j["config"]["task"] = {{"kind", "segmentation"}};
        QVERIFY_THROWS_EXCEPTION(Error, quantSpecFromJson(j, "bad.json"));
    }

    // x [N, 4] -> Relu -> y [N, 4], batch symbolic: per sample 2 x 16 bytes of activations.
    void perLayerRunsStayWithinTheBudget()
    {
        ModelGraphs model = reluModel();
        QCOMPARE(perLayerBatchSize(model, 100, 100), int64_t(3)); // 3 x 32 <= 100 bytes
        QCOMPARE(perLayerBatchSize(model, 2, 100), int64_t(2));
        QCOMPARE(perLayerBatchSize(model, 100, 10), int64_t(1));
    }

    // A label outside the output's 4 classes is refused before the first run (no progress
    // reported), by evaluate and by the FP32 reference that sensitivity and search share.
    void badLabelsFailBeforeAnyRun()
    {
        ModelGraphs model = reluModel();
        Dataset data;
        data.inputs = Tensor::fromVector<float>(std::vector<float>(12, 1.0f), {3, 4});
        const QuantSpec spec = calibrate(model, data, QuantConfig{});
        data.labels = {0, 4, 1};
        data.labelsSource = "bad_labels.npy";
        CountingProgress progress;
        try {
            evaluate(model, spec, data, {}, &progress);
            QFAIL("label 4 of a 4-class output was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("bad_labels.npy: label 4 at index 1 is outside the model's 4 classes") !=
                         std::string::npos,
                     e.what());
        }
        QCOMPARE(progress.reports, 0);
        QVERIFY_THROWS_EXCEPTION(Error, computeFp32Reference(model, data, 100, &progress));
        QCOMPARE(progress.reports, 0);
    }

    void sensitivityReportReadBack()
    {
        QuantSpec base;
        base.layers.resize(1);
        base.layers[0].node = "fc";
        SensitivityReport s;
        s.metric = "top1_agreement";
        s.entries.push_back({"fc", 4, 80, 0.0, 0.02, 0.98, 31.5});
        QTemporaryDir dir;
        const std::string path = dir.filePath("sens.json").toStdString();
        std::ofstream(path) << toJson(s).dump();
        const SensitivityReport back = readSensitivityFor(path, base, {4}, false);
        QCOMPARE(back.entries.size(), size_t(1));
        QCOMPARE(back.entries[0].agreement, 0.98);
        QCOMPARE(back.entries[0].outputSqnrDb, 31.5);
        try {
            readSensitivityFor(path, base, {4, 2}, false);
            QFAIL("a missing depth was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("no entry for layer 'fc' at 2 bits") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, readSensitivityFor(path, base, {4}, true)); // labels differ
    }
};

QTEST_APPLESS_MAIN(TestOutputTask)
#include "test_output_task.moc"

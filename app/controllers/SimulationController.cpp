#include "app/controllers/SimulationController.h"

#include "app/controllers/QuantController.h"
#include "core/Error.h"
#include "core/Executor.h"
#include "quant/OutputScorer.h"
#include "quant/QuantizeApi.h"
#include "quant/QuantizedExecutor.h"
#include "simulator/Machine.h"

#include <QElapsedTimer>
#include <QPointer>

#include <chrono>
#include <cstring>

namespace tessera::studio {

namespace {

constexpr int64_t kDefaultSamples = 200;
constexpr int kDefaultSeeds = 5;
constexpr int64_t kChunkFrames = 32; // frames per simulator call (progress and cancel)

// `out` scored against `ref` (samples stacked on dim 0) as the output's task says
// (quant/OutputScorer.h): agreement, and top-1 of both with classification labels.
quant::EvalReport scoreAgainst(const Tensor& ref, const Tensor& out, const TaskLayout& task,
                               const std::vector<int64_t>& labels)
{
    const std::vector<float> r = ref.castTo(DType::Float32).toFloatVector(), o = out.castTo(DType::Float32).toFloatVector();
    quant::OutputScorer scorer(r.data(), ref.numel() / std::max<int64_t>(1, ref.dim(0)), task, labels);
    scorer.add(0, o.data(), static_cast<int64_t>(o.size()));
    quant::EvalReport e;
    scorer.finish(e);
    return e;
}

int64_t differing(const Tensor& a, const Tensor& b)
{
    if (a.shape() != b.shape() || a.dtype() != b.dtype())
        return std::max<int64_t>(1, a.numel());
    int64_t n = 0;
    const float* x = a.data<float>();
    const float* y = b.data<float>();
    for (int64_t i = 0; i < a.numel(); ++i)
        n += std::memcmp(&x[i], &y[i], sizeof(float)) != 0;
    return n;
}

struct SimInput {
    std::shared_ptr<const CompiledModel> compiled;
    quant::DataSource data; // no files: performance only
    std::string noise = "off"; // `tessera simulate --noise`: off, default or a file
    int seeds = kDefaultSeeds;
};

// The frames of a data run and what its outputs are scored against.
struct ScoredFrames {
    Tensor x;     // whole graph batches of samples
    Tensor fpOut; // FP32 outputs of x
    TaskLayout task;
    std::vector<int64_t> labels; // empty: agreement with FP32
};

// The frames of every output of `run(frame slice)`, one call per graph batch, stacked.
template <class Run>
Tensor stackFrames(const Tensor& x, int64_t per, Run&& run)
{
    std::vector<Tensor> parts;
    for (int64_t f = 0; f < x.dim(0) / per; ++f)
        parts.push_back(run(quant::sliceRows(x, f * per, per)));
    return quant::concatRows(parts);
}

// The simulator over the data in chunks, then both references on the same frames.
ScoredFrames simulateData(const package::Package& pkg, const SimInput& in, SimulationResult& r, ProgressSink& sink)
{
    sink.checkpoint(0.05, "loading the evaluation data");
    const quant::Dataset data = quant::loadDataSource(in.data);
    const Graph& graph = *in.compiled->graph;
    const int64_t per = std::max<int64_t>(1, graph.value(graph.inputs()[0]).shape[0]);
    const Tensor x = quant::sliceRows(data.inputs, 0, data.count() / per * per);
    r.frames = x.dim(0) / per;
    if (r.frames == 0)
        fail(in.data.npyFiles[0], ": fewer samples than the model's batch of ", per);
    const sim::Machine machine(pkg);
    std::vector<Tensor> simParts;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t f = 0; f < r.frames; f += kChunkFrames) {
        sink.checkpoint(0.1 + 0.6 * static_cast<double>(f) / static_cast<double>(r.frames),
                        "simulating frame " + std::to_string(f + 1) + " of " + std::to_string(r.frames));
        const int64_t n = std::min(kChunkFrames, r.frames - f);
        sim::RunOptions o;
        o.firstFrame = static_cast<uint64_t>(f);
        simParts.push_back(machine.run({quant::sliceRows(x, f * per, n * per)}, o)[0]);
    }
    r.simSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Tensor simOut = quant::concatRows(simParts);
    sink.checkpoint(0.75, "FP32 reference");
    Executor fp32(graph);
    const Tensor fpOut = stackFrames(x, per, [&](const Tensor& part) { return fp32.run({part})[0]; });
    const Value& output = graph.value(graph.outputs()[0]);
    const Shape sampleShape(output.shape.begin() + 1, output.shape.end());
    const TaskLayout task =
        resolveTask(in.compiled->spec ? in.compiled->spec->config.task : OutputTask{}, sampleShape, output.name);
    const int64_t samples = x.dim(0);
    r.hasLabels = static_cast<int64_t>(data.labels.size()) >= samples && task.kind == TaskKind::Classification;
    const std::vector<int64_t> labels =
        r.hasLabels ? std::vector<int64_t>(data.labels.begin(), data.labels.begin() + samples) : std::vector<int64_t>{};
    const quant::EvalReport vsFp32 = scoreAgainst(fpOut, simOut, task, labels);
    r.agreementFp32 = vsFp32.agreement;
    r.simTop1 = vsFp32.quantTop1;
    r.fp32Top1 = vsFp32.fp32Top1;
    if (in.compiled->spec) {
        sink.checkpoint(0.85, "quantized reference");
        quant::QuantizedExecutor q(graph, *in.compiled->spec);
        const Tensor qOut = stackFrames(x, per, [&](const Tensor& part) { return q.run({part})[0]; });
        r.differingValues = differing(simOut, qOut);
        r.bitIdentical = r.differingValues == 0;
        const quant::EvalReport vsQuant = scoreAgainst(qOut, simOut, task, labels);
        r.agreementQuant = vsQuant.agreement;
        r.quantTop1 = vsQuant.fp32Top1; // the reference's own top-1 against the labels
    }
    return {x, fpOut, task, labels};
}

// The package with the chosen noise model, once per seed over the same frames.
void simulateNoise(package::Package pkg, const SimInput& in, const ScoredFrames& f, SimulationResult& r,
                   ProgressSink& sink)
{
    r.noiseModel = sim::noiseModel(in.noise, pkg);
    pkg.nonIdealities = r.noiseModel;
    const sim::Machine machine(std::move(pkg));
    sim::SeedSweepOptions o;
    o.firstSeed = r.noiseModel.seed;
    o.seeds = std::max(1, in.seeds);
    o.chunkFrames = kChunkFrames;
    const bool labelled = r.hasLabels;
    const auto t0 = std::chrono::steady_clock::now();
    r.noisy = sim::sweepSeeds(machine, f.x, o, [&](const Tensor& out) {
        const quant::EvalReport e = scoreAgainst(f.fpOut, out, f.task, f.labels);
        return labelled ? e.quantTop1 : e.agreement; // as SimulationResult::accuracy()
    }, &sink);
    r.noisySeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::shared_ptr<SimulationResult> simulate(const SimInput& in, ProgressSink& sink)
{
    auto r = std::make_shared<SimulationResult>();
    r->compiled = in.compiled;
    sink.checkpoint(0.0, "building the package");
    const package::Package pkg = packageOf(*in.compiled);
    r->noise = in.noise;
    if (!in.data.npyFiles.empty()) {
        const bool noisy = in.noise != "off";
        SubProgress clean(sink, 0.0, noisy ? 0.35 : 0.95), seeds(sink, 0.35, 0.95);
        const ScoredFrames frames = simulateData(pkg, in, *r, clean);
        if (noisy)
            simulateNoise(pkg, in, frames, *r, seeds);
    }
    sink.checkpoint(0.95, "performance model");
    r->perf = sim::modelPerformance(pkg);
    return r;
}

QString bitsText(const std::map<std::string, int>& m, const std::string& layer, int fallback)
{
    const auto it = m.find(layer);
    return QString::number(it == m.end() ? fallback : it->second);
}

} // namespace

QString describeBitChanges(const CompiledModel& before, const CompiledModel& after)
{
    QStringList parts;
    for (const compiler::LayerPlan& layer : after.result.layers) {
        const std::string& n = layer.node;
        const QString wb = bitsText(before.bits, n, 8), wa = bitsText(after.bits, n, 8);
        const QString ab = bitsText(before.adcBits, n, 0), aa = bitsText(after.adcBits, n, 0);
        const QString db = bitsText(before.dacBits, n, 0), da = bitsText(after.dacBits, n, 0);
        if (wb != wa)
            parts << QObject::tr("%1 %2→%3 bits").arg(QString::fromStdString(n), wb, wa);
        if (ab != aa)
            parts << QObject::tr("%1 ADC %2→%3 bits").arg(QString::fromStdString(n), ab == "0" ? "default" : ab, aa == "0" ? "default" : aa);
        if (db != da)
            parts << QObject::tr("%1 DAC %2→%3 bits").arg(QString::fromStdString(n), db == "0" ? "default" : db, da == "0" ? "default" : da);
    }
    if (before.target != after.target)
        parts << QObject::tr("target %1→%2").arg(before.target, after.target);
    return parts.join(", ");
}

SimulationController::SimulationController(ProjectModel* model, JobManager* jobs, QuantController* quant,
                                           CompileController* compile, QObject* parent)
    : QObject(parent), m_model(model), m_jobs(jobs), m_quant(quant), m_compile(compile)
{
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        cancel();
        m_current.reset();
        m_previous.reset();
        m_follow = m_pendingRun = false;
        emit resultChanged();
    });
    connect(m_compile, &CompileController::resultChanged, this, &SimulationController::onCompiled);
    connect(m_jobs, &JobManager::jobEnded, this, [this](int id) {
        if (id != m_job)
            return;
        m_job = 0;
        emit busyChanged(false);
    });
    connect(m_jobs, &JobManager::jobProgress, this, [this](int id, double fraction, const QString& text) {
        if (id == m_job)
            emit progress(fraction, text);
    });
}

int64_t SimulationController::sampleLimit() const
{
    return m_model->panelState(kPanelId).value("samples").toInteger(kDefaultSamples);
}

void SimulationController::setSampleLimit(int64_t samples)
{
    QJsonObject state = m_model->panelState(kPanelId);
    state["samples"] = static_cast<double>(samples);
    m_model->setPanelState(kPanelId, state);
    emit settingsChanged();
}

QString SimulationController::noise() const
{
    const QString n = m_model->panelState(kPanelId).value("noise").toString("off");
    return n == "default" || n == "file" ? n : QString("off");
}

QString SimulationController::noiseFile() const
{
    return m_model->panelState(kPanelId).value("noiseFilePath").toString();
}

void SimulationController::setNoise(const QString& choice, const QString& file)
{
    QJsonObject state = m_model->panelState(kPanelId);
    state["noise"] = choice;
    if (!file.isEmpty())
        state["noiseFilePath"] = file;
    m_model->setPanelState(kPanelId, state);
    emit settingsChanged();
}

int SimulationController::seeds() const
{
    return std::max(1, m_model->panelState(kPanelId).value("seeds").toInt(kDefaultSeeds));
}

void SimulationController::setSeeds(int seeds)
{
    QJsonObject state = m_model->panelState(kPanelId);
    state["seeds"] = std::max(1, seeds);
    m_model->setPanelState(kPanelId, state);
    emit settingsChanged();
}

QString SimulationController::noiseArgument() const
{
    return noise() == "file" ? noiseFile() : noise();
}

QString SimulationController::dataPath() const
{
    return m_quant ? m_quant->evalInputs() : m_model->project().datasetPath;
}

int SimulationController::run()
{
    if (!m_model->hasDocument()) {
        emit message(tr("Simulate: open a model first"), true);
        return 0;
    }
    if (dataPath().isEmpty()) {
        emit message(tr("Simulate: choose data first (Project > Calibration Dataset or the quantization dock's Eval Data…)"), true);
        return 0;
    }
    if (noise() == "file" && noiseFile().isEmpty()) {
        emit message(tr("Simulate: choose a noise-model file (Noise > File…) or another noise setting"), true);
        return 0;
    }
    m_follow = true;
    if (!m_compile->compiled() || m_compile->isStale() || m_compile->runningJob()) {
        m_pendingRun = true;
        if (!m_compile->runningJob())
            m_compile->compile();
        return 0;
    }
    return startJob(true);
}

int SimulationController::runPerformance()
{
    if (!m_compile->compiled() || !m_compile->compiled()->result.fits)
        return 0;
    return startJob(false);
}

void SimulationController::onCompiled()
{
    const std::shared_ptr<const CompiledModel> compiled = m_compile->compiled();
    if (!compiled || m_compile->isStale())
        return;
    if (!compiled->result.fits) {
        m_pendingRun = false;
        emit message(tr("Simulate: the model does not fit the target"), true);
        return;
    }
    const bool withData = m_pendingRun || m_follow;
    m_pendingRun = false;
    startJob(withData);
}

int SimulationController::startJob(bool withData)
{
    SimInput in{m_compile->compiled(), {}};
    if (withData) {
        in.data.npyFiles = {dataPath().toStdString()};
        if (m_quant)
            in.data.labelsNpy = m_quant->evalLabels().toStdString();
        in.data.limit = sampleLimit();
        in.noise = noiseArgument().toStdString();
        in.seeds = seeds();
    }
    QString title = withData ? tr("Simulate %1 samples").arg(sampleLimit() ? QString::number(sampleLimit()) : tr("all"))
                             : tr("Performance model");
    if (withData && in.noise != "off")
        title += tr(", noise on over %n seed(s)", "", in.seeds);
    m_job = m_jobs->start(title, "simulate", [in, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        std::shared_ptr<const SimulationResult> result = simulate(in, sink);
        return [self, result] {
            if (self)
                self->apply(result);
        };
    });
    emit busyChanged(true);
    return m_job;
}

void SimulationController::apply(std::shared_ptr<const SimulationResult> result)
{
    const auto key = [](const CompiledModel& c) { return std::tie(c.bits, c.adcBits, c.dacBits, c.target); };
    if (m_current && key(*m_current->compiled) != key(*result->compiled))
        m_previous = m_current;
    m_current = std::move(result);
    const SimulationResult& r = *m_current;
    QString text = tr("Simulated %1: latency %2 µs, %3 frames/s, %4 µJ/frame")
                       .arg(QString::fromStdString(r.perf.model))
                       .arg(r.perf.latencyNs / 1e3, 0, 'f', 1)
                       .arg(r.perf.fps, 0, 'f', 0)
                       .arg(r.perf.energyPjPerFrame / 1e6, 0, 'f', 2);
    if (r.frames)
        text += tr("; %1 frames, bit-identical to the quantized reference: %2")
                    .arg(r.frames)
                    .arg(!r.bitIdentical ? tr("n/a") : *r.bitIdentical ? tr("yes") : tr("no"));
    if (r.noisy)
        text += tr("; noise on: %1 ± %2 % over %3 seeds")
                    .arg(100 * r.noisy->mean, 0, 'f', 2)
                    .arg(100 * r.noisy->spread, 0, 'f', 2)
                    .arg(r.noisy->values.size());
    emit message(text, r.bitIdentical && !*r.bitIdentical);
    emit resultChanged();
}

void SimulationController::cancel()
{
    m_pendingRun = false;
    if (m_job)
        m_jobs->cancel(m_job);
}

QVector<double> SimulationController::tileBusy() const
{
    QVector<double> busy;
    if (!m_current)
        return busy;
    busy.fill(0.0, static_cast<int>(m_current->compiled->result.tiles.size()));
    for (const sim::TilePerf& t : m_current->perf.tiles)
        if (const int i = compiledTileOf(t.tile); i >= 0)
            busy[i] = t.busy;
    return busy;
}

int SimulationController::compiledTileOf(int64_t perfTile) const
{
    if (!m_current)
        return -1;
    const std::vector<compiler::TilePlan>& tiles = m_current->compiled->result.tiles;
    for (const sim::TilePerf& t : m_current->perf.tiles)
        if (t.tile == perfTile)
            for (size_t i = 0; i < tiles.size(); ++i)
                if (tiles[i].coord.row == t.row && tiles[i].coord.col == t.col)
                    return static_cast<int>(i);
    return -1;
}

NodeId SimulationController::nodeOfName(const std::string& name) const
{
    // Performance-model labels: a layer ("/c1/Conv"), its epilogue ("/c1/Conv epilogue"), a
    // digital op's or transfer's tensor ("/MaxPool_output_0", ".../smoothed"): the node, else
    // the producer of the tensor, dropping a trailing " word" or "/part" until one matches.
    if (!m_model->hasDocument())
        return kNoNode;
    const Graph& g = m_model->document()->graph();
    std::string key = name.substr(0, name.find(' '));
    while (!key.empty()) {
        if (const std::optional<NodeId> node = g.findNode(key))
            return *node;
        if (const std::optional<ValueId> value = g.findValue(key); value && g.value(*value).producer != kNoNode)
            return g.value(*value).producer;
        const size_t slash = key.rfind('/');
        key = slash == std::string::npos || slash == 0 ? std::string() : key.substr(0, slash);
    }
    return kNoNode;
}

} // namespace tessera::studio

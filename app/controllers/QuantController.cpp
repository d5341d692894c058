#include "app/controllers/QuantController.h"

#include "app/model/ImagePreprocessing.h"

#include "core/quantspec/JsonFields.h"
#include "app/controllers/QuantArtifacts.h"
#include "app/framecost/PerfFrameCost.h"

#include "app/model/LayerEdits.h"
#include "core/Error.h"
#include "core/analog/SpecProgramming.h"
#include "core/io/FileIO.h"
#include "quant/Calibrator.h"
#include "quant/QuantizeApi.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QFileInfo>
#include <QPointer>
#include <QStandardPaths>

#include <cmath>
#include <fstream>
#include <limits>

namespace tessera::studio {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string str(const QString& s) { return s.toStdString(); }



} // namespace

std::vector<quant::ParetoPoint> paretoFromJson(const nlohmann::json& j, const std::string& source)
{
    try {
        std::vector<quant::ParetoPoint> points;
        for (const auto& e : j.at("points")) {
            quant::ParetoPoint p;
            p.weightBits = e.at("weight_bits").get<std::map<std::string, int>>();
            p.adcBits = e.value("adc_bits", std::map<std::string, int>{});
            p.dacBits = e.value("dac_bits", std::map<std::string, int>{});
            p.cost = e.at("cost").get<double>();
            p.top1 = e.at("top1").get<double>();
            p.accuracyDrop = e.at("accuracy_drop").get<double>();
            p.agreement = e.at("agreement").get<double>();
            p.outputSqnrDb = dbFromJson(e.at("output_sqnr_db"));
            p.fractionWeightsAtMost3Bits = e.value("fraction_weights_at_most_3_bits", 0.0);
            p.onFront = e.at("pareto").get<bool>();
            p.predictedCost = e.value("predicted_cost", p.cost);
            if ((p.hasFrame = e.contains("frame")))
                p.frame = quant::frameFiguresFromJson(e.at("frame"));
            points.push_back(std::move(p));
        }
        return points;
    } catch (const nlohmann::json::exception& e) {
        fail("mixed-precision cache '", source, "' does not look like `tessera mixed-precision` output: ", e.what());
    }
}

namespace {

// The cost objective of a mixed-precision report (reports without one: weight bits).
quant::CostObjective objectiveOf(const nlohmann::json& report)
{
    return quant::parseCostObjective(report.value("objective", std::string("weight-bits")));
}

} // namespace

QuantController::QuantController(ProjectModel* model, JobManager* jobs, QObject* parent)
    : QObject(parent), m_model(model), m_jobs(jobs)
{
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        if (m_job) { // its result belongs to the previous model
            m_jobs->cancel(m_job);
            m_job = 0;
            emit busyChanged(false);
        }
        m_base.reset();
        m_costGraph.reset();
        m_sensitivity.reset();
        m_pareto.clear();
        m_measurement.reset();
        rebuildLayers();
        loadCaches();
        emit calibrationChanged();
        emit sensitivityChanged();
        emit paretoChanged();
        emit measurementChanged();
    });
    connect(m_model, &ProjectModel::projectChanged, this, [this] {
        emit bitsChanged(); // choices may have been replaced wholesale
        if (m_model->hasDocument())
            loadCaches();
    });
    connect(m_model, &ProjectModel::layerChoiceChanged, this, [this](const QString&, const QString& key) {
        if (key == "bits" || key == SetLayerAdcBits::kKey || key == SetLayerDacBits::kKey)
            emit bitsChanged();
    });
    connect(m_model, &ProjectModel::aboutToSave, this, &QuantController::moveCachesInto);
    connect(m_jobs, &JobManager::jobEnded, this, [this](int id) {
        if (id == m_job) {
            m_job = 0;
            emit busyChanged(false);
        }
    });
    rebuildLayers();
}

void QuantController::rebuildLayers()
{
    m_layers.clear();
    if (!m_model->hasDocument())
        return emit layersChanged();
    const GraphDocument& doc = *m_model->document();
    for (NodeId id : doc.orderedNodes()) {
        const NodeAnalysis& a = doc.analysis(id);
        if (a.placement.placement != Placement::Analog)
            continue;
        const Node& n = doc.graph().node(id);
        m_layers.push_back({QString::fromStdString(n.name), id, QString::fromStdString(n.opType), a.cost.params, a.cost.macs});
    }
    emit layersChanged();
}

QString QuantController::stateString(const QString& key) const
{
    const QJsonObject state = m_model->panelState(kPanelId);
    // Projects saved before path keys ended in "Path" hold absolute paths under the bare key.
    if (!state.contains(key) && key.endsWith("Path"))
        return state.value(key.chopped(4)).toString();
    return state.value(key).toString();
}

void QuantController::setState(const QString& key, const QJsonValue& value)
{
    QJsonObject state = m_model->panelState(kPanelId);
    state[key] = value;
    m_model->setPanelState(kPanelId, state);
}

void QuantController::setEvalData(const QString& inputsNpy, const QString& labelsNpy)
{
    setState("evalDataPath", QFileInfo(inputsNpy).absoluteFilePath());
    setState("evalLabelsPath", labelsNpy.isEmpty() ? QString() : QFileInfo(labelsNpy).absoluteFilePath());
    emit evalDataChanged();
}

void QuantController::setSampleLimits(int64_t calibration, int64_t evaluation)
{
    setState("calibrationLimit", static_cast<double>(calibration));
    setState("evalLimit", static_cast<double>(evaluation));
}

void QuantController::setWorkDir(const QString& dir)
{
    setState("workDir", QFileInfo(dir).absoluteFilePath());
}

QString QuantController::workDir() const
{
    QString dir = stateString("workDir");
    if (dir.isEmpty() && !m_model->projectPath().isEmpty()) {
        const QFileInfo project(m_model->projectPath());
        dir = project.absoluteDir().filePath(project.completeBaseName() + ".quant");
    }
    if (dir.isEmpty()) // unsaved: this model's own cache folder, moved into the project on save
        dir = modelCacheDir(m_model->project().modelPath);
    return dir;
}

quant::DataSource QuantController::dataSource(const QString& inputs, const QString& labels, int64_t limit) const
{
    quant::DataSource src;
    src.labelsNpy = str(labels);
    src.limit = limit;
    if (!QFileInfo(inputs).isDir()) {
        src.npyFiles = {str(inputs)};
        return src;
    }
    // A folder of PNG images, preprocessed as `tessera quantize --images` does: the size and
    // channels of the model's input, scale/mean/std/BGR as the project sets them.
    src.imageFolder = str(inputs);
    quant::ImagePreprocess& pre = src.preprocess;
    if (m_model->hasDocument() && !m_model->document()->graph().inputs().empty()) {
        const Graph& g = m_model->document()->graph();
        const Shape& in = g.value(g.inputs()[0]).shape;
        if (in.size() == 4) {
            // A symbolic height or width the import set to 1 is not a size to resize to:
            // the images keep theirs (Model > Input Shapes… fixes it otherwise).
            const auto given = [&](int64_t axis) {
                for (const DefaultedDim& d : m_model->document()->report().defaultedDims)
                    if (d.input == g.value(g.inputs()[0]).name && d.axis == axis)
                        return int64_t{0};
                return in[static_cast<size_t>(axis)];
            };
            pre.channels = in[1] == 1 ? 1 : 3;
            pre.height = given(2);
            pre.width = given(3);
        }
    }
    const ImagePreprocessing chosen = imagePreprocessingOf(m_model->project()); // Project > Image Preprocessing…
    const auto perChannel = [&](const std::vector<float>& v) {
        return v.size() == 1 ? std::vector<float>(static_cast<size_t>(pre.channels), v[0]) : v;
    };
    pre.mean = perChannel(chosen.mean);
    pre.std = perChannel(chosen.std);
    pre.bgr = chosen.bgr;
    pre.scale = chosen.scale;
    return src;
}

void QuantController::moveCachesInto(const QString& projectPath)
{
    const QFileInfo project(projectPath);
    const QString dir = project.absoluteDir().filePath(project.completeBaseName() + ".quant");
    for (const char* key : {"quantResultPath", "sensitivityCachePath", "paretoCachePath", "evaluationPath"}) {
        const QString from = stateString(key);
        if (!isInAppCache(from) || !QFileInfo::exists(from))
            continue; // already the project's, or chosen by the user
        QDir().mkpath(dir);
        const QString to = QDir(dir).filePath(QFileInfo(from).fileName());
        QFile::remove(to);
        if (QFile::copy(from, to))
            setState(key, to);
        else
            emit message(tr("could not copy %1 into the project folder %2").arg(from, dir));
    }
}

QString QuantController::evalInputs() const
{
    const QString own = stateString("evalDataPath");
    return own.isEmpty() ? m_model->project().datasetPath : own;
}

QString QuantController::evalLabels() const
{
    return stateString("evalDataPath").isEmpty() ? QString() : stateString("evalLabelsPath");
}

QString QuantController::modelPath() const
{
    return m_model->hasDocument() ? QString::fromStdString(m_model->document()->sourcePath()) : QString();
}

int QuantController::indexOfLayer(const QString& name) const
{
    for (int i = 0; i < m_layers.size(); ++i)
        if (m_layers[i].name == name)
            return i;
    return -1;
}

int QuantController::indexOfNode(NodeId node) const
{
    for (int i = 0; i < m_layers.size(); ++i)
        if (m_layers[i].node == node)
            return i;
    return -1;
}

int QuantController::bitsOf(const QString& layer) const
{
    const LayerQuant* base = m_base ? m_base->findLayer(str(layer)) : nullptr;
    return m_model->layerBits(layer, base ? base->weightBits : 8);
}

void QuantController::setBits(const QString& layer, int bits)
{
    if (bitsOf(layer) != bits)
        m_model->undoStack()->push(new SetLayerBits(m_model, layer, bits));
}

void QuantController::applyConfiguration(const std::map<std::string, int>& weightBits, const QString& text,
                                         const std::map<std::string, int>& adcBits,
                                         const std::map<std::string, int>& dacBits)
{
    QUndoStack* undo = m_model->undoStack();
    undo->beginMacro(text);
    for (const auto& [layer, bits] : weightBits)
        setBits(QString::fromStdString(layer), bits);
    for (const auto& [layer, bits] : adcBits)
        setAdcBits(QString::fromStdString(layer), bits);
    for (const auto& [layer, bits] : dacBits)
        setDacBits(QString::fromStdString(layer), bits);
    undo->endMacro();
}

void QuantController::loadParetoReport(const QString& path)
{
    try {
        const nlohmann::json report = jsonfields::readJsonFile(str(path));
        m_pareto = paretoFromJson(report, str(path));
        m_paretoObjective = objectiveOf(report);
    } catch (const Error& e) {
        emit message(QString::fromStdString(e.what()));
        return;
    }
    setState("paretoCachePath", path);
    emit paretoChanged();
}

std::map<std::string, int> QuantController::chosenBits() const
{
    std::map<std::string, int> bits;
    for (const QuantLayer& l : m_layers)
        bits[str(l.name)] = bitsOf(l.name);
    return bits;
}

int QuantController::adcBitsOf(const QString& layer) const
{
    return m_model->layerChoice(layer, SetLayerAdcBits::kKey).toInt(defaultAdcBitsOf(layer));
}

int QuantController::defaultAdcBitsOf(const QString& layer) const
{
    const LayerQuant* base = m_base ? m_base->findLayer(str(layer)) : nullptr;
    return base ? base->adcBits : QuantConfig{}.adcBits;
}

void QuantController::setAdcBits(const QString& layer, int bits)
{
    if (adcBitsOf(layer) != bits)
        m_model->undoStack()->push(new SetLayerAdcBits(m_model, layer, bits));
}

std::map<std::string, int> QuantController::chosenAdcBits() const
{
    std::map<std::string, int> bits;
    for (const QuantLayer& l : m_layers)
        bits[str(l.name)] = adcBitsOf(l.name);
    return bits;
}

int QuantController::dacBitsOf(const QString& layer) const
{
    return m_model->layerChoice(layer, SetLayerDacBits::kKey).toInt(defaultDacBitsOf(layer));
}

int QuantController::defaultDacBitsOf(const QString& layer) const
{
    const LayerQuant* base = m_base ? m_base->findLayer(str(layer)) : nullptr;
    return base ? analog::layerDacBits(*m_base, *base) : 8;
}

void QuantController::setDacBits(const QString& layer, int bits)
{
    const int widest = defaultDacBitsOf(layer);
    if (bits < 2 || bits > widest) {
        emit message(tr("%1: DAC bits %2 out of range (2..%3, the bits of its input)").arg(layer).arg(bits).arg(widest));
        return;
    }
    if (dacBitsOf(layer) != bits)
        m_model->undoStack()->push(new SetLayerDacBits(m_model, layer, bits));
}

std::map<std::string, int> QuantController::chosenDacBits() const
{
    std::map<std::string, int> bits;
    for (const QuantLayer& l : m_layers)
        bits[str(l.name)] = dacBitsOf(l.name);
    return bits;
}

std::optional<LayerQuant> QuantController::chosenLayer(const QString& layer) const
{
    const std::string name = str(layer);
    if (!m_base || !m_costGraph || !m_base->findLayer(name))
        return std::nullopt;
    try {
        return *withChosenBits(*m_base, *m_costGraph, {{name, bitsOf(layer)}}, {{name, adcBitsOf(layer)}},
                               {{name, dacBitsOf(layer)}})
                    .findLayer(name);
    } catch (const Error&) { // a cached result that does not fit the model (estimatedCost says so)
        return std::nullopt;
    }
}

double QuantController::measuredDrop(const QString& layer, int bits) const
{
    const quant::SensitivityEntry* e = m_sensitivity ? m_sensitivity->find(str(layer), bits) : nullptr;
    return e ? e->accuracyDrop : kNaN;
}

double QuantController::estimatedDrop() const
{
    if (!m_sensitivity || m_layers.isEmpty())
        return kNaN;
    // Every entry at a layer's base bits measures the base configuration itself.
    const QString first = m_layers.front().name;
    const LayerQuant* firstBase = m_base ? m_base->findLayer(str(first)) : nullptr;
    const double base = measuredDrop(first, firstBase ? firstBase->weightBits : 8);
    if (std::isnan(base))
        return kNaN;
    double sum = base;
    for (const QuantLayer& l : m_layers)
        sum += measuredDrop(l.name, bitsOf(l.name)) - base; // NaN propagates: not measured
    return sum;
}

double QuantController::estimatedCost() const
{
    if (!m_base || !m_costGraph)
        return kNaN;
    QuantSpec r = *m_base;
    for (LayerQuant& l : r.layers)
        l.weightBits = bitsOf(QString::fromStdString(l.node)); // cost depends on bits only
    try {
        return quant::resultCost(r, *m_costGraph, analog::DefaultCostModel{}, quant::CostObjective::WeightBits);
    } catch (const Error&) { // a cached result that does not fit this model: no estimate
        return kNaN;
    }
}

void QuantController::loadCaches()
{
    const QString sens = sensitivityCachePath();
    if (!sens.isEmpty() && QFileInfo::exists(sens) && !m_sensitivity) {
        try {
            m_sensitivity = quant::sensitivityFromJson(jsonfields::readJsonFile(str(sens)), str(sens));
            emit sensitivityChanged();
        } catch (const Error& e) {
            emit message(QString::fromStdString(e.what()));
        }
    }
    const QString pareto = stateString("paretoCachePath");
    if (!pareto.isEmpty() && QFileInfo::exists(pareto) && m_pareto.empty()) {
        try {
            const nlohmann::json report = jsonfields::readJsonFile(str(pareto));
            m_pareto = paretoFromJson(report, str(pareto));
            m_paretoObjective = objectiveOf(report);
            emit paretoChanged();
        } catch (const Error& e) {
            emit message(QString::fromStdString(e.what()));
        }
    }
    const QString eval = stateString("evaluationPath");
    if (!eval.isEmpty() && QFileInfo::exists(eval) && !m_measurement) {
        try {
            std::vector<quant::LayerError> layers;
            QuantMeasurement m = measurementFromJson(jsonfields::readJsonFile(str(eval)), layers, str(eval));
            m.sqnr = buildSqnrProfile(layers, m_model->document()->graph());
            m_measurement = std::move(m);
            emit measurementChanged();
        } catch (const Error& e) {
            emit message(QString::fromStdString(e.what()));
        }
    }
    const QString quantPath = quantResultPath();
    if (quantPath.isEmpty() || !QFileInfo::exists(quantPath) || m_base || m_job)
        return;
    const std::string model = str(modelPath()), hash = m_model->document()->report().contentHash;
    startJob(tr("Load quantization result"), [model, hash, path = str(quantPath), self = QPointer(this)](ProgressSink&) -> JobApply {
        auto base = std::make_shared<const QuantSpec>(readQuantSpec(path));
        checkSpecMatchesModel(*base, hash, model, false, // a stale cache is said, never loaded
                              "it was not loaded; calibrate again to replace it");
        quant::ModelGraphs graphs = quant::openModelFor(model, *base); // its input shape and rewrites
        auto graph = std::make_shared<const Graph>(graphs.forBatch(graphs.runBatch(1)));
        return [self, base, graph] {
            if (!self)
                return;
            self->m_base = base;
            self->m_costGraph = graph;
            emit self->calibrationChanged();
            emit self->bitsChanged();
        };
    });
}

bool QuantController::checkReady(bool needCalibration, bool needSensitivity)
{
    QString why;
    if (!m_model->hasDocument())
        why = tr("open a model first");
    else if (m_job)
        why = tr("a quantization job is already running");
    else if (m_model->project().datasetPath.isEmpty())
        why = tr("choose calibration data first (Project > Calibration Dataset)");
    else if (needCalibration && !m_base)
        why = tr("calibrate first");
    else if (needSensitivity && !m_sensitivity)
        why = tr("analyze sensitivity first");
    if (!why.isEmpty())
        emit message(why);
    return why.isEmpty();
}

int QuantController::startJob(const QString& title, JobWork work)
{
    QDir().mkpath(workDir());
    m_job = m_jobs->start(title, "quant", std::move(work));
    emit busyChanged(true);
    return m_job;
}

void QuantController::cancel()
{
    if (m_job)
        m_jobs->cancel(m_job);
}

int QuantController::calibrate()
{
    if (!checkReady(false, false))
        return 0;
    quant::QuantizeRequest req;
    req.modelPath = str(modelPath());
    req.calibration = dataSource(m_model->project().datasetPath, {}, m_model->panelState(kPanelId).value("calibrationLimit").toInteger());
    req.outputPath = str(QDir(workDir()).filePath("quant.json"));
    return startJob(tr("Calibrate"), [req, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        auto base = std::make_shared<const QuantSpec>(quant::runQuantize(req, &sink));
        quant::ModelGraphs graphs = quant::openModelFor(req.modelPath, *base);
        auto graph = std::make_shared<const Graph>(graphs.forBatch(graphs.runBatch(1)));
        return [self, base, graph, path = QString::fromStdString(req.outputPath)] {
            if (!self)
                return;
            self->m_base = base;
            self->m_costGraph = graph;
            self->setState("quantResultPath", path);
            emit self->calibrationChanged();
            emit self->bitsChanged();
        };
    });
}

int QuantController::analyzeSensitivity()
{
    if (!checkReady(true, false))
        return 0;
    quant::SensitivityRequest req;
    req.modelPath = str(modelPath());
    req.quantPath = str(quantResultPath());
    req.data = dataSource(evalInputs(), evalLabels(), m_model->panelState(kPanelId).value("evalLimit").toInteger());
    req.options.bits = m_bitDepths;
    req.options.dacBits = searchDacBits(); // an energy or latency search reuses these trials
    req.options.adcBits = searchAdcBits();
    req.outputPath = str(QDir(workDir()).filePath("sensitivity.json"));
    return startJob(tr("Analyze sensitivity"), [req, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        quant::SensitivityReport report = quant::sensitivityFromJson(quant::runSensitivity(req, &sink), req.outputPath);
        return [self, report = std::move(report), path = QString::fromStdString(req.outputPath)] {
            if (!self)
                return;
            self->m_sensitivity = report;
            self->setState("sensitivityCachePath", path);
            emit self->sensitivityChanged();
            emit self->bitsChanged(); // the estimate changed
        };
    });
}

const std::vector<int>& QuantController::searchDacBits()
{
    static const std::vector<int> depths{8, 6, 4};
    return depths;
}

const std::vector<int>& QuantController::searchAdcBits()
{
    static const std::vector<int> depths{12, 10, 8, 6};
    return depths;
}

void QuantController::setSearchObjective(quant::CostObjective objective)
{
    setState("searchObjective", QString::fromLatin1(quant::costObjectiveName(objective)));
}

quant::CostObjective QuantController::searchObjective() const
{
    const QString name = stateString("searchObjective");
    try {
        return name.isEmpty() ? quant::CostObjective::WeightBits : quant::parseCostObjective(str(name));
    } catch (const Error&) { // a project from a later version
        return quant::CostObjective::WeightBits;
    }
}

quant::MixedPrecisionRequest QuantController::searchRequest() const
{
    quant::MixedPrecisionRequest req;
    req.modelPath = str(modelPath());
    req.quantPath = str(quantResultPath());
    req.data = dataSource(evalInputs(), evalLabels(), m_model->panelState(kPanelId).value("evalLimit").toInteger());
    req.options.bits = m_bitDepths;
    req.options.maxAccuracyDrop = m_maxDrop;
    req.options.objective = searchObjective();
    if (req.options.objective != quant::CostObjective::WeightBits) {
        req.options.dacBits = searchDacBits();
        req.options.adcBits = searchAdcBits();
        const QString target = m_model->project().hardwareTarget;
        req.target = target.isEmpty() ? "m1076" : str(target); // CompileController::kDefaultTarget
        req.frameCost = std::make_shared<PerfFrameCost>(loadTarget(req.target)); // as the CLI's --target
    }
    req.reportPath = str(QDir(workDir()).filePath("mixed_precision.json"));
    // Reuse the measured table when it has every trial the search needs (else the search measures one).
    bool complete = m_sensitivity.has_value();
    for (const QuantLayer& l : m_layers)
        for (int d : req.options.dacBits)
            complete = complete && (d >= defaultDacBitsOf(l.name) || m_sensitivity->findDac(str(l.name), d));
    for (const QuantLayer& l : m_layers)
        for (int a : req.options.adcBits)
            complete = complete && m_sensitivity->findAdc(str(l.name), a);
    if (complete)
        req.sensitivityPath = str(sensitivityCachePath());
    return req;
}

int QuantController::searchMixedPrecision()
{
    if (!checkReady(true, true))
        return 0;
    const quant::MixedPrecisionRequest req = searchRequest();
    return startJob(tr("Search mixed precision"), [req, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        const nlohmann::json report = quant::runMixedPrecision(req, &sink); // writes req.reportPath
        std::vector<quant::ParetoPoint> points = paretoFromJson(report, req.reportPath);
        const quant::CostObjective objective = objectiveOf(report);
        return [self, points = std::move(points), objective, path = QString::fromStdString(req.reportPath)] {
            if (!self)
                return;
            self->m_pareto = points;
            self->m_paretoObjective = objective;
            self->setState("paretoCachePath", path);
            emit self->paretoChanged();
        };
    });
}

int QuantController::evaluate()
{
    if (!checkReady(true, false))
        return 0;
    quant::EvalRequest req;
    req.modelPath = str(modelPath());
    req.quantPath = str(QDir(workDir()).filePath("quant_chosen.json"));
    req.data = dataSource(evalInputs(), evalLabels(), m_model->panelState(kPanelId).value("evalLimit").toInteger());
    req.perLayer = true;
    const std::map<std::string, int> bits = chosenBits(), adc = chosenAdcBits(), dac = chosenDacBits();
    const double cost = estimatedCost();
    return startJob(tr("Evaluate chosen bits"), [req, bits, adc, dac, cost, base = m_base, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        quant::ModelGraphs graphs = quant::openModelFor(req.modelPath, *base);
        writeQuantSpec(req.quantPath, withChosenBits(*base, graphs.forBatch(graphs.runBatch(1)), bits, adc, dac));
        const nlohmann::json j = measurementJson(quant::runQuantEval(req, &sink), bits, adc, cost, dac);
        const std::string path = str(QFileInfo(QString::fromStdString(req.quantPath)).dir().filePath("evaluation.json"));
        writeFileAtomic(path, j.dump(1) + "\n");
        std::vector<quant::LayerError> layers;
        QuantMeasurement m = measurementFromJson(j, layers, path);
        return [self, m, layers = std::move(layers), path = QString::fromStdString(path)]() mutable {
            if (!self || !self->m_model->hasDocument())
                return;
            m.sqnr = buildSqnrProfile(layers, self->m_model->document()->graph());
            self->m_measurement = std::move(m);
            self->setState("evaluationPath", path);
            emit self->measurementChanged();
        };
    });
}

} // namespace tessera::studio

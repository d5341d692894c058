#include "quant/QuantizeApi.h"

#include "core/Error.h"
#include "core/analog/AnalogModel.h"
#include "core/io/FileIO.h"
#include "core/target/AnalogCost.h"
#include "core/target/Target.h"

#include <memory>
#include <optional>

namespace tessera::quant {

void TaskOverride::applyTo(OutputTask& task) const
{
    if (!kind.empty())
        task.kind = parseTaskKind(kind);
    if (blank)
        task.blank = *blank;
    if (maskThreshold)
        task.maskThreshold = *maskThreshold;
}

Dataset loadDataSource(const DataSource& s)
{
    if (s.npyFiles.empty() == s.imageFolder.empty())
        fail("give calibration/evaluation data as .npy files or as an image folder (exactly one of them)");
    Dataset data = s.imageFolder.empty() ? loadNpyDataset(s.npyFiles, s.labelsNpy) : loadImageFolder(s.imageFolder, s.preprocess);
    if (!s.imageFolder.empty() && !s.labelsNpy.empty())
        data.labels = loadLabels(s.labelsNpy, data.count());
    data.labelsSource = s.labelsNpy;
    if (s.limit < 0)
        fail("sample limit must be >= 0");
    if (s.labelsText.empty() != s.keys.empty())
        fail("label texts and keys go together (--label-text FILE --keys FILE)");
    if (!s.labelsText.empty()) {
        if (!data.labels.empty())
            fail("give integer labels or label texts, not both");
        data.textLabels = loadTextLabels(s.labelsText, data.count());
        data.keys = loadKeys(s.keys, s.keysWithSpace);
        data.labelsSource = s.labelsText;
    }
    orderLabelsLikeSamples(data); // labels come in file order, shape groups reorder the samples
    if (s.limit > 0 && s.limit < data.count()) {
        data = firstSamples(data, s.limit);
        data.source += strCat(" (first ", s.limit, ")");
    }
    return data;
}

ModelGraphs openModelFor(const std::string& modelPath, const Dataset& data)
{
    return openModelForSamples(modelPath, data.inputs, data.source);
}

ModelGraphs openModelFor(const std::string& modelPath, const QuantSpec& result)
{
    ModelGraphs model(modelPath, result.inputShape);
    prepareModel(model, result);
    return model;
}

namespace {

// `spec` for `model`: refused when it was made for another model, unless `force`; a forced
// spec is then this model's, so the stages after it do not refuse it again.
void adoptSpec(QuantSpec& spec, const ModelGraphs& model, bool force)
{
    checkSpecMatchesModel(spec, model.contentHash(), model.name(), force);
    if (force)
        spec.modelHash = model.contentHash();
}

} // namespace

QuantSpec runQuantize(const QuantizeRequest& req, ProgressSink* progress)
{
    const Dataset data = loadDataSource(req.calibration);
    ModelGraphs model = openModelFor(req.modelPath, data);
    QuantConfig config = req.config;
    req.task.applyTo(config.task);
    QuantSpec result = calibrate(model, data, config, progress);
    result.model = req.modelPath;
    if (!req.outputPath.empty())
        writeQuantSpec(req.outputPath, result); // last step: nothing is written on error
    return result;
}

nlohmann::json runQuantEval(const EvalRequest& req, ProgressSink* progress)
{
    QuantSpec result = readQuantSpec(req.quantPath);
    analog::NonIdealities& ni = result.config.nonIdealities;
    if (req.defaultNoise)
        ni = analog::noiseOrDefault(ni);
    if (req.noiseSeed)
        ni.seed = *req.noiseSeed;
    if (!req.nonIdealities)
        ni = {};
    req.task.applyTo(result.config.task);
    const Dataset data = loadDataSource(req.data);
    ModelGraphs model = openModelFor(req.modelPath, data);
    adoptSpec(result, model, req.force);
    EvalOptions eo;
    eo.perLayer = req.perLayer;
    eo.metricCommand = req.metricCommand;
    std::optional<ModelGraphs> reference;
    if (!req.referenceModelPath.empty()) {
        reference.emplace(openModelFor(req.referenceModelPath, data));
        eo.referenceModel = &*reference;
    }
    nlohmann::json report = toJson(evaluate(model, result, data, eo, progress));
    if (reference)
        report["fp32_model"] = req.referenceModelPath;
    return report;
}

nlohmann::json runSensitivity(const SensitivityRequest& req, ProgressSink* progress)
{
    QuantSpec base = readQuantSpec(req.quantPath);
    req.task.applyTo(base.config.task);
    const Dataset data = loadDataSource(req.data);
    ModelGraphs model = openModelFor(req.modelPath, data);
    adoptSpec(base, model, req.force);
    const nlohmann::json report = toJson(analyzeSensitivity(model, base, data, req.options, progress));
    if (!req.outputPath.empty())
        writeFileAtomic(req.outputPath, report.dump(1) + "\n");
    return report;
}

namespace {

// Samples [begin, begin + count) in source order of a data set, labels and shape groups kept.
Dataset sliceDataset(const Dataset& d, int64_t begin, int64_t count, const std::string& what)
{
    Dataset out = sourceRange(d, begin, begin + count);
    out.source = strCat(d.source, " (", what, ")");
    return out;
}

// The chosen point measured on the held-out samples, against the search's budget.
nlohmann::json heldOutCheck(ModelGraphs& model, const MixedPrecisionReport& mp, const Dataset& heldOut,
                            const MixedPrecisionOptions& o, ProgressSink& sink)
{
    EvalOptions eo;
    eo.batchSize = o.batchSize;
    eo.metricCommand = o.metricCommand;
    const EvalReport e = evaluate(model, mp.chosenResult, heldOut, eo, &sink);
    const double drop = accuracyDropOf(e);
    const bool meets = o.maxAccuracyDrop < 0.0 || drop <= o.maxAccuracyDrop + 1e-12;
    return {{"samples", e.samples},         {"accuracy_drop", drop}, {"agreement", e.agreement},
            {"metric", e.task.metric},      {"max_drop", o.maxAccuracyDrop}, {"meets_budget", meets}};
}

} // namespace

nlohmann::json runMixedPrecision(const MixedPrecisionRequest& req, ProgressSink* progress)
{
    QuantSpec base = readQuantSpec(req.quantPath);
    req.task.applyTo(base.config.task);
    const Dataset all = loadDataSource(req.data);
    if (!(req.holdout >= 0.0 && req.holdout < 1.0))
        fail("--holdout must be in [0, 1), got ", req.holdout);
    const int64_t held = static_cast<int64_t>(static_cast<double>(all.count()) * req.holdout);
    if (req.holdout > 0.0 && (held < 1 || held == all.count()))
        fail("--holdout ", req.holdout, " of ", all.count(), " samples leaves no samples on one side");
    const Dataset data = held > 0 ? sliceDataset(all, 0, all.count() - held, "search") : all;
    ModelGraphs model = openModelFor(req.modelPath, data);
    adoptSpec(base, model, req.force);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    SubProgress sensPart(sink, 0.0, 0.45), searchPart(sink, 0.45, 0.9), checkPart(sink, 0.9, 1.0);
    SensitivityOptions so;
    so.bits = req.options.bits;
    so.adcBits = req.options.adcBits;
    so.dacBits = req.options.dacBits;
    so.batchSize = req.options.batchSize;
    so.metricCommand = req.options.metricCommand;
    const SensitivityReport sens = req.sensitivityPath.empty()
                                       ? analyzeSensitivity(model, base, data, so, &sensPart)
                                       : readSensitivityFor(req.sensitivityPath, base, so.bits,
                                                            data.hasLabels(), so.adcBits, so.dacBits);
    if (isFrameObjective(req.options.objective) && req.target.empty())
        fail("--objective ", costObjectiveName(req.options.objective), " prices compiled frames: give --target");
    std::unique_ptr<analog::CostModel> costModel;
    if (req.target.empty())
        costModel = std::make_unique<analog::DefaultCostModel>();
    else
        costModel = std::make_unique<TargetCostModel>(loadTarget(req.target));
    const MixedPrecisionReport mp = searchMixedPrecision(model, base, data, sens, req.options, *costModel, &searchPart,
                                                         req.frameCost.get());
    nlohmann::json report = toJson(mp);
    report["objective"] = costObjectiveName(req.options.objective);
    report["cost_model"] = req.target.empty() ? std::string("generic") : req.target;
    report["sensitivity"] = toJson(sens);
    if (held > 0 && mp.chosen >= 0)
        report["held_out"] = heldOutCheck(model, mp, sliceDataset(all, all.count() - held, held, "held out"), req.options,
                                          checkPart);
    if (!req.reportPath.empty()) // also when nothing meets the budget: the report says why
        writeFileAtomic(req.reportPath, report.dump(1) + "\n");
    if (!req.chosenQuantPath.empty()) {
        if (mp.chosen < 0)
            fail("no measured configuration meets the budget; nothing written to ", req.chosenQuantPath,
                 req.reportPath.empty() ? "" : strCat(" (the measured points are in ", req.reportPath, ")"));
        writeQuantSpec(req.chosenQuantPath, mp.chosenResult);
    }
    return report;
}

} // namespace tessera::quant

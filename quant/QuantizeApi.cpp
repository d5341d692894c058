#include "quant/QuantizeApi.h"

#include "core/Error.h"
#include "core/io/FileIO.h"

namespace tessera::quant {

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
    if (s.limit > 0 && s.limit < data.count()) {
        data.inputs = sliceRows(data.inputs, 0, s.limit);
        if (!data.labels.empty())
            data.labels.resize(static_cast<size_t>(s.limit));
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

QuantSpec runQuantize(const QuantizeRequest& req, ProgressSink* progress)
{
    const Dataset data = loadDataSource(req.calibration);
    ModelGraphs model = openModelFor(req.modelPath, data);
    QuantSpec result = calibrate(model, data, req.config, progress);
    result.model = req.modelPath;
    if (!req.outputPath.empty())
        writeQuantSpec(req.outputPath, result); // last step: nothing is written on error
    return result;
}

nlohmann::json runQuantEval(const EvalRequest& req, ProgressSink* progress)
{
    QuantSpec result = readQuantSpec(req.quantPath);
    if (!req.nonIdealities)
        result.config.nonIdealities = {};
    const Dataset data = loadDataSource(req.data);
    ModelGraphs model = openModelFor(req.modelPath, data);
    EvalOptions eo;
    eo.perLayer = req.perLayer;
    return toJson(evaluate(model, result, data, eo, progress));
}

nlohmann::json runSensitivity(const SensitivityRequest& req, ProgressSink* progress)
{
    const QuantSpec base = readQuantSpec(req.quantPath);
    const Dataset data = loadDataSource(req.data);
    ModelGraphs model = openModelFor(req.modelPath, data);
    const nlohmann::json report = toJson(analyzeSensitivity(model, base, data, req.options, progress));
    if (!req.outputPath.empty())
        writeFileAtomic(req.outputPath, report.dump(1) + "\n");
    return report;
}

nlohmann::json runMixedPrecision(const MixedPrecisionRequest& req, ProgressSink* progress)
{
    const QuantSpec base = readQuantSpec(req.quantPath);
    const Dataset data = loadDataSource(req.data);
    ModelGraphs model = openModelFor(req.modelPath, data);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    SubProgress sensPart(sink, 0.0, 0.5), searchPart(sink, 0.5, 1.0);
    SensitivityOptions so;
    so.bits = req.options.bits;
    so.batchSize = req.options.batchSize;
    const SensitivityReport sens = analyzeSensitivity(model, base, data, so, &sensPart);
    analog::DefaultCostModel costModel;
    const MixedPrecisionReport mp = searchMixedPrecision(model, base, data, sens, req.options, costModel, &searchPart);
    nlohmann::json report = toJson(mp);
    report["objective"] = costObjectiveName(req.options.objective);
    report["sensitivity"] = toJson(sens);
    if (!req.chosenQuantPath.empty()) {
        if (mp.chosen < 0)
            fail("no measured configuration meets the budget; nothing written to ", req.chosenQuantPath);
        writeQuantSpec(req.chosenQuantPath, mp.chosenResult);
    }
    if (!req.reportPath.empty())
        writeFileAtomic(req.reportPath, report.dump(1) + "\n");
    return report;
}

} // namespace tessera::quant

// runRetrain: checks everything a user can get wrong before training, then trains through
// Trainer (quant/train/Trainer.h) and saves the best weights with saveTunedModel.
#include "quant/train/Retrain.h"

#include "core/Error.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Calibrator.h"
#include "quant/TunedModel.h"
#include "quant/train/Checkpoint.h"
#include "quant/train/TorchRuntime.h"
#include "quant/train/Trainer.h"

#if __has_include("quant/train/QatHooks.h")
#include "quant/train/QatHooks.h"
#define TESSERA_HAVE_QAT 1
#endif

#include <cmath>
#include <memory>

namespace tessera::train {

namespace {

void checkRequest(const RetrainRequest& r)
{
    const RetrainOptions& o = r.options;
    if (r.outputModel.empty())
        fail("retrain needs an output model (-o tuned.onnx)");
    if (!r.quantPath.empty() && r.outputQuant.empty())
        fail("retraining against ", r.quantPath, " needs an output spec (--quant-out tuned.quant.json)");
    if (r.quantPath.empty() && !r.outputQuant.empty())
        fail("--quant-out needs a quantization spec to train against (--quant q.json)");
    if (o.epochs < 1)
        fail("epochs must be >= 1, got ", o.epochs);
    if (!(o.learningRate > 0.0) || !std::isfinite(o.learningRate))
        fail("learning rate must be a positive number, got ", o.learningRate);
    if (o.batchSize < 1)
        fail("batch size must be >= 1, got ", o.batchSize);
    if (o.patience < 0)
        fail("patience must be >= 0, got ", o.patience);
    if (o.analogNoise != "off" && o.analogNoise != "default")
        fail("analog noise must be 'off' or 'default', got '", o.analogNoise, "'");
    if (!(o.scaleLrFactor > 0.0) || !std::isfinite(o.scaleLrFactor))
        fail("scale learning-rate factor must be a positive number, got ", o.scaleLrFactor);
    if (o.lrSchedule != "constant" && o.lrSchedule != "cosine")
        fail("learning-rate schedule must be 'constant' or 'cosine', got '", o.lrSchedule, "'");
    if (!(o.distillWeight >= 0.0 && o.distillWeight <= 1.0))
        fail("distillation weight must be in [0, 1], got ", o.distillWeight);
    if (!(o.distillTemperature > 0.0) || !std::isfinite(o.distillTemperature))
        fail("distillation temperature must be a positive number, got ", o.distillTemperature);
    if (o.analogNoise != "off" && r.quantPath.empty())
        fail("analog-aware retraining (--analog-noise ", o.analogNoise, ") needs a quantization spec (--quant q.json)");
}

// Integer class labels, one per sample, each a class of the model.
void checkLabels(const quant::Dataset& data, const TorchGraph& module)
{
    if (!data.textLabels.empty())
        fail(data.labelsSource, ": retraining takes integer class labels (--labels y.npy), not label texts");
    if (data.labels.empty())
        fail(data.source, ": retraining needs labelled data (give --labels y.npy with one class per sample)");
    if (static_cast<int64_t>(data.labels.size()) != data.count())
        fail(data.labelsSource, ": ", data.labels.size(), " labels for ", data.count(), " samples in ", data.source);
    const Shape& shape = module.graph().value(module.logitsValue()).shape;
    int64_t classes = 1;
    for (size_t d = 1; d < shape.size(); ++d)
        classes *= shape[d];
    quant::checkLabelRange(data.labels, classes, data.labelsSource);
}

struct Session {
    std::unique_ptr<quant::ModelGraphs> model;
    std::optional<QuantSpec> spec;
    std::unique_ptr<TorchGraph> module;
#if TESSERA_HAVE_QAT
    std::unique_ptr<QatHooks> hooks;
#endif
    ForwardHooks* forwardHooks() const
    {
#if TESSERA_HAVE_QAT
        return hooks.get();
#else
        return nullptr;
#endif
    }
};

// The model as the spec's consumers open it (spec checked against the model's hash), or
// the cleaned-up import for FP32 fine-tuning; the module at its declared batch.
Session openSession(const RetrainRequest& r, const quant::Dataset& data)
{
    Session s;
    if (!r.quantPath.empty()) {
        s.spec = readQuantSpec(r.quantPath);
        s.model = std::make_unique<quant::ModelGraphs>(quant::openModelFor(r.modelPath, *s.spec));
    } else {
        s.model = std::make_unique<quant::ModelGraphs>(quant::openModelFor(r.modelPath, data));
    }
    const Graph& graph = s.model->forBatch(s.model->declaredBatch());
    quant::checkDatasetFitsGraph(data, graph);
    s.module = std::make_unique<TorchGraph>(graph);
    if (!s.spec)
        return s;
#if TESSERA_HAVE_QAT
    QatOptions qo;
    qo.seed = r.options.seed;
    qo.analogNoise = r.options.analogNoise == "default";
    qo.learnActivationScales = r.options.learnActivationScales;
    qo.freshChipPerStep = r.options.freshChipPerStep;
    if (qo.analogNoise) // off: no noise at all, whatever the spec says
        qo.noise = s.spec->config.nonIdealities.any() ? s.spec->config.nonIdealities : defaultAnalogNoise(r.options.seed);
    s.hooks = makeQatHooks(s.module->graph(), *s.spec, qo);
#else
    fail("quantization-aware retraining (--quant) is not in this build; FP32 fine-tuning runs without --quant");
#endif
    return s;
}

// What the run trains, for the checkpoint's key.
std::string runKey(const RetrainRequest& r, const Session& s, int64_t samples)
{
    const std::string spec = s.spec ? toJson(*s.spec).dump() : std::string();
    return strCat("model ", s.model->contentHash(), " spec ", textHash(spec), " seed ", r.options.seed, " holdout ",
                  r.options.holdout, " batch ", r.options.batchSize, " noise ", r.options.analogNoise, " samples ",
                  samples, " lr ", r.options.learningRate, " ", r.options.lrSchedule,
                  r.options.lrSchedule == "cosine" ? strCat(" epochs ", r.options.epochs) : std::string(), // the schedule's length
                  " activation scales ", r.options.learnActivationScales, " scale lr x", r.options.scaleLrFactor,
                  r.options.freshChipPerStep ? "" : " one training chip",
                  r.options.distillWeight > 0.0
                      ? strCat(" distill ", r.options.distillWeight, " T ", r.options.distillTemperature)
                      : std::string());
}

} // namespace

RetrainResult runRetrain(const RetrainRequest& request, ProgressSink* progress, const EpochCallback& onEpoch)
{
    checkRequest(request);
    const quant::Dataset data = quant::loadDataSource(request.data);
    Session s = openSession(request, data);
    checkLabels(data, *s.module);
    configureTorchThreads(request.options.threads);
    torch::manual_seed(request.options.seed);
    TrainData train;
    train.inputs = toTorch(data.inputs);
    train.labels = torch::tensor(data.labels, torch::kInt64);
    splitSamples(train, request.options.holdout, request.options.seed);

    CheckpointSetup checkpoint;
    checkpoint.path = request.checkpointPath.empty() ? request.outputModel + ".ckpt" : request.checkpointPath;
    checkpoint.key = runKey(request, s, data.count());
    checkpoint.resume = request.resume;
    Trainer trainer(*s.module, s.forwardHooks(), request.options);
    RetrainResult result = trainer.train(train, checkpoint, progress, onEpoch);

    const Graph tuned = s.module->exportGraph();
    quant::TunedModelFiles files{request.outputModel, request.outputQuant};
#if TESSERA_HAVE_QAT
    if (s.hooks) {
        const QuantSpec spec = s.hooks->tunedSpec();
        quant::saveTunedModel(tuned, &spec, files);
    } else
#endif
        quant::saveTunedModel(tuned, nullptr, files);
    result.outputModel = request.outputModel;
    result.outputQuant = request.outputQuant;
    return result;
}

} // namespace tessera::train

// `tessera quantize | quant-eval | sensitivity | mixed-precision`: the quantizer's verbs.
// Thin wrappers over quant/QuantizeApi.h (all checks and atomic writes live there).
#include "app/cli/AdaRoundOption.h"
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/Support.h"
#include "app/framecost/PerfFrameCost.h"
#include "core/Error.h"
#include "core/target/Target.h"
#include "quant/QuantizeApi.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace tessera::cli {

namespace {

using namespace tessera::quant;

struct DataArgs {
    std::vector<std::string> npy;
    std::string images, labels, labelText, keys, size, mean, std;
    bool bgr = false, keysSpace = false;
    int64_t limit = 0;
    int64_t widthMultiple = 8, maxWidth = 2048;
};

// "NAME=BITS": node names may themselves contain '=' rarely, so split at the last one.
std::string layerNameOf(const std::string& item)
{
    size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0)
        fail("--layer-bits '", item, "': expected NAME=BITS");
    return item.substr(0, eq);
}

int layerBitsOf(const std::string& item)
{
    const std::string bits = item.substr(item.rfind('=') + 1);
    try {
        size_t used = 0;
        int value = std::stoi(bits, &used);
        if (used == bits.size())
            return value;
    } catch (const std::exception&) {
    }
    fail("--layer-bits '", item, "': '", bits, "' is not a whole number of bits");
}

std::vector<float> parseFloats(const std::string& text, const char* what)
{
    std::vector<float> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        const std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        try {
            size_t used = 0;
            out.push_back(std::stof(part, &used));
            if (used != part.size() || !std::isfinite(out.back()))
                throw std::invalid_argument(part);
        } catch (const std::exception&) {
            fail(what, ": '", part, "' is not a finite number");
        }
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return out;
}

void addDataOptions(CLI::App& sub, DataArgs& d, const char* role)
{
    sub.add_option("--data", d.npy, std::string(role) + " samples: .npy file(s), float32 [N, ...]");
    sub.add_option("--images", d.images, std::string(role) + " samples: a folder of .png images");
    sub.add_option("--labels", d.labels, "integer labels .npy (one per sample)");
    sub.add_option("--label-text", d.labelText,
                   "sequence outputs: a text file with one label line per sample (exact lines and character error rate)");
    sub.add_option("--keys", d.keys, "with --label-text: the dictionary, one character per line (class c >= 1 is line c)");
    sub.add_flag("--keys-space", d.keysSpace, "with --keys: the last class is a space (PaddleOCR's use_space_char)");
    sub.add_option("--size", d.size,
                   "images: resize to WxH (e.g. 640x640), or AUTOxH: height H, width from the aspect ratio "
                   "(text lines; samples are grouped by width)");
    sub.add_option("--width-multiple", d.widthMultiple, "with --size AUTOxH: round widths to a multiple of this (default 8)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--max-width", d.maxWidth, "with --size AUTOxH: the widest width (default 2048)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--mean", d.mean, "images: per-channel mean after /255, e.g. 0.485,0.456,0.406");
    sub.add_option("--std", d.std, "images: per-channel std, e.g. 0.229,0.224,0.225");
    sub.add_flag("--bgr", d.bgr, "images: BGR channel order");
    sub.add_option("--limit", d.limit, "use only the first N samples")->check(numberIn(0));
}

// --task, --blank, --mask-threshold: how graph output 0 is scored (core/quantspec/OutputTask.h).
void addTaskOptions(CLI::App& sub, TaskOverride& t)
{
    sub.add_option("--task", t.kind,
                   "how the output is scored: auto (from its shape) | classification | sequence (per position, CTC) | "
                   "dense (per pixel; mask IoU for one channel) | regression")
        ->check(CLI::IsMember({"auto", "classification", "sequence", "dense", "regression"}));
    sub.add_option("--blank", t.blank, "sequence task: the CTC blank class (default 0)")->check(CLI::NonNegativeNumber);
    sub.add_option("--mask-threshold", t.maskThreshold, "dense task with one channel: mask threshold (default 0.3)");
}

void addMetricOption(CLI::App& sub, std::string& command)
{
    sub.add_option("--metric-cmd", command,
                   "your own metric: 'CMD {ref} {out}' gets the FP32 and quantized outputs as .npy and prints one "
                   "number, higher is better; drops and budgets are then in its units");
}

// --force of the verbs that read a quantization file (as for run, eval, compile, export-qdq).
void addForceFlag(CLI::App& sub, bool& force)
{
    sub.add_flag("--force", force, "Use a quantization file made for another model (its content hash differs)");
}

DataSource toSource(const DataArgs& d)
{
    DataSource s;
    s.npyFiles = d.npy;
    s.imageFolder = d.images;
    s.labelsNpy = d.labels;
    s.labelsText = d.labelText;
    s.keys = d.keys;
    s.keysWithSpace = d.keysSpace;
    s.limit = d.limit;
    s.preprocess.bgr = d.bgr;
    if (!d.mean.empty())
        s.preprocess.mean = parseFloats(d.mean, "--mean");
    if (!d.std.empty())
        s.preprocess.std = parseFloats(d.std, "--std");
    if (!d.size.empty()) {
        const size_t x = d.size.find('x');
        const std::string w = d.size.substr(0, x), h = x == std::string::npos ? "" : d.size.substr(x + 1);
        auto whole = [](const std::string& t) { return !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos; };
        if (h == "AUTO" || h == "auto")
            fail("--size '", d.size, "': the width follows the aspect ratio, the height is fixed: write AUTOx", w);
        s.preprocess.autoWidth = w == "AUTO" || w == "auto";
        if ((!s.preprocess.autoWidth && !whole(w)) || !whole(h) || (!s.preprocess.autoWidth && std::stoll(w) == 0) ||
            std::stoll(h) == 0)
            fail("--size: expected WxH in positive whole pixels (e.g. 640x640) or AUTOxH (e.g. AUTOx48), got '", d.size, "'");
        s.preprocess.width = s.preprocess.autoWidth ? 0 : std::stoll(w);
        s.preprocess.height = std::stoll(h);
        s.preprocess.widthMultiple = d.widthMultiple;
        s.preprocess.maxWidth = d.maxWidth;
    }
    return s;
}

// The held-out check of a search: one line, which says plainly when the budget is missed.
void printHeldOut(const nlohmann::json& report)
{
    if (!report.contains("held_out"))
        return;
    const nlohmann::json& h = report.at("held_out");
    std::printf("held out (%lld samples): accuracy drop %.4f, budget %.4f: %s\n", h.at("samples").get<long long>(),
                h.at("accuracy_drop").get<double>(), h.at("max_drop").get<double>(),
                h.at("meets_budget").get<bool>() ? "meets the budget" : "MISSES the budget on held-out data");
}

// The chosen point of a mixed-precision report in a few lines (the report file has it all).
void printSearchSummary(const nlohmann::json& report, const std::string& path)
{
    const int chosen = report.at("chosen").get<int>();
    std::printf("%zu configurations measured; report: %s\n", report.at("points").size(), path.c_str());
    if (chosen < 0) {
        std::printf("no measured configuration meets the budget\n");
        return;
    }
    const nlohmann::json& p = report.at("points").at(chosen);
    std::printf("chosen: point %d, cost %.6g (%s), accuracy drop %.4f, agreement %.4f\n", chosen,
                p.at("cost").get<double>(), report.at("objective").get<std::string>().c_str(),
                p.at("accuracy_drop").get<double>(), p.at("agreement").get<double>());
    if (p.contains("frame")) {
        const nlohmann::json& f = p.at("frame");
        std::printf("chosen frame: %.4g uJ/frame, %.6g frames/s, latency %.4g us; bottleneck %s\n",
                    f.at("energy_uj_per_frame").get<double>(), f.at("fps").get<double>(), f.at("latency_us").get<double>(),
                    f.at("bottleneck").get<std::string>().c_str());
    }
    if (report.contains("frame_model")) {
        const nlohmann::json& m = report.at("frame_model");
        std::printf("frame model (%s): %d configurations priced in %.2f s\n", m.at("model").get<std::string>().c_str(),
                    m.at("calls").get<int>(), m.at("seconds").get<double>());
    }
    printHeldOut(report);
}

void printJson(const nlohmann::json& j, ConsoleProgress& progress)
{
    progress.finish();
    std::printf("%s\n", j.dump(1).c_str());
}

} // namespace

CommandRun declareQuantize(CLI::App& sub)
{
    auto req = std::make_shared<QuantizeRequest>();
    auto data = std::make_shared<DataArgs>();
    auto obs = std::make_shared<std::string>("percentile");
    auto wobs = std::make_shared<std::string>("mse");
    sub.add_option("model", req->modelPath, "ONNX model")->required();
    sub.add_option("-o,--output", req->outputPath, "quantization JSON to write")->required();
    addDataOptions(sub, *data, "calibration");
    sub.add_option("--weight-bits", req->config.weightBits, "weight bits (2..8)");
    sub.add_option("--activation-bits", req->config.activationBits, "activation/DAC bits (2..16)");
    sub.add_option("--adc-bits", req->config.adcBits, "ADC bits (2..32)");
    auto layerBits = std::make_shared<std::vector<std::string>>();
    sub.add_option("--layer-bits", *layerBits, "per-layer weight bits: NAME=BITS ... (node names)");
    sub.add_option("--observer", *obs, "activation observer: minmax | percentile | mse | entropy (KL: clips the tail of spiky tensors, see docs)");
    sub.add_option("--percentile", req->config.activationObserver.percentile, "percentile observer's percentile, in (0, 100]")
        ->check(numberIn(0, 100, true));
    sub.add_option("--weight-observer", *wobs, "minmax | mse");
    CLI::Option* rows = sub.add_option("--array-rows", req->config.geometry.rows, "rows per analog array");
    auto target = std::make_shared<std::string>();
    sub.add_option("--target", *target, "hardware target (preset name or target JSON): its array sets the rows per block")
        ->excludes(rows);
    sub.add_flag("--equalize,!--no-equalize", req->config.equalize,
                 "cross-layer equalization of consecutive layers (recorded in the JSON)");
    sub.add_flag("--bias-correction,!--no-bias-correction", req->config.biasCorrection,
                 "empirical bias correction, layer by layer on the calibration data");
    auto smooth = std::make_shared<std::string>("all");
    sub.add_option("--smooth-inputs", *smooth,
                   "per-channel input smoothing of analog layers with unbalanced input channels: all (default) | "
                   "depthwise (free at any weight bits; use it for low-bit mixed precision) | off");
    sub.add_flag("--offset-coding,!--no-offset-coding", req->config.offsetCoding,
                 "offset (zero-point) DAC codes for lopsided activations such as HardSwish outputs, the offset "
                 "cancelled in the layer's bias (default on; off: every signed tensor symmetric)");
    CLI::Option* fixedAlpha = sub.add_option(
        "--smoothing-alpha", req->config.smoothingAlpha,
        "one smoothing balance for every layer: 0 moves nothing into the weights, 1 normalizes every input channel");
    sub.add_option("--smoothing-alphas", req->config.smoothingAlphas,
                   "candidate balances, each smoothed layer takes the one with the lowest output error on the "
                   "calibration data, e.g. 0.5,0.75,0.9 (default: --smoothing-alpha for every layer)")
        ->delimiter(',')
        ->excludes(fixedAlpha);
    addTaskOptions(sub, req->task);
    sub.add_option("--digital-bits", req->config.highPrecisionBits,
                   "bits of tensors no analog layer reads (the vector engine's path; default 16)");
    auto adaround = std::make_shared<AdaRoundArgs>();
    addAdaRoundOptions(sub, *adaround);
    return [=] {
        checkAdaRoundArgs(*adaround);
        if (!target->empty())
            req->config.geometry = arrayGeometry(loadTarget(*target));
        for (const std::string& item : *layerBits)
            req->config.layerWeightBits[layerNameOf(item)] = layerBitsOf(item);
        req->config.smoothInputs = parseSmoothingScope(*smooth);
        if (fixedAlpha->count() > 0)
            req->config.smoothingAlphas.clear();
        req->config.activationObserver.kind = parseObserver(*obs);
        req->config.weightObserver = parseObserver(*wobs);
        req->calibration = toSource(*data);
        if (adaround->enabled) {
            runAdaRound(*adaround, *req);
            return int(kExitOk);
        }
        ConsoleProgress progress(!consoleOptions().quiet);
        const QuantSpec r = runQuantize(*req, &progress);
        progress.finish();
        std::printf("wrote %s: %zu analog layers, %zu tensors\n", req->outputPath.c_str(), r.layers.size(),
                    r.tensors.size());
        return int(kExitOk);
    };
}

CommandRun declareQuantEval(CLI::App& sub)
{
    auto req = std::make_shared<EvalRequest>();
    auto data = std::make_shared<DataArgs>();
    sub.add_option("model", req->modelPath, "ONNX model")->required();
    sub.add_option("quant", req->quantPath, "quantization JSON")->required();
    addDataOptions(sub, *data, "evaluation");
    addTaskOptions(sub, req->task);
    addMetricOption(sub, req->metricCommand);
    sub.add_option("--fp32-model", req->referenceModelPath,
                   "score against this model's FP32 outputs and activations (the original of a tuned model, e.g. "
                   "from quantize --adaround), matched by node name");
    addForceFlag(sub, req->force);
    auto noise = std::make_shared<std::string>();
    sub.add_option("--noise", *noise,
                   "off: ideal chip; default: the JSON's non-idealities, or the default analog-noise model when it "
                   "has none (omitted: the JSON's)")
        ->check(CLI::IsMember({"off", "default"}));
    auto seed = std::make_shared<int64_t>(-1);
    sub.add_option("--seed", *seed, "noise seed (another chip; default: the JSON's)")->check(numberIn(0));
    return [=] {
        req->data = toSource(*data);
        req->nonIdealities = *noise != "off";
        req->defaultNoise = *noise == "default";
        if (*seed >= 0)
            req->noiseSeed = static_cast<uint64_t>(*seed);
        ConsoleProgress progress(!consoleOptions().quiet);
        printJson(runQuantEval(*req, &progress), progress);
        return int(kExitOk);
    };
}

CommandRun declareSensitivity(CLI::App& sub)
{
    auto req = std::make_shared<SensitivityRequest>();
    auto data = std::make_shared<DataArgs>();
    sub.add_option("model", req->modelPath, "ONNX model")->required();
    sub.add_option("quant", req->quantPath, "base quantization JSON (normally 8 bits)")->required();
    addDataOptions(sub, *data, "evaluation");
    sub.add_option("--bits", req->options.bits, "bit depths to try (default 8 6 4 3 2)");
    sub.add_option("--adc-bits-options", req->options.adcBits,
                   "ADC bit depths to try per layer too, e.g. 12 10 8 6 (default: none)");
    sub.add_option("--dac-bits-options", req->options.dacBits,
                   "DAC (input) bit depths to try per layer too, up to the activation bits, e.g. 8 6 4 (default: none)");
    sub.add_option("-o,--output", req->outputPath, "JSON report to write");
    addForceFlag(sub, req->force);
    addTaskOptions(sub, req->task);
    addMetricOption(sub, req->options.metricCommand);
    auto threads = std::make_shared<int>(1);
    addThreadsOption(sub, *threads);
    return [=] {
        applyThreads(*threads);
        req->data = toSource(*data);
        ConsoleProgress progress(!consoleOptions().quiet);
        printJson(runSensitivity(*req, &progress), progress);
        return int(kExitOk);
    };
}

CommandRun declareMixedPrecision(CLI::App& sub)
{
    auto req = std::make_shared<MixedPrecisionRequest>();
    auto data = std::make_shared<DataArgs>();
    auto objective = std::make_shared<std::string>("weight-bits");
    sub.add_option("model", req->modelPath, "ONNX model")->required();
    sub.add_option("quant", req->quantPath, "base quantization JSON")->required();
    addDataOptions(sub, *data, "evaluation");
    sub.add_option("--max-drop", req->options.maxAccuracyDrop, "accuracy-drop budget as a fraction (0.01 = 1 pp; -1: no limit)")
        ->check(numberIn(-1, 1));
    sub.add_option("--max-cost", req->options.maxCost, "cost budget in the objective's unit (-1: no limit)")
        ->check(numberIn(-1));
    sub.add_option("--objective", *objective,
                   "weight-bits | energy | latency (per-layer cost model: Mbit, pJ, ns) | frame-energy | fps (every "
                   "point compiled for --target and run through the performance model: uJ per frame, frames/s; the "
                   "fps cost is us per frame, 1e6 / fps)");
    sub.add_option("--target", req->target,
                   "hardware target (preset or JSON) whose analog timing and energy price the energy / latency "
                   "objectives and that frame-energy / fps compile for (default for those: m1076); with a per-layer "
                   "objective the front points also get frame figures");
    sub.add_option("--frame-candidates", req->options.frameCandidates,
                   "frame-energy / fps: per step, the cost model's best K moves (plus every move on the bottleneck "
                   "layers) are compiled and priced by the performance model (default 4)")
        ->check(CLI::Range(1, 64));
    sub.add_option("--bits", req->options.bits, "bit depths to use (default 8 6 4 3 2)");
    sub.add_option("--adc-bits-options", req->options.adcBits,
                   "also search per-layer ADC bits over these depths, e.g. 12 10 8 6 (energy / latency objectives; "
                   "default: off, the base's ADC bits)");
    sub.add_option("--dac-bits-options", req->options.dacBits,
                   "also search per-layer DAC (input) bits over these depths, up to the activation bits, e.g. 8 6 4 "
                   "(energy / latency objectives: bit-serial inputs take time and energy per bit; default: off)");
    sub.add_option("-o,--output", req->chosenQuantPath, "quantization JSON of the chosen point");
    sub.add_option("--report", req->reportPath, "JSON report (points, Pareto front, sensitivity); stdout then gets a summary");
    sub.add_option("--sensitivity", req->sensitivityPath,
                   "reuse this `tessera sensitivity` report instead of measuring it again (same data, --bits and task)");
    req->holdout = 0.2;
    sub.add_option("--holdout", req->holdout,
                   "fraction of the samples (the last ones) kept out of the search; the chosen point is measured on "
                   "them and the report says whether it meets the budget there (default 0.2; 0: off)")
        ->check(CLI::Range(0.0, 0.95));
    addForceFlag(sub, req->force);
    addTaskOptions(sub, req->task);
    addMetricOption(sub, req->options.metricCommand);
    return [=] {
        req->options.objective = parseCostObjective(*objective);
        if (isFrameObjective(req->options.objective) && req->target.empty())
            req->target = "m1076"; // as `tessera compile`
        if (!req->target.empty())
            req->frameCost = std::make_shared<PerfFrameCost>(loadTarget(req->target));
        req->data = toSource(*data);
        ConsoleProgress progress(!consoleOptions().quiet);
        const nlohmann::json report = runMixedPrecision(*req, &progress);
        if (req->reportPath.empty()) {
            printJson(report, progress);
            printHeldOut(report);
            return int(kExitOk);
        }
        progress.finish();
        printSearchSummary(report, req->reportPath);
        return int(kExitOk);
    };
}

DataSourceOptions addDataSourceOptions(CLI::App& sub, const char* role)
{
    auto data = std::make_shared<DataArgs>();
    addDataOptions(sub, *data, role);
    return [data] { return toSource(*data); };
}

} // namespace tessera::cli

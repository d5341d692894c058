#include "quant/QuantResult.h"

#include "core/Error.h"
#include "core/io/FileIO.h"

#include <cmath>

namespace tessera::quant {

using nlohmann::json;

const LayerQuant* QuantResult::findLayer(const std::string& node) const
{
    for (const LayerQuant& l : layers)
        if (l.node == node)
            return &l;
    return nullptr;
}

LayerQuant* QuantResult::findLayer(const std::string& node)
{
    return const_cast<LayerQuant*>(static_cast<const QuantResult*>(this)->findLayer(node));
}

const TensorQuant* QuantResult::findTensor(const std::string& value) const
{
    auto it = tensors.find(value);
    return it == tensors.end() ? nullptr : &it->second;
}

void checkWeightBits(int bits, const std::string& where)
{
    if (bits < 2 || bits > 8)
        fail(where, ": weight bits ", bits, " out of range (2..8)");
}
void checkActivationBits(int bits, const std::string& where)
{
    if (bits < 2 || bits > 16)
        fail(where, ": activation bits ", bits, " out of range (2..16)");
}
void checkAdcBits(int bits, const std::string& where)
{
    if (bits < 2 || bits > 32)
        fail(where, ": ADC bits ", bits, " out of range (2..32)");
}

namespace {

json configToJson(const QuantConfig& c)
{
    return json{{"activation_bits", c.activationBits},
                {"weight_bits", c.weightBits},
                {"adc_bits", c.adcBits},
                {"high_precision_bits", c.highPrecisionBits},
                {"activation_observer", observerName(c.activationObserver.kind)},
                {"percentile", c.activationObserver.percentile},
                {"histogram_bins", c.activationObserver.bins},
                {"weight_observer", observerName(c.weightObserver)},
                {"layer_weight_bits", c.layerWeightBits},
                {"layer_adc_bits", c.layerAdcBits},
                {"array_rows", c.geometry.rows},
                {"array_cols", c.geometry.cols},
                {"calibrate_adc", c.calibrateAdc},
                {"equalize", c.equalize},
                {"bias_correction", c.biasCorrection},
                {"smooth_inputs", smoothingScopeName(c.smoothInputs)},
                {"smoothing_alpha", c.smoothingAlpha},
                {"non_idealities",
                 {{"weight_program_noise", c.nonIdealities.weightProgramNoise},
                  {"read_noise", c.nonIdealities.readNoise},
                  {"adc_offset_lsb", c.nonIdealities.adcOffset},
                  {"seed", c.nonIdealities.seed}}}};
}

QuantConfig configFromJson(const json& j, const std::string& src)
{
    QuantConfig c;
    c.activationBits = j.at("activation_bits").get<int>();
    c.weightBits = j.at("weight_bits").get<int>();
    c.adcBits = j.at("adc_bits").get<int>();
    c.highPrecisionBits = j.value("high_precision_bits", 16);
    c.activationObserver.kind = parseObserver(j.at("activation_observer").get<std::string>());
    c.activationObserver.percentile = j.value("percentile", 99.99);
    c.activationObserver.bins = j.value("histogram_bins", 2048);
    c.weightObserver = parseObserver(j.at("weight_observer").get<std::string>());
    c.layerWeightBits = j.value("layer_weight_bits", std::map<std::string, int>{});
    c.layerAdcBits = j.value("layer_adc_bits", std::map<std::string, int>{});
    c.geometry.rows = j.value("array_rows", int64_t{1024});
    c.geometry.cols = j.value("array_cols", int64_t{1024});
    c.calibrateAdc = j.value("calibrate_adc", true);
    c.equalize = j.value("equalize", false);
    c.biasCorrection = j.value("bias_correction", false);
    c.smoothInputs = j.contains("smooth_inputs") ? parseSmoothingScope(j["smooth_inputs"].get<std::string>())
                                                 : SmoothingScope::Off; // files from before smoothing existed
    c.smoothingAlpha = j.value("smoothing_alpha", 0.5);
    if (j.contains("non_idealities")) {
        const json& n = j["non_idealities"];
        c.nonIdealities.weightProgramNoise = n.value("weight_program_noise", 0.0);
        c.nonIdealities.readNoise = n.value("read_noise", 0.0);
        c.nonIdealities.adcOffset = n.value("adc_offset_lsb", 0.0);
        c.nonIdealities.seed = n.value("seed", uint64_t{0});
    }
    checkActivationBits(c.activationBits, src);
    checkWeightBits(c.weightBits, src);
    checkAdcBits(c.adcBits, src);
    checkActivationBits(c.highPrecisionBits, src);
    if (c.geometry.rows <= 0 || c.geometry.cols <= 0)
        fail(src, ": array size must be positive");
    return c;
}

bool positiveFinite(double v) { return std::isfinite(v) && v > 0.0; }

} // namespace

json toJson(const QuantResult& r)
{
    json tensors = json::object();
    for (const auto& [name, t] : r.tensors)
        tensors[name] = json{{"quantized", t.quantized}, {"scale", t.scale},       {"bits", t.bits},
                             {"signed", t.isSigned},     {"min", t.observedMin},   {"max", t.observedMax},
                             {"policy", t.policy}};
    json layers = json::array();
    for (const LayerQuant& l : r.layers) {
        layers.push_back(json{{"node", l.node},
                              {"op", l.opType},
                              {"input", l.input},
                              {"output", l.output},
                              {"weight_bits", l.weightBits},
                              {"input_bits", l.inputBits},
                              {"adc_bits", l.adcBits},
                              {"adc_range", l.adcRange},
                              {"rows", l.rows},
                              {"cols", l.cols},
                              {"groups", l.groups},
                              {"row_blocks", l.rowBlocks},
                              {"weight_scales", l.weightScales}});
        if (!l.biasCorrection.empty())
            layers.back()["bias_correction"] = l.biasCorrection;
    }
    json equalization = json::array();
    for (const ChannelScaling& cs : r.equalization)
        equalization.push_back(json{{"first", cs.first}, {"second", cs.second}, {"scales", cs.scales}});
    json smoothing = json::array();
    for (const InputSmoothing& sm : r.smoothing)
        smoothing.push_back(json{{"layer", sm.layer}, {"factors", sm.factors}});
    return json{{"format", "tessera-quant"},
                {"version", QuantResult::kFormatVersion},
                {"model", r.model},
                {"input_shape", r.inputShape},
                {"rounding", "round-half-to-even; saturating; symmetric codes, zero point 0"},
                {"config", configToJson(r.config)},
                {"equalization", equalization},
                {"smoothing", smoothing},
                {"tensors", tensors},
                {"layers", layers}};
}

namespace {

TensorQuant tensorFromJson(const json& t, const std::string& where)
{
    TensorQuant q;
    q.quantized = t.at("quantized").get<bool>();
    q.scale = t.at("scale").get<double>();
    q.bits = t.at("bits").get<int>();
    q.isSigned = t.at("signed").get<bool>();
    q.observedMin = t.value("min", 0.0);
    q.observedMax = t.value("max", 0.0);
    q.policy = t.value("policy", std::string());
    if (q.quantized && !positiveFinite(q.scale))
        fail(where, " has a non-positive or non-finite scale");
    if (q.quantized)
        checkActivationBits(q.bits, where);
    return q;
}

LayerQuant layerFromJson(const json& l, const std::string& src)
{
    LayerQuant q;
    q.node = l.at("node").get<std::string>();
    q.opType = l.value("op", std::string());
    q.input = l.at("input").get<std::string>();
    q.output = l.at("output").get<std::string>();
    q.weightBits = l.at("weight_bits").get<int>();
    q.inputBits = l.at("input_bits").get<int>();
    q.adcBits = l.at("adc_bits").get<int>();
    q.adcRange = l.at("adc_range").get<int64_t>();
    q.rows = l.value("rows", int64_t{0});
    q.cols = l.value("cols", int64_t{0});
    q.groups = l.value("groups", int64_t{1});
    q.rowBlocks = l.value("row_blocks", int64_t{1});
    q.weightScales = l.at("weight_scales").get<std::vector<double>>();
    q.biasCorrection = l.value("bias_correction", std::vector<double>{});
    const std::string where = strCat(src, ": layer '", q.node, "'");
    checkWeightBits(q.weightBits, where);
    checkActivationBits(q.inputBits, where);
    checkAdcBits(q.adcBits, where);
    for (double s : q.weightScales)
        if (!positiveFinite(s))
            fail(where, ": weight scales must be positive and finite");
    if (!q.biasCorrection.empty() && q.biasCorrection.size() != q.weightScales.size())
        fail(where, ": ", q.biasCorrection.size(), " bias corrections for ", q.weightScales.size(), " columns");
    for (double b : q.biasCorrection)
        if (!std::isfinite(b))
            fail(where, ": bias corrections must be finite");
    return q;
}

// The graph rewrites a result records: channel equalization, then input smoothing.
void rewritesFromJson(const json& j, const std::string& src, QuantResult& r)
{
    for (const json& e : j.value("equalization", json::array())) {
        ChannelScaling cs{e.at("first").get<std::string>(), e.at("second").get<std::string>(),
                          e.at("scales").get<std::vector<double>>()};
        for (double s : cs.scales)
            if (!positiveFinite(s))
                fail(src, ": equalization '", cs.first, "' -> '", cs.second, "': scales must be positive and finite");
        r.equalization.push_back(std::move(cs));
    }
    for (const json& e : j.value("smoothing", json::array())) {
        InputSmoothing sm{e.at("layer").get<std::string>(), e.at("factors").get<std::vector<double>>()};
        for (double f : sm.factors)
            if (!positiveFinite(f))
                fail(src, ": smoothing of layer '", sm.layer, "': factors must be positive and finite");
        r.smoothing.push_back(std::move(sm));
    }
}

} // namespace

QuantResult quantResultFromJson(const json& j, const std::string& src)
{
    QuantResult r;
    try {
        if (j.value("format", std::string()) != "tessera-quant")
            fail(src, ": not a Tessera quantization file (missing \"format\": \"tessera-quant\")");
        if (j.at("version").get<int>() != QuantResult::kFormatVersion)
            fail(src, ": unsupported version ", j.at("version").get<int>());
        r.model = j.value("model", std::string());
        r.inputShape = j.value("input_shape", Shape{});
        for (int64_t d : r.inputShape)
            if (d <= 0)
                fail(src, ": input_shape ", shapeToString(r.inputShape), " has a non-positive dimension");
        r.config = configFromJson(j.at("config"), src);
        for (const auto& [name, t] : j.at("tensors").items())
            r.tensors[name] = tensorFromJson(t, strCat(src, ": tensor '", name, "'"));
        for (const json& l : j.at("layers"))
            r.layers.push_back(layerFromJson(l, src));
        rewritesFromJson(j, src, r);
    } catch (const json::exception& e) {
        fail(src, ": malformed quantization file: ", e.what());
    }
    return r;
}

void writeQuantResult(const std::string& path, const QuantResult& result)
{
    writeFileAtomic(path, toJson(result).dump(1) + "\n");
}

QuantResult readQuantResult(const std::string& path)
{
    json j;
    try {
        j = json::parse(readFileBytes(path));
    } catch (const json::exception& e) {
        fail(path, ": not valid JSON: ", e.what());
    }
    return quantResultFromJson(j, path);
}

} // namespace tessera::quant

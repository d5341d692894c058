#include "core/quantspec/QuantSpec.h"

#include "core/Error.h"
#include "core/Warning.h"
#include "core/io/FileIO.h"
#include "core/quantspec/JsonFields.h"

#include <set>

namespace tessera {

using nlohmann::json;
using namespace tessera::jsonfields;

namespace {

// Bounds that keep every later computation (requantizer multipliers, block sums, shapes)
// finite and exact; values outside are corrupt or hand-edited files.
constexpr double kMinScale = 1e-30;
constexpr double kMaxScale = 1e30;
constexpr int64_t kMaxAdcRange = int64_t(1) << 48; // > 2^20 rows x 2^16 x 127 (any real block)
constexpr int64_t kMaxDim = int64_t(1) << 31;

} // namespace

const char* observerName(ObserverKind kind)
{
    switch (kind) {
    case ObserverKind::MinMax: return "minmax";
    case ObserverKind::Percentile: return "percentile";
    case ObserverKind::Mse: return "mse";
    case ObserverKind::Entropy: return "entropy";
    }
    return "minmax";
}

ObserverKind parseObserver(const std::string& name)
{
    for (ObserverKind k : {ObserverKind::MinMax, ObserverKind::Percentile, ObserverKind::Mse, ObserverKind::Entropy})
        if (name == observerName(k))
            return k;
    fail("unknown observer '", name, "' (expected minmax, percentile, mse or entropy)");
}

const char* smoothingScopeName(SmoothingScope scope)
{
    switch (scope) {
    case SmoothingScope::Off: return "off";
    case SmoothingScope::Depthwise: return "depthwise";
    case SmoothingScope::All: return "all";
    }
    return "?";
}

SmoothingScope parseSmoothingScope(const std::string& name)
{
    for (SmoothingScope s : {SmoothingScope::Off, SmoothingScope::Depthwise, SmoothingScope::All})
        if (name == smoothingScopeName(s))
            return s;
    fail("unknown input smoothing scope '", name, "' (use off, depthwise or all)");
}

const LayerQuant* QuantSpec::findLayer(const std::string& node) const
{
    for (const LayerQuant& l : layers)
        if (l.node == node)
            return &l;
    return nullptr;
}

LayerQuant* QuantSpec::findLayer(const std::string& node)
{
    return const_cast<LayerQuant*>(static_cast<const QuantSpec*>(this)->findLayer(node));
}

const TensorQuant* QuantSpec::findTensor(const std::string& value) const
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

void checkDacBits(int bits, const std::string& where)
{
    if (bits < 2 || bits > 16)
        fail(where, ": DAC bits ", bits, " out of range (2..16)");
}

void checkSpecMatchesModel(const QuantSpec& spec, const std::string& modelHash, const std::string& modelName,
                           bool force, const std::string& remedy)
{
    if (force || spec.modelHash.empty() || modelHash.empty() || spec.modelHash == modelHash)
        return;
    fail(specWhere(spec), "the quantization file was made for another model: it was calibrated on '", spec.model, "' (content ",
         spec.modelHash, "), not on '", modelName, "' (content ", modelHash,
         "); ", remedy);
}

// ---- writing ----

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
                {"layer_dac_bits", c.layerDacBits},
                {"array_rows", c.geometry.rows},
                {"array_cols", c.geometry.cols},
                {"calibrate_adc", c.calibrateAdc},
                {"equalize", c.equalize},
                {"bias_correction", c.biasCorrection},
                {"smooth_inputs", smoothingScopeName(c.smoothInputs)},
                {"smoothing_alpha", c.smoothingAlpha},
                {"smoothing_alphas", c.smoothingAlphas},
                {"offset_coding", c.offsetCoding},
                {"task", toJson(c.task)},
                {"non_idealities",
                 {{"weight_program_noise", c.nonIdealities.weightProgramNoise},
                  {"read_noise", c.nonIdealities.readNoise},
                  {"adc_offset_lsb", c.nonIdealities.adcOffset},
                  {"seed", c.nonIdealities.seed}}}};
}

json layerToJson(const LayerQuant& l)
{
    json j{{"node", l.node},           {"op", l.opType},         {"input", l.input},
           {"output", l.output},       {"weight_bits", l.weightBits}, {"input_bits", l.inputBits},
           {"adc_bits", l.adcBits},    {"adc_range", l.adcRange}, {"rows", l.rows},
           {"cols", l.cols},           {"groups", l.groups},     {"row_blocks", l.rowBlocks},
           {"weight_scales", l.weightScales}};
    if (!l.biasCorrection.empty())
        j["bias_correction"] = l.biasCorrection;
    return j;
}

} // namespace

json toJson(const QuantSpec& r)
{
    json tensors = json::object();
    for (const auto& [name, t] : r.tensors)
        tensors[name] = json{{"quantized", t.quantized}, {"scale", t.scale},       {"bits", t.bits},
                             {"signed", t.isSigned},     {"min", t.observedMin},   {"max", t.observedMax},
                             {"policy", t.policy},       {"zero_point", t.zeroPoint}};
    json layers = json::array();
    for (const LayerQuant& l : r.layers)
        layers.push_back(layerToJson(l));
    json equalization = json::array();
    for (const ChannelScaling& cs : r.equalization)
        equalization.push_back(json{{"first", cs.first}, {"second", cs.second}, {"scales", cs.scales}});
    json smoothing = json::array();
    for (const InputSmoothing& sm : r.smoothing)
    {
        json e{{"layer", sm.layer}, {"factors", sm.factors}};
        if (sm.alpha >= 0.0)
            e["alpha"] = sm.alpha;
        smoothing.push_back(std::move(e));
    }
    return json{{"format", "tessera-quant"},
                {"version", QuantSpec::kFormatVersion},
                {"model", r.model},
                {"model_hash", r.modelHash},
                {"input_shape", r.inputShape},
                {"rounding", "round-half-to-even; saturating; symmetric codes, or unsigned offset codes with the tensor's zero_point"},
                {"config", configToJson(r.config)},
                {"equalization", equalization},
                {"smoothing", smoothing},
                {"tensors", tensors},
                {"layers", layers}};
}

// ---- reading ----

namespace {

std::map<std::string, int> bitsMap(const json& c, const std::string& key, const std::string& where, int lo, int hi)
{
    std::map<std::string, int> out;
    if (!has(c, key))
        return out;
    const json& m = c.at(key);
    if (!m.is_object())
        fail(where, ": \"", key, "\" must be an object of node name -> bits");
    for (const auto& [node, v] : m.items())
        out[node] = static_cast<int>(getInt(m, node, strCat(where, ": ", key), lo, hi));
    return out;
}

void nonIdealitiesFromJson(const json& n, const std::string& where, analog::NonIdealities& ni)
{
    ni.weightProgramNoise = getDouble(n, "weight_program_noise", where, 0.0, 10.0, 0.0);
    ni.readNoise = getDouble(n, "read_noise", where, 0.0, 10.0, 0.0);
    ni.adcOffset = getDouble(n, "adc_offset_lsb", where, 0.0, 1e6, 0.0);
    ni.seed = getUint(n, "seed", where, 0);
}

QuantConfig configFromJson(const json& j, const std::string& src)
{
    const std::string where = src + ": config";
    QuantConfig c;
    c.activationBits = static_cast<int>(getInt(j, "activation_bits", where, 2, 16));
    c.weightBits = static_cast<int>(getInt(j, "weight_bits", where, 2, 8));
    c.adcBits = static_cast<int>(getInt(j, "adc_bits", where, 2, 32));
    c.highPrecisionBits = static_cast<int>(getInt(j, "high_precision_bits", where, 2, 16, 16));
    c.activationObserver.kind = parseObserver(getString(j, "activation_observer", where));
    c.activationObserver.percentile = getDouble(j, "percentile", where, 1e-9, 100.0, 99.99);
    c.activationObserver.bins = static_cast<int>(getInt(j, "histogram_bins", where, 16, 1 << 20, 2048));
    c.weightObserver = parseObserver(getString(j, "weight_observer", where));
    c.layerWeightBits = bitsMap(j, "layer_weight_bits", where, 2, 8);
    c.layerAdcBits = bitsMap(j, "layer_adc_bits", where, 2, 32);
    c.layerDacBits = bitsMap(j, "layer_dac_bits", where, 2, 16);
    c.geometry.rows = getInt(j, "array_rows", where, 1, 1 << 20, 1024);
    c.geometry.cols = getInt(j, "array_cols", where, 1, 1 << 20, 1024);
    c.calibrateAdc = getBool(j, "calibrate_adc", where, true);
    c.equalize = getBool(j, "equalize", where, false);
    c.biasCorrection = getBool(j, "bias_correction", where, false);
    // Files from before smoothing existed did not smooth.
    c.smoothInputs = parseSmoothingScope(getString(j, "smooth_inputs", where, "off"));
    c.smoothingAlpha = getDouble(j, "smoothing_alpha", where, 0.0, 1.0, 0.5);
    // Files from before the per-layer choice used smoothing_alpha everywhere.
    c.smoothingAlphas = has(j, "smoothing_alphas") ? getDoubles(j, "smoothing_alphas", where, false, 0.0, 1.0)
                                                   : std::vector<double>{};
    // Files from before offset coding (version 2 and older) coded every tensor symmetric.
    c.offsetCoding = getBool(j, "offset_coding", where, false);
    if (has(j, "non_idealities"))
        nonIdealitiesFromJson(j.at("non_idealities"), where + ": non_idealities", c.nonIdealities);
    if (has(j, "task")) // files from before tasks existed: auto
        c.task = outputTaskFromJson(j.at("task"), where + ": task");
    return c;
}

TensorQuant tensorFromJson(const json& t, const std::string& where)
{
    TensorQuant q;
    q.quantized = getBool(t, "quantized", where);
    q.isSigned = getBool(t, "signed", where);
    q.policy = getString(t, "policy", where, "");
    q.observedMin = getDouble(t, "min", where, -1e300, 1e300, 0.0);
    q.observedMax = getDouble(t, "max", where, -1e300, 1e300, 0.0);
    if (!q.quantized) {
        q.scale = getDouble(t, "scale", where, -1e300, 1e300, 1.0);
        q.bits = static_cast<int>(getInt(t, "bits", where, 0, 64, 8));
        return q;
    }
    q.scale = getDouble(t, "scale", where, kMinScale, kMaxScale);
    q.bits = static_cast<int>(getInt(t, "bits", where, 2, 16));
    q.zeroPoint = getInt(t, "zero_point", where, 0, analog::maxCode(q.bits, false), 0);
    if (q.zeroPoint != 0 && q.isSigned)
        fail(where, ": a zero point needs unsigned codes (\"signed\": false)");
    return q;
}

LayerQuant layerFromJson(const json& l, const std::string& src, size_t index)
{
    LayerQuant q;
    q.node = getString(l, "node", strCat(src, ": layers[", index, "]"));
    const std::string where = strCat(src, ": layer '", q.node, "'");
    q.opType = getString(l, "op", where, "");
    q.input = getString(l, "input", where);
    q.output = getString(l, "output", where);
    q.weightBits = static_cast<int>(getInt(l, "weight_bits", where, 2, 8));
    q.inputBits = static_cast<int>(getInt(l, "input_bits", where, 2, 16));
    q.adcBits = static_cast<int>(getInt(l, "adc_bits", where, 2, 32));
    q.adcRange = getInt(l, "adc_range", where, 0, kMaxAdcRange);
    q.rows = getInt(l, "rows", where, 0, kMaxDim, 0);
    q.cols = getInt(l, "cols", where, 0, kMaxDim, 0);
    q.groups = getInt(l, "groups", where, 1, kMaxDim, 1);
    q.rowBlocks = getInt(l, "row_blocks", where, 1, kMaxDim, 1);
    q.weightScales = getDoubles(l, "weight_scales", where, true, kMinScale, kMaxScale);
    if (has(l, "bias_correction"))
        q.biasCorrection = getDoubles(l, "bias_correction", where, false, -1e30, 1e30);
    if (q.cols > 0 && static_cast<int64_t>(q.weightScales.size()) != q.cols)
        fail(where, ": ", q.weightScales.size(), " weight scales for ", q.cols, " columns");
    if (q.cols > 0 && q.cols % q.groups != 0)
        fail(where, ": ", q.cols, " columns do not split into ", q.groups, " groups");
    if (!q.biasCorrection.empty() && q.biasCorrection.size() != q.weightScales.size())
        fail(where, ": ", q.biasCorrection.size(), " bias corrections for ", q.weightScales.size(), " columns");
    return q;
}

// The graph rewrites a spec records: channel equalization, then input smoothing.
void rewritesFromJson(const json& j, const std::string& src, QuantSpec& r)
{
    for (const json& e : j.value("equalization", json::array())) {
        ChannelScaling cs{getString(e, "first", src + ": equalization"), getString(e, "second", src + ": equalization"),
                          {}};
        cs.scales = getDoubles(e, "scales", strCat(src, ": equalization '", cs.first, "' -> '", cs.second, "'"), true,
                               kMinScale, kMaxScale);
        r.equalization.push_back(std::move(cs));
    }
    for (const json& e : j.value("smoothing", json::array())) {
        InputSmoothing sm{getString(e, "layer", src + ": smoothing"), {}};
        sm.factors = getDoubles(e, "factors", strCat(src, ": smoothing of layer '", sm.layer, "'"), true, kMinScale,
                                kMaxScale);
        sm.alpha = getDouble(e, "alpha", strCat(src, ": smoothing of layer '", sm.layer, "'"), 0.0, 1.0, -1.0);
        r.smoothing.push_back(std::move(sm));
    }
}

void checkLayersAgainstTensors(const QuantSpec& r, const std::string& src)
{
    std::set<std::string> seen;
    for (const LayerQuant& l : r.layers) {
        if (!seen.insert(l.node).second)
            fail(src, ": layer '", l.node, "' is listed twice");
        for (const std::string* name : {&l.input, &l.output}) {
            const TensorQuant* t = r.findTensor(*name);
            if (!t || !t->quantized)
                fail(src, ": layer '", l.node, "' reads or writes tensor '", *name,
                     "', which the file does not list as quantized");
        }
    }
}

void headerFromJson(const json& j, const std::string& src, QuantSpec& r)
{
    if (!j.is_object() || j.value("format", std::string()) != "tessera-quant")
        fail(src, ": not a Tessera quantization file (missing \"format\": \"tessera-quant\")");
    const json& v = member(j, "version", src);
    if (!v.is_number_integer() || v.get<int64_t>() < QuantSpec::kOldestReadableVersion ||
        v.get<int64_t>() > QuantSpec::kFormatVersion)
        fail(src, ": quantization format ", v.dump(), ", this reader supports ", QuantSpec::kOldestReadableVersion,
             "-", QuantSpec::kFormatVersion, " (made by another Tessera version?)");
    r.source = src;
    r.model = getString(j, "model", src, "");
    r.modelHash = getString(j, "model_hash", src, "");
    if (has(j, "input_shape")) {
        r.inputShape = getInts(j, "input_shape", src, 1, kMaxDim);
        int64_t total = 1;
        for (int64_t d : r.inputShape)
            if ((total *= d) > (int64_t(1) << 40))
                fail(src, ": input_shape ", shapeToString(r.inputShape), " is larger than 2^40 elements");
    }
}

} // namespace

QuantSpec quantSpecFromJson(const json& j, const std::string& src)
{
    QuantSpec r;
    try {
        headerFromJson(j, src, r);
        r.config = configFromJson(member(j, "config", src), src);
        const json& tensors = member(j, "tensors", src);
        if (!tensors.is_object())
            fail(src, ": \"tensors\" must be an object of tensor name -> coding");
        for (const auto& [name, t] : tensors.items())
            r.tensors[name] = tensorFromJson(t, strCat(src, ": tensor '", name, "'"));
        const json& layers = member(j, "layers", src);
        if (!layers.is_array())
            fail(src, ": \"layers\" must be an array");
        for (size_t i = 0; i < layers.size(); ++i)
            r.layers.push_back(layerFromJson(layers[i], src, i));
        checkLayersAgainstTensors(r, src);
        rewritesFromJson(j, src, r);
    } catch (const json::exception& e) {
        fail(src, ": malformed quantization file: ", e.what());
    }
    return r;
}

void writeQuantSpec(const std::string& path, const QuantSpec& spec)
{
    writeFileAtomic(path, toJson(spec).dump(1) + "\n");
}

QuantSpec readQuantSpec(const std::string& path)
{
    const json j = readJsonFile(path);
    QuantSpec spec = quantSpecFromJson(j, path);
    if (spec.modelHash.empty())
        warn(strCat(path, ": ",
                    j.at("version").get<int64_t>() == 1
                        ? "a format-1 quantization file records no model content hash"
                        : "the quantization file records no model content hash (\"model_hash\" is missing or "
                          "empty: hand-written or edited?)",
                    ", so it cannot be checked against the model it is used with; quantize the model again to "
                    "record one"));
    return spec;
}

std::string specWhere(const QuantSpec& spec)
{
    return spec.source.empty() ? std::string() : spec.source + ": ";
}

analog::NonIdealities readNonIdealities(const std::string& path)
{
    const json file = readJsonFile(path);
    const json* j = &file;
    if (j->is_object() && has(*j, "config"))
        j = &member(*j, "config", path);
    if (j->is_object() && has(*j, "non_idealities"))
        j = &member(*j, "non_idealities", path);
    if (!j->is_object())
        fail(path, ": a noise model must be a JSON object (non_idealities, or a quantization spec with them)");
    analog::NonIdealities ni;
    nonIdealitiesFromJson(*j, path + ": non_idealities", ni);
    if (!ni.any())
        fail(path, ": no non-ideality set (weight_program_noise, read_noise and adc_offset_lsb are all 0 or absent)");
    return ni;
}

} // namespace tessera

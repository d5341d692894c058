#include "quant/Dataset.h"

#include "core/quantspec/ModelHash.h"

#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "core/quantspec/GraphRewrites.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace tessera::quant {

namespace {

Tensor checkedInputs(const std::string& path)
{
    Tensor t = readNpy(path);
    if (t.dtype() != DType::Float32 && t.dtype() != DType::Float64)
        fail(path, ": calibration/evaluation inputs must be float32 or float64, got ", dtypeName(t.dtype()));
    if (t.rank() < 1 || t.dim(0) == 0 || t.numel() == 0)
        fail(path, ": no samples (shape ", shapeToString(t.shape()), ")");
    t = t.castTo(DType::Float32);
    const int64_t bad = firstNonFinite(t);
    if (bad >= 0)
        fail(path, ": sample ", bad / (t.numel() / t.dim(0)), " contains NaN or Inf (element ", bad, ")");
    return t;
}

} // namespace

Dataset loadNpyDataset(const std::vector<std::string>& inputPaths, const std::string& labelsPath)
{
    if (inputPaths.empty())
        fail("no input data files given");
    std::vector<Tensor> parts;
    int64_t total = 0;
    for (const std::string& p : inputPaths) {
        parts.push_back(checkedInputs(p));
        const Shape& s0 = parts.front().shape();
        const Shape& s = parts.back().shape();
        if (s.size() != s0.size() || !std::equal(s.begin() + 1, s.end(), s0.begin() + 1))
            fail(p, ": sample shape ", shapeToString(s), " differs from ", inputPaths.front(), "'s ", shapeToString(s0));
        total += s[0];
    }
    Dataset data;
    data.source = inputPaths.size() == 1 ? inputPaths[0] : strCat(inputPaths[0], " (+", inputPaths.size() - 1, " files)");
    data.inputs = concatRows(parts);
    if (!labelsPath.empty())
        data.labels = loadLabels(labelsPath, total);
    data.labelsSource = labelsPath;
    return data;
}

namespace {

std::vector<std::string> textLines(const std::string& path)
{
    const std::string text = readFileBytes(path, uint64_t(1) << 28);
    std::vector<std::string> lines;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(at, end - at);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(std::move(line));
        at = end + 1;
    }
    return lines;
}

} // namespace

std::vector<std::string> loadTextLabels(const std::string& path, int64_t count)
{
    std::vector<std::string> lines = textLines(path);
    if (static_cast<int64_t>(lines.size()) != count)
        fail(path, ": ", lines.size(), " label lines for ", count, " samples (one line per sample)");
    return lines;
}

std::vector<std::string> loadKeys(const std::string& path, bool withSpace)
{
    std::vector<std::string> keys = textLines(path);
    for (size_t i = 0; i < keys.size(); ++i)
        if (keys[i].empty())
            fail(path, ": line ", i + 1, " is empty (one character or token per line)");
    if (keys.empty())
        fail(path, ": no keys");
    if (withSpace)
        keys.push_back(" ");
    return keys;
}

std::vector<int64_t> loadLabels(const std::string& path, int64_t count)
{
    Tensor l = readNpy(path);
    if (l.dtype() != DType::Int64 && l.dtype() != DType::Int32 && l.dtype() != DType::UInt8 && l.dtype() != DType::Int8)
        fail(path, ": labels must be integers, got ", dtypeName(l.dtype()));
    if (l.numel() != count)
        fail(path, ": ", l.numel(), " labels for ", count, " samples");
    std::vector<int64_t> labels = l.toInt64Vector();
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0)
            fail(path, ": label ", labels[i], " at index ", i, " is negative (labels are class indices 0, 1, ...)");
    return labels;
}

void checkLabelRange(const std::vector<int64_t>& labels, int64_t classes, const std::string& source)
{
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= classes)
            fail(source, ": label ", labels[i], " at index ", i, " is outside the model's ", classes, " classes (0..",
                 classes - 1, ")");
}

int64_t firstNonFinite(const Tensor& t)
{
    if (t.dtype() != DType::Float32 && t.dtype() != DType::Float64 && t.dtype() != DType::Float16)
        return -1;
    const Tensor f = t.dtype() == DType::Float32 ? t : t.castTo(DType::Float32);
    const float* d = f.data<float>();
    for (int64_t i = 0; i < f.numel(); ++i)
        if (!std::isfinite(d[i]))
            return i;
    return -1;
}

void checkSamplesFitGraph(const Tensor& samples, const std::string& source, const Graph& graph)
{
    if (graph.inputs().size() != 1)
        fail("graph '", graph.name, "' has ", graph.inputs().size(), " inputs; calibration, evaluation and run support one");
    const Value& in = graph.value(graph.inputs()[0]);
    const Shape& s = samples.shape();
    if (!s.empty() && s.size() == in.shape.size() && std::equal(s.begin() + 1, s.end(), in.shape.begin() + 1))
        return;
    Shape wanted = in.shape;
    if (!wanted.empty())
        wanted[0] = -1;
    const bool stacked = s.size() == in.shape.size() + 1 && std::equal(s.begin() + 1, s.end(), in.shape.begin());
    fail(source, ": data of shape ", shapeToString(s), " does not fit input '", in.name, "' of shape ",
         shapeToString(in.shape), ": samples are stacked along axis 0 of the data, each of the input's shape without its "
         "batch dim, so the data must have shape ", shapeToString(wanted), " (any number of samples, whatever batch the "
         "model declares)", stacked ? strCat("; this data holds ", s[0], " arrays of the input's full shape: reshape it "
                                            "to ", shapeToString(wanted)) : std::string());
}

void checkDatasetFitsGraph(const Dataset& data, const Graph& graph)
{
    if (data.shapeGroups.empty()) // groups: each is checked against the graph at its shape
        checkSamplesFitGraph(data.inputs, data.source, graph);
    const Value& in = graph.value(graph.inputs()[0]);
    if (in.dtype != DType::Float32)
        fail("graph input '", in.name, "' is ", dtypeName(in.dtype), "; calibration data must feed a float32 input");
}

int64_t Dataset::count() const
{
    if (shapeGroups.empty())
        return inputs.isValid() ? inputs.dim(0) : 0;
    int64_t n = 0;
    for (const Tensor& g : shapeGroups)
        n += g.dim(0);
    return n;
}

namespace {

template <typename T>
std::vector<T> slice(const std::vector<T>& v, int64_t begin, int64_t count)
{
    return v.empty() ? v : std::vector<T>(v.begin() + begin, v.begin() + begin + count);
}

} // namespace

std::vector<Dataset> splitByShape(const Dataset& data)
{
    if (data.shapeGroups.empty())
        return {data};
    std::vector<Dataset> out;
    int64_t begin = 0;
    for (const Tensor& g : data.shapeGroups) {
        Dataset d;
        d.inputs = g;
        d.shapeGroups = {g};
        d.sourceIndex = slice(data.sourceIndex, begin, g.dim(0));
        d.labels = slice(data.labels, begin, g.dim(0));
        d.textLabels = slice(data.textLabels, begin, g.dim(0));
        d.keys = data.keys;
        d.labelsSource = data.labelsSource;
        d.source = strCat(data.source, " (samples of shape ", shapeToString(Shape(g.shape().begin() + 1, g.shape().end())), ")");
        out.push_back(std::move(d));
        begin += g.dim(0);
    }
    return out;
}

void orderLabelsLikeSamples(Dataset& data)
{
    auto reorder = [&](auto& v) {
        if (v.empty() || data.sourceIndex.empty())
            return;
        auto copy = v;
        for (size_t i = 0; i < data.sourceIndex.size(); ++i)
            v[i] = copy.at(static_cast<size_t>(data.sourceIndex[i]));
    };
    reorder(data.labels);
    reorder(data.textLabels);
}

Dataset firstSamples(const Dataset& data, int64_t n)
{
    return n <= 0 || n >= data.count() ? data : sourceRange(data, 0, n);
}

Dataset sourceRange(const Dataset& data, int64_t begin, int64_t end)
{
    Dataset out = data;
    if (data.shapeGroups.empty()) {
        out.inputs = sliceRows(data.inputs, begin, end - begin);
        out.labels = slice(data.labels, begin, end - begin);
        out.textLabels = slice(data.textLabels, begin, end - begin);
        return out;
    }
    out.shapeGroups.clear();
    out.sourceIndex.clear();
    out.labels.clear();
    out.textLabels.clear();
    int64_t sample = 0;
    for (const Tensor& g : data.shapeGroups) {
        std::vector<Tensor> kept;
        for (int64_t r = 0; r < g.dim(0); ++r, ++sample) {
            const int64_t at = data.sourceIndex[sample];
            if (at < begin || at >= end)
                continue;
            kept.push_back(sliceRows(g, r, 1));
            out.sourceIndex.push_back(at - begin);
            if (!data.labels.empty())
                out.labels.push_back(data.labels[sample]);
            if (!data.textLabels.empty())
                out.textLabels.push_back(data.textLabels[sample]);
        }
        if (!kept.empty())
            out.shapeGroups.push_back(concatRows(kept));
    }
    if (out.shapeGroups.empty())
        fail(data.source, ": no samples in [", begin, ", ", end, ")");
    out.inputs = out.shapeGroups.front();
    return out;
}

namespace {

int64_t batchOf(const Graph& g)
{
    return g.inputs().empty() || g.value(g.inputs()[0]).shape.empty() ? 1 : g.value(g.inputs()[0]).shape[0];
}

// The graph input's shape without its batch dim.
Shape sampleShapeOf(const Graph& g)
{
    if (g.inputs().empty() || g.value(g.inputs()[0]).shape.empty())
        return {};
    const Shape& s = g.value(g.inputs()[0]).shape;
    return Shape(s.begin() + 1, s.end());
}

// Every output's dim 0 must follow the input's batch, or the graph does not batch samples.
void checkOutputsFollowBatch(const Graph& g, int64_t batch)
{
    for (ValueId out : g.outputs()) {
        const Value& v = g.value(out);
        if (v.shape.empty() || v.shape[0] != batch)
            fail("at batch ", batch, ", output '", v.name, "' has shape ", shapeToString(v.shape),
                 " (its dim 0 does not follow the batch)");
    }
}

} // namespace

ModelGraphs::ModelGraphs(std::string onnxPath, Shape inputShape, bool cleanup)
    : m_path(std::move(onnxPath)), m_cleanup(cleanup)
{
    ImportOptions options;
    options.runCleanupPasses = m_cleanup;
    if (!inputShape.empty()) {
        ImportOptions probe;
        probe.lenient = true;
        const Graph p = importOnnxFile(m_path, probe).graph;
        if (p.inputs().size() != 1)
            fail(m_path, ": an input shape can only be given for a model with one input");
        const Value& in = p.value(p.inputs()[0]);
        if (!in.shape.empty() && in.shape.size() == inputShape.size())
            inputShape[0] = in.shape[0]; // the declared batch (1 when symbolic)
        options.inputShapes[in.name] = inputShape;
    }
    ImportedModel imported = importOnnxFile(m_path, options);
    m_contentHash = imported.report.contentHash;
    auto g = std::make_unique<Graph>(std::move(imported.graph));
    m_name = std::filesystem::path(m_path).stem().string();
    m_template = std::make_unique<Graph>(*g);
    m_declaredBatch = batchOf(*g);
    m_sampleShape = sampleShapeOf(*g);
    m_graphs[{m_sampleShape, m_declaredBatch}] = std::move(g);
}

ModelGraphs::ModelGraphs(Graph graph)
    : m_name(graph.name), m_contentHash(graphContentHash(graph)), m_template(std::make_unique<Graph>(std::move(graph)))
{
    m_declaredBatch = batchOf(*m_template);
    m_sampleShape = sampleShapeOf(*m_template);
    if (!m_template->inputs().empty() && !m_template->value(m_template->inputs()[0]).shape.empty())
        m_graphs[{m_sampleShape, m_declaredBatch}] = std::make_unique<Graph>(*m_template);
}

std::unique_ptr<Graph> ModelGraphs::rebatched(const Shape& sample, int64_t batch) const
{
    auto withBatch = [&](Shape s) {
        if (s.empty())
            return s;
        if (sample != m_sampleShape && s.size() == sample.size() + 1)
            std::copy(sample.begin(), sample.end(), s.begin() + 1);
        s[0] = batch;
        return s;
    };
    std::unique_ptr<Graph> g;
    if (!m_path.empty()) {
        ImportOptions options;
        options.runCleanupPasses = m_cleanup;
        options.freeBatchDim = true;
        for (ValueId in : m_template->inputs())
            options.inputShapes[m_template->value(in).name] = withBatch(m_template->value(in).shape);
        g = std::make_unique<Graph>(importOnnxFile(m_path, options).graph);
    } else {
        g = std::make_unique<Graph>(*m_template);
        for (ValueId in : g->inputs())
            g->value(in).shape = withBatch(g->value(in).shape);
        inferShapes(*g);
    }
    checkOutputsFollowBatch(*g, batch);
    return g;
}

const Graph& ModelGraphs::forBatch(int64_t batch) { return forShape(m_sampleShape, batch); }

const Graph& ModelGraphs::forShape(const Shape& wanted, int64_t batch)
{
    const Shape& sample = wanted.empty() ? m_sampleShape : wanted;
    auto it = m_graphs.find({sample, batch});
    if (it != m_graphs.end())
        return *it->second;
    if (batch == m_declaredBatch && sample == m_sampleShape)
        return cached(sample, batch, std::make_unique<Graph>(*m_template));
    try {
        return cached(sample, batch, rebatched(sample, batch));
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        if (sample != m_sampleShape)
            fail("model '", m_name, "' cannot run samples of shape ", shapeToString(sample), " (imported at ",
                 shapeToString(m_sampleShape), "): ", e.what());
        fail("model '", m_name, "' is declared with batch ", m_declaredBatch, " and cannot run a batch of ", batch,
             ": ", e.what());
    }
}

const Graph& ModelGraphs::cached(const Shape& sample, int64_t batch, std::unique_ptr<Graph> g)
{
    applyQuantRewrites(*g, m_equalization, m_smoothing);
    if (sample != m_sampleShape) {
        if (m_otherShapes.size() >= kOtherShapeGraphs) {
            m_graphs.erase(m_otherShapes.front());
            m_otherShapes.pop_front();
        }
        m_otherShapes.push_back({sample, batch});
    }
    return *(m_graphs[{sample, batch}] = std::move(g));
}

int64_t ModelGraphs::runBatch(int64_t wanted)
{
    if (wanted == m_declaredBatch)
        return wanted;
    if (!m_anyBatch) {
        try {
            forBatch(wanted);
            m_anyBatch = true;
        } catch (const Cancelled&) {
            throw;
        } catch (const Error& e) {
            m_anyBatch = false;
            m_fixedReason = e.what();
        }
    }
    return *m_anyBatch ? wanted : m_declaredBatch;
}

void ModelGraphs::setEqualization(const std::vector<ChannelScaling>& scalings)
{
    if (scalings == m_equalization)
        return;
    Graph probe = *m_template; // throws, naming the layers, before anything changes when they do not fit
    applyQuantRewrites(probe, scalings, m_smoothing);
    m_equalization = scalings;
    m_graphs.clear();
    m_otherShapes.clear();
}

void ModelGraphs::setSmoothing(const std::vector<InputSmoothing>& smoothing)
{
    if (smoothing == m_smoothing)
        return;
    Graph probe = *m_template; // throws, naming the layer, before anything changes
    applyQuantRewrites(probe, m_equalization, smoothing);
    m_smoothing = smoothing;
    m_graphs.clear();
    m_otherShapes.clear();
}

namespace {

// Data of one more axis than the input, e.g. N arrays of shape [1, 3, 224, 224] saved
// together: say how to reshape it.
std::string stackedHint(const std::string& modelPath, const Tensor& samples)
{
    ImportOptions probe;
    probe.lenient = true;
    try {
        const Graph g = importOnnxFile(modelPath, probe).graph;
        if (g.inputs().size() != 1 || samples.rank() != static_cast<int64_t>(g.value(g.inputs()[0]).shape.size()) + 1)
            return {};
    } catch (const Error&) {
        return {};
    }
    Shape wanted(samples.shape().begin() + 1, samples.shape().end());
    wanted[0] = -1;
    return strCat(" (the data has one axis more than the input: if it holds ", samples.dim(0),
                  " arrays of the input's full shape, reshape it to ", shapeToString(wanted), ")");
}

// When the model fails its shape check at its own declared input shape too (every dim but
// the batch fixed), the model is at fault whatever the data: that error, saying so.
std::string modelFaultAtDeclaredShape(const std::string& modelPath, bool cleanup)
{
    try {
        ImportOptions probe;
        probe.lenient = true;
        const Graph g = importOnnxFile(modelPath, probe).graph;
        if (g.inputs().size() != 1)
            return {};
        const Shape& declared = g.value(g.inputs()[0]).shape;
        if (declared.empty() || std::any_of(declared.begin() + 1, declared.end(), [](int64_t d) { return d <= 0; }))
            return {};
        try {
            ModelGraphs{modelPath, {}, cleanup};
        } catch (const Error& e) {
            return strCat(e.what(), " (at the model's own declared input shape ", shapeToString(declared),
                          " too: the model is at fault, not the data)");
        }
    } catch (const Error&) {
    }
    return {};
}

} // namespace

ModelGraphs openModelForSamples(const std::string& modelPath, const Tensor& samples, const std::string& source,
                                bool cleanup)
{
    Shape sample = samples.shape(); // its dim 0 is ModelGraphs' own: any number of samples runs through it
    if (!sample.empty())
        sample[0] = 1;
    try {
        return ModelGraphs(modelPath, sample, cleanup);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        if (const std::string modelFault = modelFaultAtDeclaredShape(modelPath, cleanup); !modelFault.empty())
            throw Error(modelFault);
        const Shape one(sample.begin() + (sample.empty() ? 0 : 1), sample.end());
        fail(source, ": data of shape ", shapeToString(samples.shape()), " (samples of shape ", shapeToString(one),
             " stacked along axis 0) does not fit the model; each sample must have the input's shape without its "
             "batch dim: ", e.what(), stackedHint(modelPath, samples));
    }
}

namespace {

// Rows [begin, begin + rows) of `all`, followed by copies of the last of them up to `batch`.
Tensor paddedRows(const Tensor& all, int64_t begin, int64_t rows, int64_t batch)
{
    if (rows == batch)
        return sliceRows(all, begin, rows);
    Shape s = all.shape();
    s[0] = batch;
    Tensor out(all.dtype(), s);
    const size_t rowBytes = all.byteSize() / static_cast<size_t>(all.dim(0));
    const char* src = static_cast<const char*>(all.rawData());
    char* dst = static_cast<char*>(out.mutableRawData());
    for (int64_t r = 0; r < batch; ++r)
        std::memcpy(dst + rowBytes * r, src + rowBytes * (begin + std::min(r, rows - 1)), rowBytes);
    return out;
}

} // namespace

Tensor ModelBatch::real(const Tensor& t) const
{
    return padded() && t.rank() > 0 && t.dim(0) == inputs.dim(0) ? sliceRows(t, 0, rows) : t;
}

Tensor ModelBatch::realOutput(const Tensor& t, const std::string& what) const
{
    if (padded() && (t.rank() == 0 || t.dim(0) != inputs.dim(0)))
        fail(what, ": the model runs only batches of ", inputs.dim(0), " and its output ", shapeToString(t.shape()),
             " does not lead with the batch, so the ", inputs.dim(0) - rows, " padding samples of the last run cannot "
             "be dropped; give a multiple of ", inputs.dim(0), " samples");
    return real(t);
}

namespace {

// The runs of one tensor of samples at its own shape; sample numbers start at `offset`.
void forEachBatchOfShape(ModelGraphs& model, const Tensor& samples, const std::string& source, int64_t batchSize,
                         int64_t offset, const ModelBatchFn& fn)
{
    const Shape sample(samples.shape().begin() + 1, samples.shape().end());
    checkSamplesFitGraph(samples, source, model.forShape(sample, model.declaredBatch()));
    const int64_t n = samples.dim(0);
    const int64_t step = model.runBatch(std::max<int64_t>(1, std::min(batchSize, n)));
    for (int64_t begin = 0; begin < n; begin += step) {
        const int64_t rows = std::min(step, n - begin);
        const int64_t batch = rows == step ? step : model.runBatch(rows);
        fn(ModelBatch{model.forShape(sample, batch), paddedRows(samples, begin, rows, batch), offset + begin, rows});
    }
}

} // namespace

void forEachModelBatch(ModelGraphs& model, const Tensor& samples, const std::string& source, int64_t batchSize,
                       const ModelBatchFn& fn)
{
    checkSamplesFitGraph(samples, source, model.forBatch(model.declaredBatch())); // one shape: the imported one
    forEachBatchOfShape(model, samples, source, batchSize, 0, fn);
}

void forEachModelBatch(ModelGraphs& model, const Dataset& data, int64_t batchSize, const ModelBatchFn& fn)
{
    checkDatasetFitsGraph(data, model.forBatch(model.declaredBatch()));
    if (data.shapeGroups.empty())
        return forEachBatchOfShape(model, data.inputs, data.source, batchSize, 0, fn);
    int64_t offset = 0;
    for (const Tensor& group : data.shapeGroups) { // each shape its own runs; samples numbered on
        forEachBatchOfShape(model, group, data.source, batchSize, offset, fn);
        offset += group.dim(0);
    }
}

} // namespace tessera::quant

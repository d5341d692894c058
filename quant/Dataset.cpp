#include "quant/Dataset.h"

#include "core/quantspec/ModelHash.h"

#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/io/Npy.h"
#include "core/quantspec/GraphRewrites.h"

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
    const float* d = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i)
        if (!std::isfinite(d[i]))
            fail(path, ": sample ", i / (t.numel() / t.dim(0)), " contains NaN or Inf");
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
    Shape shape = parts[0].shape();
    shape[0] = total;
    data.inputs = Tensor(DType::Float32, shape);
    float* dst = data.inputs.mutableData<float>();
    for (const Tensor& t : parts) {
        std::memcpy(dst, t.data<float>(), t.byteSize());
        dst += t.numel();
    }
    if (!labelsPath.empty())
        data.labels = loadLabels(labelsPath, total);
    return data;
}

std::vector<int64_t> loadLabels(const std::string& path, int64_t count)
{
    Tensor l = readNpy(path);
    if (l.dtype() != DType::Int64 && l.dtype() != DType::Int32 && l.dtype() != DType::UInt8 && l.dtype() != DType::Int8)
        fail(path, ": labels must be integers, got ", dtypeName(l.dtype()));
    if (l.numel() != count)
        fail(path, ": ", l.numel(), " labels for ", count, " samples");
    return l.toInt64Vector();
}

void checkDatasetFitsGraph(const Dataset& data, const Graph& graph)
{
    if (graph.inputs().size() != 1)
        fail("graph '", graph.name, "' has ", graph.inputs().size(), " inputs; calibration supports one");
    const Value& in = graph.value(graph.inputs()[0]);
    if (in.dtype != DType::Float32)
        fail("graph input '", in.name, "' is ", dtypeName(in.dtype), "; calibration data must feed a float32 input");
    const Shape& s = data.inputs.shape();
    if (s.size() != in.shape.size() || !std::equal(s.begin() + 1, s.end(), in.shape.begin() + 1))
        fail(data.source, ": samples of shape ", shapeToString(Shape(s.begin() + 1, s.end())), " do not fit input '",
             in.name, "' of shape ", shapeToString(in.shape), " (the batch dim is free)");
}

Tensor sliceRows(const Tensor& all, int64_t begin, int64_t count)
{
    Shape s = all.shape();
    s[0] = count;
    Tensor out(all.dtype(), s);
    const size_t rowBytes = all.byteSize() / static_cast<size_t>(all.dim(0));
    std::memcpy(out.mutableRawData(), static_cast<const char*>(all.rawData()) + rowBytes * begin, rowBytes * count);
    return out;
}

ModelGraphs::ModelGraphs(std::string onnxPath, Shape inputShape) : m_path(std::move(onnxPath))
{
    ImportOptions options;
    options.runCleanupPasses = true;
    if (!inputShape.empty()) {
        ImportOptions probe;
        probe.lenient = true;
        const Graph p = importOnnxFile(m_path, probe).graph;
        if (p.inputs().size() != 1)
            fail(m_path, ": an input shape can only be given for a model with one input");
        options.inputShapes[p.value(p.inputs()[0]).name] = inputShape;
    }
    ImportedModel imported = importOnnxFile(m_path, options);
    m_contentHash = imported.report.contentHash;
    auto g = std::make_unique<Graph>(std::move(imported.graph));
    m_name = std::filesystem::path(m_path).stem().string();
    m_template = std::make_unique<Graph>(*g);
    const int64_t batch = g->inputs().empty() || g->value(g->inputs()[0]).shape.empty()
                              ? 1
                              : g->value(g->inputs()[0]).shape[0];
    m_graphs[batch] = std::move(g);
}

ModelGraphs::ModelGraphs(Graph graph)
    : m_name(graph.name), m_contentHash(graphContentHash(graph)), m_template(std::make_unique<Graph>(std::move(graph)))
{
    const Graph& g = *m_template;
    if (!g.inputs().empty() && !g.value(g.inputs()[0]).shape.empty())
        m_graphs[g.value(g.inputs()[0]).shape[0]] = std::make_unique<Graph>(g);
}

const Graph& ModelGraphs::forBatch(int64_t batch)
{
    auto it = m_graphs.find(batch);
    if (it != m_graphs.end())
        return *it->second;
    std::unique_ptr<Graph> g;
    if (!m_path.empty()) {
        ImportOptions options;
        options.runCleanupPasses = true;
        for (ValueId in : m_template->inputs()) {
            Shape s = m_template->value(in).shape;
            if (!s.empty())
                s[0] = batch;
            options.inputShapes[m_template->value(in).name] = s;
        }
        g = std::make_unique<Graph>(importOnnxFile(m_path, options).graph);
    } else {
        g = std::make_unique<Graph>(*m_template);
        for (ValueId in : g->inputs())
            if (!g->value(in).shape.empty())
                g->value(in).shape[0] = batch;
        inferShapes(*g);
    }
    applyQuantRewrites(*g, m_equalization, m_smoothing);
    return *(m_graphs[batch] = std::move(g));
}

void ModelGraphs::setEqualization(const std::vector<ChannelScaling>& scalings)
{
    if (scalings == m_equalization)
        return;
    Graph probe = *m_template; // throws, naming the layers, before anything changes when they do not fit
    applyQuantRewrites(probe, scalings, m_smoothing);
    m_equalization = scalings;
    m_graphs.clear();
}

void ModelGraphs::setSmoothing(const std::vector<InputSmoothing>& smoothing)
{
    if (smoothing == m_smoothing)
        return;
    Graph probe = *m_template; // throws, naming the layer, before anything changes
    applyQuantRewrites(probe, m_equalization, smoothing);
    m_smoothing = smoothing;
    m_graphs.clear();
}

void forEachBatch(const Dataset& data, int64_t batchSize, const std::function<void(const Tensor&, int64_t)>& fn)
{
    const int64_t n = data.count();
    for (int64_t begin = 0; begin < n; begin += batchSize) {
        const int64_t count = std::min(batchSize, n - begin);
        fn(sliceRows(data.inputs, begin, count), begin);
    }
}

} // namespace tessera::quant

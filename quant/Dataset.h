#pragma once
// Calibration / evaluation data and the model graphs it runs through.
//  - Dataset: a float32 [N, ...] input tensor (one graph input) plus optional int labels,
//    from .npy files (several files are concatenated as batches) or an image folder
//    (quant/ImageFolder.h).
//  - ModelGraphs: the model imported once per batch size (shapes are static) and the
//    batch sizes it takes; forEachModelBatch runs data of any length through it.
#include "core/Graph.h"
#include "core/TensorRows.h"
#include "core/onnx/OnnxImporter.h"
#include "quant/Equalization.h"
#include "quant/Smoothing.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::quant {

struct Dataset {
    Tensor inputs;               // float32 [N, ...]
    std::vector<int64_t> labels; // empty or N entries
    std::string source;
    std::string labelsSource; // the labels file, for messages
    // Sequence outputs: one label text per sample, and the keys (class c >= 1 is keys[c - 1];
    // class 0 the CTC blank, PaddleOCR's convention). Empty: none.
    std::vector<std::string> textLabels;
    std::vector<std::string> keys;
    // Samples of different shapes (images at their own width, ImagePreprocess::autoWidth):
    // one float32 [n_g, ...] tensor per shape, samples numbered group after group (labels
    // in that order), `inputs` then the first group; sourceIndex[i] is sample i's position
    // in the source (file order). Empty: every sample is in `inputs`.
    std::vector<Tensor> shapeGroups;
    std::vector<int64_t> sourceIndex;
    int64_t count() const;
    bool severalShapes() const { return shapeGroups.size() > 1; }
    bool hasLabels() const { return !labels.empty() || !textLabels.empty(); }
};

// Loads inputs from one or more .npy files (concatenated along axis 0; float32 or
// float64) and labels from an optional integer .npy. Throws tessera::Error naming the
// file on a wrong dtype, mismatched shapes, empty data or NaN/Inf.
Dataset loadNpyDataset(const std::vector<std::string>& inputPaths, const std::string& labelsPath = {});
// Label texts, one line per sample (UTF-8, a trailing newline optional), exactly `count` of
// them; keys, one per line (a PaddleOCR dictionary; `withSpace` appends " "). Errors name
// the file and the line.
std::vector<std::string> loadTextLabels(const std::string& path, int64_t count);
std::vector<std::string> loadKeys(const std::string& path, bool withSpace);

// Integer labels from an .npy file; throws unless it holds exactly `count` integers, none
// negative (the error names the first bad index).
std::vector<int64_t> loadLabels(const std::string& path, int64_t count);
// Refuses labels outside the model's classes [0, classes), naming `source`, the index and
// the value: a label of 99 for a 10-class model would silently count as wrong.
void checkLabelRange(const std::vector<int64_t>& labels, int64_t classes, const std::string& source);
// Index of the first NaN or Inf element of a tensor (-1: none; integer tensors have none).
int64_t firstNonFinite(const Tensor& t);

// Checks that `samples` (from `source`) fit the graph's single input: samples are stacked
// along axis 0, each of the input's shape without its dim 0 (the batch), whatever batch the
// model declares. Errors name the source, its shape, the input and the shape that would fit.
void checkSamplesFitGraph(const Tensor& samples, const std::string& source, const Graph& graph);
// The same for calibration/evaluation data, whose input must also be float32.
void checkDatasetFitsGraph(const Dataset& data, const Graph& graph);

// Each shape group as a data set of that one group (its labels with it, run at its shape);
// plain data: itself.
std::vector<Dataset> splitByShape(const Dataset& data);
// Labels read in source order (file order) put in the data's sample order (sourceIndex).
void orderLabelsLikeSamples(Dataset& data);
// Only the first `n` samples in source order (--limit), groups kept.
Dataset firstSamples(const Dataset& data, int64_t n);
// The samples at source positions [begin, end) (0 <= begin < end <= count), groups kept and
// renumbered from 0 (a search's part and its held-out part).
Dataset sourceRange(const Dataset& data, int64_t begin, int64_t end);

// Rows of a [N, ...] tensor (core/TensorRows.h), here for the quantizer's callers.
using tessera::concatRows;
using tessera::sliceRows;

// The model, imported once per batch size (shapes are static), and the batch sizes it takes:
//  - any, when its batch dim is symbolic, or fixed (torch.onnx.export writes batch 1 unless
//    told otherwise) but the graph re-infers at another batch with every output's dim 0
//    following it (models that Flatten or pool their batch);
//  - exactly its declared batch B otherwise (e.g. a Reshape to a constant [1, K]): data then
//    runs B samples at a time, the last run padded (forEachModelBatch).
// Decided once, at the first run of another batch size (runBatch).
class ModelGraphs {
public:
    // Imports `onnxPath` (cleanup passes on unless `cleanup` is false) at its declared batch
    // (1 when symbolic). `inputShape` fixes symbolic dims of the (single) input; its dim 0
    // is not used.
    explicit ModelGraphs(std::string onnxPath, Shape inputShape = {}, bool cleanup = true);
    // A fixed graph (tests): other batch sizes are derived by re-inferring a copy.
    explicit ModelGraphs(Graph graph);

    // The graph at `batch`: the declared one, or any other the model re-infers at with
    // every output's dim 0 equal to `batch`; throws naming the model and output otherwise.
    const Graph& forBatch(int64_t batch);
    // The graph at `batch` for samples of shape `sample` (one sample's input shape without
    // the batch dim; empty: the shape imported), the model imported again at that shape
    // (symbolic dims, e.g. a text recognizer's width). Throws naming the shape otherwise.
    // Graphs of the imported sample shape stay cached; of other shapes only the last
    // kOtherShapeGraphs made (each holds the weights: 100 text lines of 40 widths kept
    // 2 GB of graphs), so such a reference lasts until that many other-shape graphs are made.
    const Graph& forShape(const Shape& sample, int64_t batch);
    static constexpr size_t kOtherShapeGraphs = 3;
    const std::string& name() const { return m_name; }
    // The model's content hash (core/quantspec/ModelHash.h): what a spec records and is
    // checked against.
    const std::string& contentHash() const { return m_contentHash; }
    // The batch of the input as declared (imported): 1 for a symbolic batch dim.
    int64_t declaredBatch() const { return m_declaredBatch; }
    // The batch a run of `wanted` (>= 1) samples uses: `wanted` when the model takes any
    // batch, its declared batch when it takes only that one.
    int64_t runBatch(int64_t wanted);
    // Why the model runs only at its declared batch (empty when it takes any or is undecided).
    const std::string& fixedBatchReason() const { return m_fixedReason; }

    // Cross-layer equalization applied to every graph handed out (quant/Equalization.h).
    // A different one drops the cached graphs: references from forBatch dangle.
    void setEqualization(const std::vector<ChannelScaling>& scalings);
    const std::vector<ChannelScaling>& equalization() const { return m_equalization; }
    // Input smoothing applied after the equalization (quant/Smoothing.h).
    void setSmoothing(const std::vector<InputSmoothing>& smoothing);
    const std::vector<InputSmoothing>& smoothing() const { return m_smoothing; }

private:
    std::unique_ptr<Graph> rebatched(const Shape& sample, int64_t batch) const;
    const Graph& cached(const Shape& sample, int64_t batch, std::unique_ptr<Graph> g);

    std::string m_path;
    std::string m_name;
    std::string m_contentHash;
    bool m_cleanup = true;
    std::unique_ptr<Graph> m_template; // as imported (never equalized)
    int64_t m_declaredBatch = 1;
    std::optional<bool> m_anyBatch; // decided by runBatch
    std::string m_fixedReason;
    std::vector<ChannelScaling> m_equalization;
    std::vector<InputSmoothing> m_smoothing;
    Shape m_sampleShape; // the imported input's shape without its batch dim
    std::map<std::pair<Shape, int64_t>, std::unique_ptr<Graph>> m_graphs; // by (sample shape, batch)
    std::deque<std::pair<Shape, int64_t>> m_otherShapes; // cached keys of other sample shapes, oldest first
};

// ModelGraphs(modelPath, samples' shape): the samples ([N, ...] from `source`) fix the
// input's symbolic dims (e.g. a detector's H and W). Dims the model declares otherwise
// are reported naming the data, its shape and the input.
ModelGraphs openModelForSamples(const std::string& modelPath, const Tensor& samples, const std::string& source,
                                bool cleanup = true);

// One run of the model: data rows [first, first + rows) in `inputs`, whose dim 0 is the
// graph's batch. It exceeds `rows` only when a fixed batch is padded with copies of the
// last sample; the padded samples' results are dropped (real, realOutput).
struct ModelBatch {
    const Graph& graph;
    Tensor inputs;
    int64_t first = 0;
    int64_t rows = 0;
    bool padded() const { return inputs.dim(0) > rows; }
    // `t` without the padded samples when it leads with the batch; as is otherwise.
    Tensor real(const Tensor& t) const;
    // A graph output without the padded samples; throws when it does not lead with the batch.
    Tensor realOutput(const Tensor& t, const std::string& what) const;
};

// Runs fn over `samples` ([N, ...], checked to fit the model; `source` names them in
// errors) in runs of at most `batchSize` samples, or of the model's fixed batch. Every
// sample is run exactly once (padding aside).
using ModelBatchFn = std::function<void(const ModelBatch&)>;
void forEachModelBatch(ModelGraphs& model, const Tensor& samples, const std::string& source, int64_t batchSize,
                       const ModelBatchFn& fn);
void forEachModelBatch(ModelGraphs& model, const Dataset& data, int64_t batchSize, const ModelBatchFn& fn);

} // namespace tessera::quant

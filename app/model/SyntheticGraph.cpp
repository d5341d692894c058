#include "app/model/SyntheticGraph.h"

#include "core/Error.h"

#include <random>

namespace tessera::studio {

namespace {

class Builder {
public:
    explicit Builder(Graph& g) : m_g(g) {}

    // A node with one activation input (plus a small constant weight for Conv/Gemm).
    ValueId op(const std::string& opType, std::vector<ValueId> inputs, const Shape& outShape)
    {
        std::string name = strCat(opType, "_", m_count++);
        if (opType == "Conv") {
            int64_t inC = m_g.value(inputs[0]).shape[1];
            inputs.push_back(m_g.addConstant(name + ".weight", Tensor(DType::Float32, {outShape[1], inC, 3, 3})));
        }
        ValueId out = m_g.addValue(name + ".out", DType::Float32, outShape);
        Attributes attrs;
        if (opType == "Conv") {
            attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
            attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
        }
        // Ops may not all be registered in every build; unknown ones draw as unsupported.
        m_g.addNode(name, opType, std::move(inputs), {out}, std::move(attrs), true);
        return out;
    }
    int count() const { return m_count; }

private:
    Graph& m_g;
    int m_count = 0;
};

} // namespace

Graph makeSyntheticGraph(int targetNodes, unsigned seed)
{
    Graph g;
    g.name = strCat("synthetic_", targetNodes);
    const Shape shape{1, 8, 16, 16};
    ValueId x = g.addValue("input", DType::Float32, shape);
    g.markGraphInput(x);
    Builder b(g);
    std::mt19937 rng(seed);
    ValueId cur = b.op("Conv", {x}, shape);
    while (b.count() < targetNodes) {
        if (rng() % 4 == 0) { // two branches joined by a concat and a 1-conv merge
            ValueId left = b.op("Relu", {b.op("Conv", {cur}, shape)}, shape);
            ValueId right = b.op("Conv", {b.op("Relu", {b.op("Conv", {cur}, shape)}, shape)}, shape);
            ValueId cat = b.op("Concat", {left, right}, {1, 16, 16, 16});
            cur = b.op("Conv", {cat}, shape);
        } else { // residual block
            ValueId y = b.op("Relu", {b.op("Conv", {cur}, shape)}, shape);
            y = b.op("Conv", {y}, shape);
            cur = b.op("Relu", {b.op("Add", {y, cur}, shape)}, shape);
        }
    }
    ValueId pooled = b.op("GlobalAveragePool", {cur}, {1, 8, 1, 1});
    ValueId flat = b.op("Flatten", {pooled}, {1, 8});
    g.markGraphOutput(b.op("Softmax", {flat}, {1, 8}));
    return g;
}

DocumentPtr makeSyntheticDocument(int targetNodes, unsigned seed)
{
    Graph g = makeSyntheticGraph(targetNodes, seed);
    ImportReport report;
    report.sourcePath = g.name;
    report.producer = "tessera synthetic generator";
    return std::make_shared<GraphDocument>(std::move(g), std::move(report), "synthetic:" + std::to_string(targetNodes));
}

} // namespace tessera::studio

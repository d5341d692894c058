#pragma once
// Helpers for op tests: run one node over runtime/constant inputs through shape
// inference and the reference executor.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"

#include <QString>

#include <string>
#include <vector>

namespace tessera::optest {

// One input of a single-node graph (an invalid Tensor: omitted optional input): a runtime graph input or a constant.
struct In {
    Tensor value;
    bool constant = false;
};
inline In runtime(Tensor t) { return {std::move(t), false}; }
inline In constant(Tensor t) { return {std::move(t), true}; }
inline Tensor ints(std::vector<int64_t> v) { return Tensor::fromVector(v, {static_cast<int64_t>(v.size())}); }
inline Tensor floats(std::vector<float> v, Shape shape) { return Tensor::fromVector(v, std::move(shape)); }
inline Tensor iota(Shape shape)
{
    Tensor t(DType::Float32, shape);
    for (int64_t i = 0; i < t.numel(); ++i)
        t.mutableData<float>()[i] = static_cast<float>(i);
    return t;
}

// Builds `op` over `inputs`, infers shapes and runs it; returns the outputs.
inline std::vector<Tensor> runOp(const std::string& op, const std::vector<In>& inputs, Attributes attrs = {},
                                 int numOutputs = 1)
{
    Graph g;
    std::vector<ValueId> ins, outs;
    std::vector<Tensor> feed;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        if (!inputs[i].value.isValid()) {
            ins.push_back(kNoValue);
        } else if (inputs[i].constant) {
            ins.push_back(g.addConstant(name, inputs[i].value));
        } else {
            ins.push_back(g.addValue(name, inputs[i].value.dtype(), inputs[i].value.shape()));
            g.markGraphInput(ins.back());
            feed.push_back(inputs[i].value);
        }
    }
    for (int i = 0; i < numOutputs; ++i) {
        outs.push_back(g.addValue("out" + std::to_string(i)));
        g.markGraphOutput(outs.back());
    }
    g.addNode("node", op, ins, outs, std::move(attrs));
    inferShapes(g);
    Executor exec(g);
    return exec.run(feed);
}

inline QString errorOf(const std::string& op, const std::vector<In>& inputs, Attributes attrs = {})
{
    try {
        runOp(op, inputs, std::move(attrs));
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

inline Attributes attr(const std::string& name, AttrValue value)
{
    Attributes a;
    a.set(name, std::move(value));
    return a;
}


} // namespace tessera::optest

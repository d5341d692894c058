#pragma once
// Builds and runs one-node graphs for op-row tests: every input is a graph input, or a
// constant (initializer) when marked, so placement and cost see what an import would.
// The one harness for all single-op tests (tests/core/test_*_ops.cpp).
#include "core/Error.h"
#include "core/Executor.h"
#include "core/OpRegistry.h"
#include "core/ShapeInference.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace tessera::testing {

struct OpInput {
    OpInput(Tensor t, bool isConstant = false, bool isOmitted = false)
        : value(std::move(t)), constant(isConstant), omitted(isOmitted)
    {
    }
    Tensor value;
    bool constant = false;
    bool omitted = false; // an absent optional input (kNoValue)
};
inline OpInput runtime(Tensor t) { return OpInput(std::move(t)); } // a graph input, spelled out
inline OpInput constant(Tensor t) { return OpInput(std::move(t), true); }
inline OpInput omitted() { return OpInput(Tensor(), false, true); }

struct SingleOpGraph {
    Graph graph;
    std::vector<Tensor> feeds; // values of the graph inputs, in order
    NodeId node = kNoNode;
};

// A graph with one node `name` of `opType`; shapes are inferred (throws tessera::Error).
inline SingleOpGraph buildSingleOp(const std::string& opType, const std::vector<OpInput>& inputs, Attributes attrs,
                                   size_t numOutputs = 1, const std::string& name = "node")
{
    SingleOpGraph s;
    std::vector<ValueId> ins, outs;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const OpInput& in = inputs[i];
        if (in.omitted) {
            ins.push_back(kNoValue);
        } else if (in.constant) {
            ins.push_back(s.graph.addConstant("in" + std::to_string(i), in.value));
        } else {
            ValueId v = s.graph.addValue("in" + std::to_string(i), in.value.dtype(), in.value.shape());
            s.graph.markGraphInput(v);
            s.feeds.push_back(in.value);
            ins.push_back(v);
        }
    }
    for (size_t i = 0; i < numOutputs; ++i) {
        outs.push_back(s.graph.addValue("out" + std::to_string(i)));
        s.graph.markGraphOutput(outs.back());
    }
    s.node = s.graph.addNode(name, opType, ins, outs, std::move(attrs));
    inferShapes(s.graph);
    return s;
}

// Runs the one-node graph through the reference executor; returns its outputs.
inline std::vector<Tensor> runSingleOp(const std::string& opType, const std::vector<OpInput>& inputs,
                                       Attributes attrs = {}, size_t numOutputs = 1)
{
    SingleOpGraph s = buildSingleOp(opType, inputs, std::move(attrs), numOutputs);
    Executor exec(s.graph);
    return exec.run(s.feeds);
}

// The message of the tessera::Error that `action` throws ("" if none).
template <typename Action>
QString errorOf(Action&& action)
{
    try {
        action();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// The error building the graph throws (the node is named "bad_node").
inline QString buildError(const std::string& opType, const std::vector<OpInput>& inputs, Attributes attrs,
                          size_t numOutputs = 1)
{
    return errorOf([&] { buildSingleOp(opType, inputs, std::move(attrs), numOutputs, "bad_node"); });
}

// The error building or running the graph throws (the node is named "node").
inline QString runError(const std::string& opType, const std::vector<OpInput>& inputs, Attributes attrs = {},
                        size_t numOutputs = 1)
{
    return errorOf([&] { runSingleOp(opType, inputs, std::move(attrs), numOutputs); });
}

using Ints = std::vector<int64_t>;

// Attributes from {name, value} pairs: attrs({{"group", int64_t{2}}, {"pads", Ints{1, 1}}}).
inline Attributes attrs(std::initializer_list<std::pair<std::string, AttrValue>> values)
{
    Attributes a;
    for (const auto& [name, value] : values)
        a.set(name, value);
    return a;
}

inline Tensor floats(const std::vector<float>& values, Shape shape)
{
    if (static_cast<int64_t>(values.size()) != numElements(shape)) // a typo in a test, not a kernel bug
        throw std::logic_error("test data has " + std::to_string(values.size()) + " values for shape " +
                               shapeToString(shape));
    return Tensor::fromVector<float>(values, std::move(shape));
}

inline Tensor ints(const std::vector<int64_t>& values)
{
    return Tensor::fromVector(values, {static_cast<int64_t>(values.size())});
}

// Deterministic values in [lo, hi) (a small LCG: tests must not depend on <random>'s
// implementation).
inline Tensor filled(Shape shape, float lo, float hi, uint32_t seed)
{
    Tensor t(DType::Float32, std::move(shape));
    float* d = t.mutableData<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        d[i] = lo + (hi - lo) * static_cast<float>(seed >> 8) / static_cast<float>(1u << 24);
    }
    return t;
}

// 0, 1, 2, ... in row-major order.
inline Tensor iota(Shape shape)
{
    Tensor t(DType::Float32, std::move(shape));
    for (int64_t i = 0; i < t.numel(); ++i)
        t.mutableData<float>()[i] = static_cast<float>(i);
    return t;
}

// Largest |a - b| over all elements; infinity when the shapes differ.
inline float maxAbsDiff(const Tensor& a, const Tensor& b)
{
    if (a.shape() != b.shape())
        return INFINITY;
    std::vector<float> va = a.toFloatVector(), vb = b.toFloatVector();
    float worst = 0;
    for (size_t i = 0; i < va.size(); ++i)
        worst = std::max(worst, std::abs(va[i] - vb[i]));
    return worst;
}

// Compares shape and values (absolute tolerance for float rounding).
inline void expectTensor(const Tensor& actual, const std::vector<float>& values, const Shape& shape,
                         float tolerance = 1e-5f)
{
    QCOMPARE(QString::fromStdString(shapeToString(actual.shape())), QString::fromStdString(shapeToString(shape)));
    std::vector<float> got = actual.toFloatVector();
    QCOMPARE(got.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i)
        if (std::abs(got[i] - values[i]) > tolerance)
            QFAIL(qPrintable(QString("element %1: got %2, expected %3").arg(i).arg(got[i]).arg(values[i])));
}

} // namespace tessera::testing

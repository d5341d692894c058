// Work of a digital op of a package: the op registry's cost column (core/OpRegistry.h) on a
// one-node graph rebuilt from the op's tensors and attribute text; where it runs: the
// processor for ops kept in higher precision (QuantPolicy::KeepFloat), else the SIMD
// engine (the compiler's partition rule).
#include "core/Graph.h"
#include "core/OpRegistry.h"
#include "simulator/PerfCompat.h"
#include "simulator/PerfWork.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace tessera::sim::perfdetail {

namespace {

bool isInteger(const std::string& s)
{
    if (s.empty())
        return false;
    for (size_t i = s[0] == '-' ? 1 : 0; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])))
            return false;
    return s != "-";
}

AttrValue parseValue(const std::string& text)
{
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        std::vector<int64_t> ints;
        std::vector<float> floats;
        bool allInts = true;
        std::stringstream in(text.substr(1, text.size() - 2));
        for (std::string item; std::getline(in, item, ',');) {
            allInts = allInts && isInteger(item);
            floats.push_back(std::strtof(item.c_str(), nullptr));
            ints.push_back(std::strtoll(item.c_str(), nullptr, 10));
        }
        if (allInts)
            return ints;
        return floats;
    }
    if (isInteger(text))
        return static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10));
    char* end = nullptr;
    const float f = std::strtof(text.c_str(), &end);
    if (end && *end == '\0' && end != text.c_str())
        return f;
    return text;
}

} // namespace

Attributes parseAttributeText(const std::string& text)
{
    Attributes attrs;
    std::stringstream in(text);
    for (std::string token; in >> token;) {
        const size_t eq = token.find('=');
        if (eq != std::string::npos && eq > 0)
            attrs.set(token.substr(0, eq), parseValue(token.substr(eq + 1)));
    }
    return attrs;
}

DigitalWork digitalWork(const package::Package& pkg, const package::DigitalOp& op, int64_t batch)
{
    DigitalWork w;
    const OpDef* def = OpRegistry::global().find(op.opType);
    w.processor = def && def->quantPolicyValue() == QuantPolicy::KeepFloat;
    w.ops = op.outputs.empty() ? 0.0 : static_cast<double>(tensorElements(pkg.tensors[op.outputs[0]])) / static_cast<double>(batch);
    w.approximate = true;
    if (!def)
        return w;
    try {
        Graph g;
        std::vector<ValueId> ins, outs;
        for (size_t i = 0; i < op.inputs.size(); ++i)
            ins.push_back(op.inputs[i] >= 0 ? g.addValue("in" + std::to_string(i), DType::Float32, pkg.tensors[op.inputs[i]].shape)
                                            : constantInput(g, op, i, 0));
        while (!ins.empty() && ins.back() == kNoValue)
            ins.pop_back();
        if (static_cast<int>(ins.size()) < def->minInputs()) // format 1 drops constant inputs
            return w;
        for (int64_t t : op.outputs)
            outs.push_back(g.addValue("out" + std::to_string(outs.size()), DType::Float32, pkg.tensors[t].shape));
        const NodeId n = g.addNode("op", op.opType, ins, outs, attributesOf(op.attributes));
        w.ops = static_cast<double>(def->costOf(g.node(n), g).macs) / static_cast<double>(batch);
        w.approximate = false;
        return w;
    } catch (const std::exception&) { // attributes it needs are missing: one op per output
        return w;
    }
}

} // namespace tessera::sim::perfdetail

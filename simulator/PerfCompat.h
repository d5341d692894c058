#pragma once
// Package fields the performance model reads that changed between package formats 1 and 2
// (docs/package-format.md): format 2 carries a digital op's attributes as Attributes (1: as
// text) and its constant inputs, and marks depthwise layers run on a SIMD engine. These
// overloads let the model read either, so it builds before and after format 2 lands;
// drop the format-1 halves once only format 2 remains.
#include "core/Attributes.h"
#include "core/Graph.h"
#include "core/package/Package.h"

#include <string>
#include <vector>

namespace tessera::sim::perfdetail {

// "kernel_shape=[2,2] strides=[2,2] mode=nearest" -> attributes (unknown forms: strings).
Attributes parseAttributeText(const std::string& text);
inline Attributes attributesOf(const std::string& text) { return parseAttributeText(text); }
inline const Attributes& attributesOf(const Attributes& attrs) { return attrs; }

// Format 2: a constant input of slot i sits in op.constants (op.inputs[i] = -1).
template <class Op>
auto constantInput(Graph& g, const Op& op, size_t slot, int) -> decltype(op.constants, ValueId())
{
    for (const auto& c : op.constants)
        if (static_cast<size_t>(c.slot) == slot)
            return g.addConstant("const" + std::to_string(slot), c.value);
    return kNoValue;
}
template <class Op> ValueId constantInput(Graph&, const Op&, size_t, long) { return kNoValue; }

// Format 2: a layer the compiler put on a SIMD engine (no placed blocks).
template <class Layer> auto runsOnSimd(const Layer& l, int) -> decltype(l.simd, bool()) { return l.simd; }
template <class Layer> bool runsOnSimd(const Layer&, long) { return false; }

} // namespace tessera::sim::perfdetail

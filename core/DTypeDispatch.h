#pragma once
// The one switch from DType to its C++ element type, shared by Tensor and the op kernels.
#include "core/Tensor.h"

#include <cstdint>

namespace tessera {

// Calls fn(T{}) with the C++ type of `type` (float, double, signed ints, uint8, and bool when
// WithBool); calls onUnsupported() for the others (float16, or bool without WithBool), which
// must throw. WithBool=false keeps bool out of kernels whose arithmetic has no bool meaning.
template <bool WithBool, class Fn, class OnUnsupported>
void dispatchDType(DType type, Fn&& fn, OnUnsupported&& onUnsupported)
{
    switch (type) {
    case DType::Float32: fn(float{}); break;
    case DType::Float64: fn(double{}); break;
    case DType::Int64: fn(int64_t{}); break;
    case DType::Int32: fn(int32_t{}); break;
    case DType::Int16: fn(int16_t{}); break;
    case DType::Int8: fn(int8_t{}); break;
    case DType::UInt8: fn(uint8_t{}); break;
    case DType::Bool:
        if constexpr (WithBool)
            fn(bool{});
        else
            onUnsupported();
        break;
    default: onUnsupported();
    }
}

} // namespace tessera

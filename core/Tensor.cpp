#include "core/Tensor.h"

#include "core/DTypeDispatch.h"
#include "core/Error.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace tessera {

size_t dtypeSize(DType type)
{
    switch (type) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::Float16:
    case DType::Int16: return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool: return 1;
    case DType::Undefined: return 0;
    }
    return 0;
}

const char* dtypeName(DType type)
{
    switch (type) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Float16: return "float16";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
    case DType::Undefined: return "undefined";
    }
    return "undefined";
}

int64_t numElements(const Shape& shape)
{
    // A corrupt file can declare dims whose product wraps around; refuse it before any
    // size check or allocation trusts the product.
    int64_t n = 1;
    for (int64_t d : shape)
        if (__builtin_mul_overflow(n, d, &n))
            fail("shape ", shapeToString(shape), " has more elements than fit in 64 bits");
    return n;
}

std::string shapeToString(const Shape& shape)
{
    std::ostringstream out;
    out << '[';
    for (size_t i = 0; i < shape.size(); ++i)
        out << (i ? "," : "") << shape[i];
    out << ']';
    return out.str();
}

Tensor::Tensor(DType type, Shape shape) : Tensor(type, std::move(shape), true) {}

Tensor Tensor::uninitialized(DType type, Shape shape) { return Tensor(type, std::move(shape), false); }

Tensor::Tensor(DType type, Shape shape, bool zero) : m_type(type), m_shape(std::move(shape))
{
    for (int64_t d : m_shape)
        if (d < 0)
            fail("tensor shape ", shapeToString(m_shape), " has a negative dimension");
    size_t bytes = byteSize();
    size_t padded = ((bytes + 63) / 64) * 64;
    void* memory = std::aligned_alloc(64, padded ? padded : 64);
    if (!memory)
        throw std::bad_alloc();
    if (zero)
        std::memset(memory, 0, padded ? padded : 64);
    m_owner = std::shared_ptr<void>(memory, [](void* p) { std::free(p); });
    m_data = memory;
}

Tensor Tensor::wrap(DType type, Shape shape, const void* data, std::shared_ptr<const void> owner)
{
    Tensor t;
    t.m_type = type;
    t.m_shape = std::move(shape);
    t.m_owner = std::move(owner);
    t.m_data = const_cast<void*>(data);
    t.m_readOnly = true;
    return t;
}

Tensor Tensor::viewOf(const Tensor& storage, DType type, Shape shape)
{
    Tensor t;
    t.m_type = type;
    t.m_shape = std::move(shape);
    assert(t.byteSize() <= storage.byteSize() && !storage.m_readOnly);
    t.m_owner = storage.m_owner;
    t.m_data = storage.m_data;
    return t;
}

Tensor Tensor::reshaped(Shape shape) const
{
    if (numElements(shape) != numel())
        fail("cannot reshape ", shapeToString(m_shape), " to ", shapeToString(shape));
    Tensor t = *this;
    t.m_shape = std::move(shape);
    return t;
}

Tensor Tensor::clone() const
{
    Tensor t(m_type, m_shape);
    if (byteSize())
        std::memcpy(t.m_data, m_data, byteSize());
    return t;
}

namespace {
template <class Out, class Fn> void castLoop(const Tensor& in, Out* out, Fn&& valueAt)
{
    for (int64_t i = 0, n = in.numel(); i < n; ++i)
        out[i] = static_cast<Out>(valueAt(i));
}

template <class Fn> void dispatchType(DType type, Fn&& fn)
{
    dispatchDType<true>(type, fn, [type] { fail("unsupported tensor element type ", dtypeName(type)); });
}
} // namespace

double Tensor::valueAsDouble(int64_t index) const
{
    double v = 0;
    dispatchType(m_type, [&](auto tag) { v = static_cast<double>(static_cast<const decltype(tag)*>(m_data)[index]); });
    return v;
}

int64_t Tensor::valueAsInt(int64_t index) const
{
    int64_t v = 0;
    dispatchType(m_type, [&](auto tag) { v = static_cast<int64_t>(static_cast<const decltype(tag)*>(m_data)[index]); });
    return v;
}

Tensor Tensor::castTo(DType type) const
{
    if (type == m_type)
        return *this;
    Tensor out(type, m_shape);
    dispatchType(m_type, [&](auto inTag) {
        using In = decltype(inTag);
        const In* in = static_cast<const In*>(m_data);
        dispatchType(type, [&](auto outTag) {
            using Out = decltype(outTag);
            castLoop(*this, static_cast<Out*>(out.m_data), [&](int64_t i) { return in[i]; });
        });
    });
    return out;
}

std::vector<int64_t> Tensor::toInt64Vector() const
{
    std::vector<int64_t> v(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i)
        v[i] = valueAsInt(i);
    return v;
}

std::vector<float> Tensor::toFloatVector() const
{
    if (m_type == DType::Float32) {
        const float* d = data<float>();
        return std::vector<float>(d, d + numel());
    }
    std::vector<float> v(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i)
        v[i] = static_cast<float>(valueAsDouble(i));
    return v;
}

} // namespace tessera

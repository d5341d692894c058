#pragma once
// A typed, shaped block of memory. Copies of a Tensor share storage (cheap handles);
// clone() makes a deep copy. Initializers imported from a file are wrapped, not copied.
#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

enum class DType : uint8_t { Undefined, Float32, Float64, Float16, Int64, Int32, Int16, Int8, UInt8, Bool };

size_t dtypeSize(DType type);
const char* dtypeName(DType type);

template <class T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::Float32; }
template <> constexpr DType dtypeOf<double>() { return DType::Float64; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::Int64; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::Int32; }
template <> constexpr DType dtypeOf<int16_t>() { return DType::Int16; }
template <> constexpr DType dtypeOf<int8_t>() { return DType::Int8; }
template <> constexpr DType dtypeOf<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtypeOf<bool>() { return DType::Bool; }

using Shape = std::vector<int64_t>;

int64_t numElements(const Shape& shape);
std::string shapeToString(const Shape& shape);

class Tensor {
public:
    Tensor() = default;
    // Allocates zero-filled, 64-byte aligned storage.
    Tensor(DType type, Shape shape);
    // The same storage left unwritten, for a tensor the caller fills in full right away (the
    // simulator's per-frame outputs): no pass over memory before the real one.
    static Tensor uninitialized(DType type, Shape shape);

    // Wraps memory owned by someone else without copying; `owner` keeps it alive.
    static Tensor wrap(DType type, Shape shape, const void* data, std::shared_ptr<const void> owner);

    template <class T>
    static Tensor fromVector(const std::vector<T>& values, Shape shape)
    {
        Tensor t(dtypeOf<T>(), std::move(shape));
        assert(static_cast<int64_t>(values.size()) == t.numel());
        std::copy(values.begin(), values.end(), t.mutableData<T>());
        return t;
    }
    template <class T> static Tensor scalar(T value) { return fromVector<T>({value}, {}); }

    bool isValid() const { return m_type != DType::Undefined; }
    DType dtype() const { return m_type; }
    const Shape& shape() const { return m_shape; }
    int64_t rank() const { return static_cast<int64_t>(m_shape.size()); }
    int64_t dim(int64_t axis) const { return m_shape[axis < 0 ? axis + rank() : axis]; }
    int64_t numel() const { return numElements(m_shape); }
    size_t byteSize() const { return static_cast<size_t>(numel()) * dtypeSize(m_type); }
    bool isReadOnly() const { return m_readOnly; }

    const void* rawData() const { return m_data; }
    void* mutableRawData()
    {
        assert(!m_readOnly && "writing to a wrapped (read-only) tensor");
        return m_data;
    }
    template <class T> const T* data() const
    {
        assert(m_type == dtypeOf<T>());
        return static_cast<const T*>(m_data);
    }
    template <class T> T* mutableData()
    {
        assert(m_type == dtypeOf<T>());
        return static_cast<T*>(mutableRawData());
    }

    // A writable view of `storage`'s memory as another dtype/shape that fits in it
    // (the executor's buffer pool hands out these).
    static Tensor viewOf(const Tensor& storage, DType type, Shape shape);

    // Same storage, another shape with the same element count.
    Tensor reshaped(Shape shape) const;
    Tensor clone() const;
    // Converts element type (float/int/bool); returns *this when already of that type.
    Tensor castTo(DType type) const;
    // Element i as double / int64, whatever the dtype (for shape arithmetic and tests).
    double valueAsDouble(int64_t index) const;
    int64_t valueAsInt(int64_t index) const;
    std::vector<int64_t> toInt64Vector() const;
    std::vector<float> toFloatVector() const;

private:
    Tensor(DType type, Shape shape, bool zero);

    DType m_type = DType::Undefined;
    Shape m_shape;
    std::shared_ptr<const void> m_owner;
    void* m_data = nullptr;
    bool m_readOnly = false;
};

} // namespace tessera

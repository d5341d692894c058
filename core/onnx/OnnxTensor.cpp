#include "core/onnx/OnnxTensor.h"

#include "core/Error.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace tessera::onnximport {

namespace fs = std::filesystem;
using TP = onnx::TensorProto;

namespace {

// Largest tensor accepted (elements); far above any model this tool targets.
constexpr int64_t kMaxElements = int64_t(1) << 40;

float halfToFloat(uint16_t h)
{
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0x1f) { // inf / nan
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else { // subnormal: normalize
            int e = -1;
            do {
                ++e;
                mantissa <<= 1;
            } while ((mantissa & 0x400) == 0);
            bits = sign | uint32_t(127 - 15 - e) << 23 | (mantissa & 0x3ff) << 13;
        }
    } else {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

std::string tensorLabel(const TP& proto)
{
    return proto.name().empty() ? std::string("unnamed tensor") : strCat("tensor '", proto.name(), "'");
}

// Resolves an external-data location inside baseDir; refuses anything that escapes it.
fs::path resolveExternalPath(const std::string& location, const std::string& baseDir, const std::string& what)
{
    if (baseDir.empty())
        fail(what, ": uses external data, which needs the model to be loaded from a file");
    if (location.empty())
        fail(what, ": external data has no 'location'");
    fs::path rel(location);
    if (rel.is_absolute())
        fail(what, ": external data location '", location, "' is an absolute path; it must be relative to the model's folder");
    std::error_code ec;
    fs::path base = fs::weakly_canonical(fs::path(baseDir), ec);
    fs::path full = fs::weakly_canonical(fs::path(baseDir) / rel, ec);
    if (ec)
        fail(what, ": cannot resolve external data location '", location, "'");
    fs::path inside = full.lexically_relative(base);
    if (inside.empty() || *inside.begin() == "..")
        fail(what, ": external data location '", location, "' points outside the model's folder");
    return full;
}

uint64_t parseExternalNumber(const std::string& text, const char* key, const std::string& what)
{
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
        fail(what, ": external data '", key, "' is not a non-negative integer: '", text, "'");
    return std::stoull(text);
}

Tensor readExternal(const TP& proto, DType type, Shape shape, uint64_t expectedBytes, const std::string& baseDir,
                    const std::string& what)
{
    std::string location;
    uint64_t offset = 0, length = expectedBytes;
    bool hasLength = false;
    for (const auto& entry : proto.external_data()) {
        if (entry.key() == "location")
            location = entry.value();
        else if (entry.key() == "offset")
            offset = parseExternalNumber(entry.value(), "offset", what);
        else if (entry.key() == "length") {
            length = parseExternalNumber(entry.value(), "length", what);
            hasLength = true;
        }
    }
    fs::path file = resolveExternalPath(location, baseDir, what);
    std::error_code ec;
    uint64_t fileSize = fs::file_size(file, ec);
    if (ec)
        fail(what, ": external data file '", location, "' cannot be read (", ec.message(), ")");
    if (hasLength && length != expectedBytes)
        fail(what, ": external data length ", length, " does not match ", expectedBytes, " bytes for ",
             dtypeName(type), shapeToString(shape));
    if (offset > fileSize || fileSize - offset < expectedBytes)
        fail(what, ": external data file '", location, "' has ", fileSize, " bytes; offset ", offset, " + length ",
             expectedBytes, " reaches past its end");
    Tensor t(type, std::move(shape));
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in || (expectedBytes && !in.read(static_cast<char*>(t.mutableRawData()), static_cast<std::streamsize>(expectedBytes))))
        fail(what, ": read error in external data file '", location, "'");
    return t;
}

template <class Out, class Field> Tensor copyTyped(const Field& field, DType type, Shape shape)
{
    Tensor t(type, std::move(shape));
    Out* out = static_cast<Out*>(t.mutableRawData());
    for (int i = 0; i < field.size(); ++i)
        out[i] = static_cast<Out>(field.Get(i));
    return t;
}

// The typed repeated field holding `type`'s values, copied into a tensor.
Tensor fromTypedField(const TP& proto, DType type, const Shape& shape, int64_t count, const std::string& what)
{
    auto check = [&](int size, const char* field) {
        if (size != count)
            fail(what, ": ", field, " has ", size, " values, but shape ", shapeToString(shape), " needs ", count);
    };
    switch (type) {
    case DType::Float32: check(proto.float_data_size(), "float_data"); return copyTyped<float>(proto.float_data(), type, shape);
    case DType::Float64: check(proto.double_data_size(), "double_data"); return copyTyped<double>(proto.double_data(), type, shape);
    case DType::Int64: check(proto.int64_data_size(), "int64_data"); return copyTyped<int64_t>(proto.int64_data(), type, shape);
    case DType::Int32: check(proto.int32_data_size(), "int32_data"); return copyTyped<int32_t>(proto.int32_data(), type, shape);
    case DType::Int16: check(proto.int32_data_size(), "int32_data"); return copyTyped<int16_t>(proto.int32_data(), type, shape);
    case DType::Int8: check(proto.int32_data_size(), "int32_data"); return copyTyped<int8_t>(proto.int32_data(), type, shape);
    case DType::UInt8: check(proto.int32_data_size(), "int32_data"); return copyTyped<uint8_t>(proto.int32_data(), type, shape);
    case DType::Bool: check(proto.int32_data_size(), "int32_data"); return copyTyped<bool>(proto.int32_data(), type, shape);
    default: fail(what, ": element type ", dtypeName(type), " has no typed data field");
    }
}

// float16 bit patterns (little-endian, possibly unaligned) -> float32 tensor.
Tensor halfBitsToFloat32(const char* bits, const Shape& shape, int64_t count)
{
    Tensor t(DType::Float32, shape);
    float* out = t.mutableData<float>();
    for (int64_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, bits + 2 * i, 2);
        out[i] = halfToFloat(h);
    }
    return t;
}

Tensor float16ToFloat32(const TP& proto, const Shape& shape, int64_t count, const std::string& what)
{
    if (proto.has_raw_data())
        return halfBitsToFloat32(proto.raw_data().data(), shape, count);
    Tensor t(DType::Float32, shape);
    float* out = t.mutableData<float>();
    for (int64_t i = 0; i < count; ++i)
        out[i] = halfToFloat(static_cast<uint16_t>(proto.int32_data(static_cast<int>(i))));
    return t;
}

} // namespace

DType dtypeFromOnnx(int32_t onnxType, const std::string& what)
{
    switch (onnxType) {
    case TP::FLOAT: return DType::Float32;
    case TP::DOUBLE: return DType::Float64;
    case TP::FLOAT16: return DType::Float16;
    case TP::INT64: return DType::Int64;
    case TP::INT32: return DType::Int32;
    case TP::INT16: return DType::Int16;
    case TP::INT8: return DType::Int8;
    case TP::UINT8: return DType::UInt8;
    case TP::BOOL: return DType::Bool;
    default: break;
    }
    std::string name = TP::DataType_IsValid(onnxType) ? TP::DataType_Name(static_cast<TP::DataType>(onnxType))
                                                      : std::string("unknown");
    fail(what, ": element type ", name, " (", onnxType, ") is not supported");
}

int64_t checkedElementCount(const Shape& dims, const std::string& what)
{
    int64_t count = 1;
    for (int64_t d : dims) {
        if (d < 0)
            fail(what, ": shape ", shapeToString(dims), " has a negative dimension");
        if (d != 0 && count > kMaxElements / d)
            fail(what, ": shape ", shapeToString(dims), " is too large");
        count *= d;
    }
    return count;
}

Tensor tensorFromProto(const TP& proto, const std::shared_ptr<const void>& owner, const std::string& baseDir)
{
    const std::string what = tensorLabel(proto);
    if (proto.has_segment())
        fail(what, ": segmented tensors are not supported");
    Shape shape(proto.dims().begin(), proto.dims().end());
    const int64_t count = checkedElementCount(shape, what);
    DType type = dtypeFromOnnx(proto.data_type(), what);
    const uint64_t bytes = static_cast<uint64_t>(count) * dtypeSize(type);
    if (proto.data_location() == TP::EXTERNAL) {
        if (type != DType::Float16)
            return readExternal(proto, type, shape, bytes, baseDir, what);
        Tensor bits = readExternal(proto, DType::Int16, shape, bytes, baseDir, what);
        return halfBitsToFloat32(static_cast<const char*>(bits.rawData()), shape, count);
    }
    if (proto.has_raw_data()) {
        const std::string& raw = proto.raw_data();
        if (raw.size() != bytes)
            fail(what, ": raw_data has ", raw.size(), " bytes, but ", dtypeName(type), shapeToString(shape), " needs ",
                 bytes);
        if (type == DType::Float16)
            return float16ToFloat32(proto, shape, count, what);
        if (count == 0)
            return Tensor(type, shape);
        if (reinterpret_cast<uintptr_t>(raw.data()) % dtypeSize(type) == 0)
            return Tensor::wrap(type, shape, raw.data(), owner);
        Tensor t(type, shape);
        std::memcpy(t.mutableRawData(), raw.data(), bytes);
        return t;
    }
    if (type == DType::Float16) {
        if (proto.int32_data_size() != count)
            fail(what, ": int32_data has ", proto.int32_data_size(), " values, but shape ", shapeToString(shape),
                 " needs ", count);
        return float16ToFloat32(proto, shape, count, what);
    }
    return fromTypedField(proto, type, shape, count, what);
}

} // namespace tessera::onnximport

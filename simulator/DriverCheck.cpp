// Host driver checks: package file version and target, model descriptors, inputs against
// descriptors. Every error names the file or input and both sides of the mismatch.
#include "simulator/DriverDetail.h"

#include "core/DTypeDispatch.h"
#include "core/analog/Numerics.h"
#include "core/io/FileIO.h"
#include "core/package/PackageIO.h"

#include <cstring>
#include <sstream>
#include <utility>

namespace tessera::driver {

namespace {

// One name per ErrorCode, in enum order (docs/host-driver.md's errors table).
const char* const kErrorCodeNames[kErrorCodeCount] = {
    "unknown_device", "bad_options",  "device_closed", "no_model",  "bad_package",      "wrong_target",
    "wrong_format",   "unknown_input", "missing_input", "wrong_shape", "wrong_dtype",     "queue_full",
    "timeout",        "cancelled",     "execution_failed", "bad_handle",
};

const char* const kStageNames[] = {"queued", "running", "done", "failed", "cancelled"};

// Package element type (as stored) -> tensor dtype; a type not listed has no host tensor.
const std::pair<package::ElementType, DType> kCodeDTypes[] = {
    {package::ElementType::Int8, DType::Int8},   {package::ElementType::Int16, DType::Int16},
    {package::ElementType::Int32, DType::Int32}, {package::ElementType::Int64, DType::Int64},
    {package::ElementType::Float32, DType::Float32}, {package::ElementType::UInt8, DType::UInt8},
};

std::string inputList(const ModelInfo& model)
{
    std::string out;
    for (const TensorInfo& in : model.inputs)
        out += (out.empty() ? "'" : ", '") + in.name + "' " + shapeToString(in.shape);
    return out;
}

const TensorInfo* findInput(const ModelInfo& model, const std::string& name)
{
    for (const TensorInfo& in : model.inputs)
        if (in.name == name)
            return &in;
    return nullptr;
}

// Frames the tensor holds (its leading dim over the descriptor's), or -1 if the shape does
// not match.
int64_t framesIn(const Shape& given, const Shape& want)
{
    if (given.size() != want.size())
        return -1;
    if (want.empty())
        return 1;
    for (size_t i = 1; i < want.size(); ++i)
        if (given[i] != want[i])
            return -1;
    if (want[0] <= 0 || given[0] <= 0 || given[0] % want[0] != 0)
        return -1;
    return given[0] / want[0];
}

void checkDType(const TensorInfo& in, const Tensor& t)
{
    if (!t.isValid())
        throw InputError(ErrorCode::WrongDType, strCat("input '", in.name, "' is an empty tensor"), in.name);
    // As stored (codes of a quantized input), or float32 values the device quantizes.
    if (t.dtype() == in.codeType || (in.quant.quantized && t.dtype() == DType::Float32))
        return;
    const std::string takes = in.quant.quantized && in.codeType != DType::Float32
                                  ? strCat("float32 values or ", dtypeName(in.codeType), " codes")
                                  : strCat(dtypeName(in.codeType), " values");
    throw InputError(ErrorCode::WrongDType,
                     strCat("input '", in.name, "' is ", dtypeName(t.dtype()), "; it takes ", takes), in.name);
}

uint32_t loadU32(const std::string& bytes, size_t at)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

std::string geometry(const package::TargetSummary& t)
{
    return strCat(t.tiles, " tiles of ", t.arraysPerTile, " arrays ", t.arrayRows, "x", t.arrayCols, ", ",
                  t.sramBytes, " B SRAM");
}

} // namespace

const char* errorCodeName(ErrorCode code) { return kErrorCodeNames[static_cast<int>(code)]; }

const char* frameStageName(FrameStage stage) { return kStageNames[static_cast<int>(stage)]; }

std::string TensorInfo::describe() const
{
    std::ostringstream out;
    out << name << " " << shapeToString(shape) << " ";
    if (quant.quantized && codeType != DType::Float32) {
        out << "float32 -> " << dtypeName(codeType) << " codes (scale " << quant.scale << ", " << quant.bits
            << " bits, " << (quant.isSigned ? "signed" : "unsigned");
        if (quant.zeroPoint != 0)
            out << ", zero point " << quant.zeroPoint;
        out << ")";
    } else {
        out << dtypeName(codeType);
    }
    return out.str();
}

namespace {

void checkCodec(const TensorInfo& info, const Tensor& t, DType want, const char* what)
{
    if (!info.quant.quantized || info.codeType == DType::Float32)
        throw InputError(ErrorCode::WrongDType, strCat("'", info.name, "' is not quantized: nothing to ", what),
                         info.name);
    if (!t.isValid() || t.dtype() != want)
        throw InputError(ErrorCode::WrongDType,
                         strCat(what, " '", info.name, "': the tensor is ", t.isValid() ? dtypeName(t.dtype()) : "empty",
                                ", expected ", dtypeName(want)),
                         info.name);
}

template <class Fn>
void forCodeType(const TensorInfo& info, Fn&& fn)
{
    dispatchDType<false>(info.codeType, fn, [&] {
        throw InputError(ErrorCode::WrongDType, strCat("'", info.name, "': unsupported code type"), info.name);
    });
}

} // namespace

Tensor quantize(const TensorInfo& info, const Tensor& values)
{
    checkCodec(info, values, DType::Float32, "quantize");
    Tensor codes(info.codeType, values.shape());
    const analog::CodeRange range = analog::codeRange(info.quant.bits, info.quant.isSigned);
    forCodeType(info, [&](auto zero) {
        using T = decltype(zero);
        T* out = codes.mutableData<T>();
        for (int64_t i = 0; i < values.numel(); ++i)
            out[i] = static_cast<T>(analog::quantizeValue(values.data<float>()[i], info.quant.scale, range, info.quant.zeroPoint));
    });
    return codes;
}

Tensor dequantize(const TensorInfo& info, const Tensor& codes)
{
    checkCodec(info, codes, info.codeType, "dequantize");
    Tensor values(DType::Float32, codes.shape());
    forCodeType(info, [&](auto zero) {
        using T = decltype(zero);
        for (int64_t i = 0; i < codes.numel(); ++i)
            values.mutableData<float>()[i] =
                static_cast<float>(double(codes.data<T>()[i] - info.quant.zeroPoint) * info.quant.scale);
    });
    return values;
}

namespace detail {

DType codeDType(package::ElementType type)
{
    for (const auto& [stored, dtype] : kCodeDTypes)
        if (stored == type)
            return dtype;
    return DType::Undefined;
}

std::vector<Tensor> checkInputs(const ModelInfo& model, const Inputs& inputs)
{
    for (const auto& [name, tensor] : inputs)
        if (!findInput(model, name))
            throw InputError(ErrorCode::UnknownInput,
                             strCat("no input named '", name, "'; the model's inputs: ", inputList(model)), name);
    std::vector<Tensor> ordered;
    int64_t frames = -1;
    for (const TensorInfo& in : model.inputs) {
        auto it = inputs.find(in.name);
        if (it == inputs.end())
            throw InputError(ErrorCode::MissingInput,
                             strCat("input '", in.name, "' ", shapeToString(in.shape), " not given"), in.name);
        checkDType(in, it->second);
        const int64_t n = framesIn(it->second.shape(), in.shape);
        if (n < 0)
            throw InputError(ErrorCode::WrongShape,
                             strCat("input '", in.name, "' has shape ", shapeToString(it->second.shape()),
                                    ", the model takes ", shapeToString(in.shape),
                                    " (the leading dimension may be a multiple: several frames)"),
                             in.name);
        if (frames >= 0 && n != frames)
            throw InputError(ErrorCode::WrongShape,
                             strCat("input '", in.name, "' holds ", n, " frames, input '", model.inputs[0].name,
                                    "' ", frames),
                             in.name);
        frames = n;
        ordered.push_back(it->second);
    }
    return ordered;
}

package::Package readChecked(const std::string& path)
{
    std::string bytes;
    try {
        bytes = readFileBytes(path);
    } catch (const Error& e) {
        throw PackageError(ErrorCode::BadPackage, e.what());
    }
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), package::kMagic, 4) == 0) {
        const uint32_t version = loadU32(bytes, 4);
        if (version < package::kMinFormatVersion || version > package::kFormatVersion)
            throw FormatVersionError(
                strCat(path, ": package format version ", version, ", this driver (Tessera ",
                       package::tesseraVersion(), ") reads versions ", package::kMinFormatVersion, " to ",
                       package::kFormatVersion, ": the package was written by ",
                       version > package::kFormatVersion ? "a newer" : "an older",
                       " Tessera; recompile the model with this release (tessera compile)"),
                version);
    }
    try {
        return package::parsePackage(bytes, path);
    } catch (const Error& e) {
        throw PackageError(ErrorCode::BadPackage, e.what());
    }
}

void checkTarget(const package::Package& pkg, const std::string& label, const Core& device)
{
    const package::TargetSummary& built = pkg.header.target;
    const package::TargetSummary& have = device.targetSummary;
    if (built.name != have.name)
        throw TargetMismatchError(strCat(label, ": built for ", built.name, ", the device is ", have.name, " (open \"sim:",
                                         built.name, "\" or recompile with --target ", have.name, ")"),
                                  built.name, have.name);
    const std::string a = geometry(built), b = geometry(have);
    if (a != b)
        throw TargetMismatchError(strCat(label, ": built for a ", built.name, " with ", a, ", the device's ",
                                         have.name, " has ", b, " (recompile for this device's target)"),
                                  built.name, have.name);
}

ModelInfo describeModel(const package::Package& pkg, const std::string& label)
{
    ModelInfo info;
    info.name = pkg.header.modelName;
    info.packagePath = label;
    info.target = pkg.header.target.name;
    info.formatVersion = pkg.header.formatVersion;
    info.tesseraVersion = pkg.header.tesseraVersion;
    auto describe = [&](int64_t id) {
        const package::PackageTensor& t = pkg.tensors[static_cast<size_t>(id)];
        return TensorInfo{t.name, t.shape, codeDType(t.type), t.quant};
    };
    for (int64_t id : pkg.inputs)
        info.inputs.push_back(describe(id));
    for (int64_t id : pkg.outputs)
        info.outputs.push_back(describe(id));
    return info;
}

} // namespace detail
} // namespace tessera::driver

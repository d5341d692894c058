// Attributes, constant tensors, digital ops, tensors, I/O and non-idealities of the .tpkg
// format (docs/package-format.md), each written and read by one pair of functions.
#include "core/package/PackageSections.h"

#include <cmath>

namespace tessera::package::detail {

namespace {

constexpr uint64_t kMaxAttributes = 256;
constexpr uint64_t kMaxListItems = uint64_t(1) << 20;
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 32;
constexpr uint64_t kMaxDigitalOps = uint64_t(1) << 20;
constexpr uint64_t kMaxTensors = uint64_t(1) << 22;
constexpr uint64_t kMaxPlacements = uint64_t(1) << 16;
constexpr int kDTypeCount = 10; // core/Tensor.h DType values 0..9

// Attribute value kinds (the AttrValue variant's index, fixed by the format).
enum AttrKind : uint8_t { kInt = 0, kFloat = 1, kString = 2, kInts = 3, kFloats = 4, kStrings = 5, kTensor = 6 };

void writeFloat(Writer& w, float v)
{
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    w.u32(bits);
}
float readFloat(Reader& r)
{
    uint32_t bits = r.u32();
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

void writeValue(Writer& w, const AttrValue& v)
{
    w.u8(static_cast<uint8_t>(v.index()));
    if (const auto* i = std::get_if<int64_t>(&v))
        w.i64(*i);
    else if (const auto* f = std::get_if<float>(&v))
        writeFloat(w, *f);
    else if (const auto* s = std::get_if<std::string>(&v))
        w.str(*s);
    else if (const auto* is = std::get_if<std::vector<int64_t>>(&v))
        w.i64s(*is);
    else if (const auto* fs = std::get_if<std::vector<float>>(&v)) {
        w.u64(fs->size());
        for (float x : *fs)
            writeFloat(w, x);
    } else if (const auto* ss = std::get_if<std::vector<std::string>>(&v)) {
        w.u64(ss->size());
        for (const std::string& x : *ss)
            w.str(x);
    } else
        writeTensorData(w, std::get<Tensor>(v));
}

AttrValue readValue(Reader& r)
{
    const uint8_t kind = r.u8();
    switch (kind) {
    case kInt:
        return r.i64();
    case kFloat:
        return readFloat(r);
    case kString:
        return r.str("attribute string", kMaxNameBytes);
    case kInts:
        return r.i64s("attribute ints", kMaxListItems);
    case kFloats:
        return readList<float>(r, "attribute floats", kMaxListItems, 4, [](Reader& rr, float& x) { x = readFloat(rr); });
    case kStrings:
        return readList<std::string>(r, "attribute strings", kMaxListItems, 4,
                                     [](Reader& rr, std::string& x) { x = rr.str("attribute string", kMaxNameBytes); });
    case kTensor:
        return readTensorData(r, "attribute tensor");
    default:
        r.bad("unknown attribute kind ", int(kind), " (this reader knows 0-6)");
    }
}

} // namespace

void writeAttributes(Writer& w, const Attributes& attrs)
{
    w.u64(attrs.all().size());
    for (const auto& [name, value] : attrs.all()) { // std::map: sorted, deterministic
        w.str(name);
        writeValue(w, value);
    }
}

Attributes readAttributes(Reader& r)
{
    Attributes attrs;
    const size_t n = r.count("attributes", kMaxAttributes, 5);
    for (size_t i = 0; i < n; ++i) {
        std::string name = r.str("attribute name", kMaxNameBytes);
        if (name.empty() || attrs.has(name))
            r.bad("attribute name '", name, "' is empty or repeated");
        attrs.set(name, readValue(r));
    }
    return attrs;
}

void writeTensorData(Writer& w, const Tensor& t)
{
    w.u32(static_cast<uint32_t>(t.dtype()));
    w.i64s(t.shape());
    w.u64(t.byteSize());
    w.bytes(t.rawData(), t.byteSize());
}

Tensor readTensorData(Reader& r, const char* what)
{
    const uint32_t type = r.u32();
    if (type == 0 || type >= static_cast<uint32_t>(kDTypeCount))
        r.bad(what, ": unknown dtype ", type);
    const std::vector<int64_t> shape = r.i64s("constant dims", kMaxRank);
    int64_t elements = 1;
    for (int64_t d : shape) {
        if (d < 0 || (d > 0 && elements > int64_t(kMaxTensorBytes) / d))
            r.bad(what, ": bad dimension ", d);
        elements *= d;
    }
    const size_t bytes = r.count("constant bytes", kMaxTensorBytes, 1);
    const DType dtype = static_cast<DType>(type);
    if (static_cast<uint64_t>(bytes) != static_cast<uint64_t>(elements) * dtypeSize(dtype))
        r.bad(what, ": ", bytes, " bytes for ", elements, " ", dtypeName(dtype), " elements");
    Tensor t(dtype, shape);
    r.bytes(t.mutableRawData(), bytes);
    return t;
}

// ---- digital ops ----
void writeDigitalOps(Writer& w, const Package& pkg)
{
    w.u64(pkg.digitalOps.size());
    for (const DigitalOp& op : pkg.digitalOps) {
        w.str(op.name);
        w.str(op.opType);
        writeAttributes(w, op.attributes);
        w.i64s(op.inputs);
        w.u64(op.constants.size());
        for (const ConstantInput& c : op.constants) {
            w.i64(c.slot);
            writeTensorData(w, c.value);
        }
        w.i64s(op.outputs);
        w.i64(op.tile);
    }
}
void readDigitalOps(Reader& r, Package& pkg)
{
    pkg.digitalOps = readList<DigitalOp>(r, "digital ops", kMaxDigitalOps, 56, [](Reader& rr, DigitalOp& op) {
        op.name = rr.str("op name", kMaxNameBytes);
        op.opType = rr.str("op type", kMaxNameBytes);
        op.attributes = readAttributes(rr);
        op.inputs = rr.i64s("op inputs", kMaxOpTensors);
        op.constants = readList<ConstantInput>(rr, "op constants", kMaxOpTensors, 36, [](Reader& r2, ConstantInput& c) {
            c.slot = r2.i64();
            c.value = readTensorData(r2, "constant input");
        });
        op.outputs = rr.i64s("op outputs", kMaxOpTensors);
        op.tile = rr.i64();
    });
}

// ---- tensors ----
void writeTensors(Writer& w, const Package& pkg)
{
    w.u64(pkg.tensors.size());
    for (const PackageTensor& t : pkg.tensors) {
        w.i64(t.id);
        w.str(t.name);
        w.i64s(t.shape);
        w.u32(static_cast<uint32_t>(t.type));
        w.u32(static_cast<uint32_t>(t.compute));
        w.flag(t.quant.quantized);
        w.f64(t.quant.scale);
        w.i32(t.quant.bits);
        w.flag(t.quant.isSigned);
        w.i64(t.quant.zeroPoint); // format 3
        w.u64(t.placements.size());
        for (const TensorPlacement& p : t.placements)
            for (int64_t v : {p.tile, p.offset, p.bytes})
                w.i64(v);
    }
}
ElementType readElementType(Reader& r, const PackageTensor& t)
{
    const uint32_t type = r.u32();
    if (type >= static_cast<uint32_t>(kElementTypeCount))
        r.bad("tensor '", t.name, "': unknown element type ", type, " (this reader knows 0-", kElementTypeCount - 1, ")");
    return static_cast<ElementType>(type);
}
void readTensor(Reader& r, PackageTensor& t, uint32_t version)
{
    t.id = r.i64();
    t.name = r.str("tensor name", kMaxNameBytes);
    t.shape = r.i64s("tensor dims", kMaxRank);
    t.type = readElementType(r, t);
    t.compute = readElementType(r, t);
    t.quant.quantized = r.flag("quantized");
    t.quant.scale = r.f64();
    t.quant.bits = r.i32();
    t.quant.isSigned = r.flag("signed");
    if (version >= 3) // format 2 had no zero points
        t.quant.zeroPoint = r.i64();
    t.placements = readList<TensorPlacement>(r, "placements", kMaxPlacements, 24, [](Reader& rr, TensorPlacement& p) {
        for (int64_t* v : {&p.tile, &p.offset, &p.bytes})
            *v = rr.i64();
    });
}
void readTensors(Reader& r, Package& pkg)
{
    const uint32_t version = pkg.header.formatVersion;
    pkg.tensors = readList<PackageTensor>(r, "tensors", kMaxTensors, 47,
                                          [version](Reader& rr, PackageTensor& t) { readTensor(rr, t, version); });
}

// ---- io ----
void writeIo(Writer& w, const Package& pkg)
{
    w.i64s(pkg.inputs);
    w.i64s(pkg.outputs);
}
void readIo(Reader& r, Package& pkg)
{
    pkg.inputs = r.i64s("model inputs", kMaxOpTensors);
    pkg.outputs = r.i64s("model outputs", kMaxOpTensors);
}

// ---- non-idealities ----
void writeNoise(Writer& w, const Package& pkg)
{
    const analog::NonIdealities& n = pkg.nonIdealities;
    w.f64(n.weightProgramNoise);
    w.f64(n.readNoise);
    w.f64(n.adcOffset);
    w.u64(n.seed);
}
void readNoise(Reader& r, Package& pkg)
{
    analog::NonIdealities& n = pkg.nonIdealities;
    for (double* v : {&n.weightProgramNoise, &n.readNoise, &n.adcOffset}) {
        *v = r.f64();
        if (!std::isfinite(*v) || *v < 0.0 || *v > 1e6)
            r.bad("non-ideality ", *v, " must be finite and in [0, 1e6]");
    }
    n.seed = r.u64();
}

} // namespace tessera::package::detail

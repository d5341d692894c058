#include "core/io/Npy.h"

#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/io/NpyHeader.h"

#include <cstring>
#include <fstream>
#include <map>

namespace tessera {

namespace {

const char kMagic[] = "\x93NUMPY";

struct DescrInfo {
    DType type;
    const char* descr;
};

// The descr strings Tessera reads and writes (little-endian; one-byte types use '|').
const std::vector<DescrInfo>& descrTable()
{
    static const std::vector<DescrInfo> table = {
        {DType::Float32, "<f4"}, {DType::Float64, "<f8"}, {DType::Int64, "<i8"}, {DType::Int32, "<i4"},
        {DType::Int16, "<i2"},   {DType::UInt8, "|u1"},   {DType::Int8, "|i1"},   {DType::Bool, "|b1"},
        {DType::Float16, "<f2"},
    };
    return table;
}

DType dtypeFromDescr(const std::string& descr, const std::string& source)
{
    for (const DescrInfo& info : descrTable())
        if (descr == info.descr && info.type != DType::Float16)
            return info.type;
    if (descr.size() == 3 && descr[0] == '>')
        fail(source, ": big-endian data ('", descr, "') is not supported; save it little-endian");
    // '<u1', '<i1', '<b1' and '=' byte orders are equivalent spellings numpy can produce.
    if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '=' || descr[0] == '|')) {
        std::string canonical = descr;
        canonical[0] = (descr[2] == '1') ? '|' : '<';
        if (canonical != descr)
            return dtypeFromDescr(canonical, source);
    }
    fail(source, ": element type '", descr, "' is not supported (float32/64, int64/32/8, uint8, bool)");
}

// Finds `'key':` in the header dict and returns the text after the colon.
size_t findKey(const std::string& header, const std::string& key, const std::string& source)
{
    size_t pos = header.find("'" + key + "'");
    if (pos == std::string::npos)
        pos = header.find("\"" + key + "\"");
    if (pos == std::string::npos)
        fail(source, ": .npy header has no '", key, "' entry");
    size_t colon = header.find(':', pos + key.size() + 2);
    if (colon == std::string::npos)
        fail(source, ": malformed .npy header near '", key, "'");
    size_t value = header.find_first_not_of(" \t", colon + 1);
    if (value == std::string::npos)
        fail(source, ": malformed .npy header near '", key, "'");
    return value;
}

std::string parseDescr(const std::string& header, const std::string& source)
{
    size_t start = findKey(header, "descr", source);
    char quote = header[start];
    if (quote != '\'' && quote != '"')
        fail(source, ": .npy 'descr' is not a simple type string (structured arrays are not supported)");
    size_t end = header.find(quote, start + 1);
    if (end == std::string::npos)
        fail(source, ": malformed .npy 'descr'");
    return header.substr(start + 1, end - start - 1);
}

Shape parseShape(const std::string& header, const std::string& source)
{
    size_t start = findKey(header, "shape", source);
    if (header[start] != '(')
        fail(source, ": malformed .npy 'shape'");
    size_t end = header.find(')', start);
    if (end == std::string::npos)
        fail(source, ": malformed .npy 'shape'");
    Shape shape;
    std::string body = header.substr(start + 1, end - start - 1);
    size_t i = 0;
    while (i < body.size()) {
        size_t next = body.find(',', i);
        std::string item = body.substr(i, next == std::string::npos ? std::string::npos : next - i);
        size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \tL");
        if (a != std::string::npos) {
            std::string digits = item.substr(a, b - a + 1);
            if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
                fail(source, ": .npy shape entry '", digits, "' is not a non-negative integer");
            if (digits.size() > 15) // beyond 10^15 elements along one axis no file can hold
                fail(source, ": .npy shape entry ", digits, " is too large");
            shape.push_back(std::stoll(digits));
        }
        if (next == std::string::npos)
            break;
        i = next + 1;
    }
    return shape;
}

bool parseFortranOrder(const std::string& header, const std::string& source)
{
    size_t start = findKey(header, "fortran_order", source);
    if (header.compare(start, 4, "True") == 0)
        return true;
    if (header.compare(start, 5, "False") == 0)
        return false;
    fail(source, ": malformed .npy 'fortran_order'");
}

struct NpyHeader {
    DType type;
    Shape shape;
    size_t dataStart = 0;
};

// The header at the start of `bytes` (the data may be absent: readNpyShape reads a prefix).
NpyHeader parseHeader(const std::string& bytes, const std::string& src)
{
    if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0)
        fail(src, ": not a .npy file (missing \\x93NUMPY magic)");
    const uint8_t major = static_cast<uint8_t>(bytes[6]);
    size_t headerLen = 0, headerStart = 0;
    if (major == 1) {
        headerLen = static_cast<uint8_t>(bytes[8]) | static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8;
        headerStart = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12)
            fail(src, ": truncated .npy header");
        for (int i = 3; i >= 0; --i)
            headerLen = headerLen << 8 | static_cast<uint8_t>(bytes[8 + i]);
        headerStart = 12;
    } else {
        fail(src, ": .npy format version ", int(major), " is not supported");
    }
    if (headerLen > bytes.size() - headerStart)
        fail(src, ": truncated .npy header (", headerLen, " bytes announced, ", bytes.size() - headerStart, " present)");
    const std::string header = bytes.substr(headerStart, headerLen);
    const DType type = dtypeFromDescr(parseDescr(header, src), src);
    if (parseFortranOrder(header, src))
        fail(src, ": Fortran-order (column-major) arrays are not supported; save with np.ascontiguousarray");
    return {type, parseShape(header, src), headerStart + headerLen};
}

} // namespace

Tensor parseNpy(const std::string& bytes, const std::string& sourceName)
{
    const std::string& src = sourceName;
    const auto [type, shape, dataStart] = parseHeader(bytes, src);
    int64_t count = 1;
    for (int64_t d : shape) {
        if (d != 0 && count > (int64_t(1) << 40) / d)
            fail(src, ": .npy shape ", shapeToString(shape), " is too large");
        count *= d;
    }
    const uint64_t need = static_cast<uint64_t>(count) * dtypeSize(type);
    if (bytes.size() - dataStart < need)
        fail(src, ": truncated .npy data (", bytes.size() - dataStart, " bytes, ", dtypeName(type),
             shapeToString(shape), " needs ", need, ")");
    Tensor t(type, shape);
    if (need)
        std::memcpy(t.mutableRawData(), bytes.data() + dataStart, need);
    return t;
}

Shape readNpyShape(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, ": cannot open file");
    std::string prefix(size_t{1} << 16, '\0'); // a header is at most a few KB
    in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    prefix.resize(static_cast<size_t>(in.gcount()));
    return parseHeader(prefix, path).shape;
}

Tensor readNpy(const std::string& path)
{
    return parseNpy(readFileBytes(path), path);
}

void writeNpy(const std::string& path, const Tensor& tensor)
{
    const char* descr = nullptr;
    for (const DescrInfo& info : descrTable())
        if (info.type == tensor.dtype())
            descr = info.descr;
    if (!descr)
        fail(path, ": cannot write a tensor of type ", dtypeName(tensor.dtype()), " to .npy");
    std::string shape = "(";
    for (size_t i = 0; i < tensor.shape().size(); ++i)
        shape += strCat(tensor.shape()[i], tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : ""));
    shape += ")";
    std::string dict = strCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
    // Header (magic + version + length + dict + '\n') padded with spaces to 64 bytes.
    const bool v2 = dict.size() + 11 > 65535;
    const size_t prefix = v2 ? 12 : 10;
    size_t total = prefix + dict.size() + 1;
    size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict += '\n';
    std::string out(kMagic, 6);
    out += static_cast<char>(v2 ? 2 : 1);
    out += '\0';
    const size_t len = dict.size();
    for (size_t i = 0; i < (v2 ? 4u : 2u); ++i)
        out += static_cast<char>((len >> (8 * i)) & 0xff);
    out += dict;
    out.append(static_cast<const char*>(tensor.rawData()), tensor.byteSize());
    writeFileAtomic(path, out);
}

} // namespace tessera

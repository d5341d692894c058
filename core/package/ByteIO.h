#pragma once
// Little-endian writer and bounds-checked reader of package section bodies (internal to
// core/package). Every read is checked; every error names the file, the section and the
// byte offset; counts are refused before allocation when the section cannot hold them.
#include "core/Error.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tessera::package::detail {

// Reader limits: a count above its limit is refused before anything is allocated.
constexpr size_t kMaxNameBytes = 4096;
constexpr size_t kMaxJsonBytes = size_t(1) << 20;
constexpr uint64_t kMaxOpTensors = 256;
constexpr uint64_t kMaxRank = 16;

class Writer {
public:
    void u8(uint8_t v) { m_out.push_back(static_cast<char>(v)); }
    // Little-endian, whatever the host's byte order.
    template <class T>
    void little(T v)
    {
        for (size_t i = 0; i < sizeof(T); ++i)
            u8(static_cast<uint8_t>(v >> (8 * i)));
    }
    void u32(uint32_t v) { little(v); }
    void u64(uint64_t v) { little(v); }
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void f64(double v)
    {
        uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        u64(bits);
    }
    void flag(bool v) { u8(v ? 1 : 0); }
    void str(const std::string& s)
    {
        u32(static_cast<uint32_t>(s.size()));
        m_out.append(s);
    }
    void i64s(const std::vector<int64_t>& v)
    {
        u64(v.size());
        for (int64_t x : v)
            i64(x);
    }
    void bytes(const void* data, size_t size)
    {
        if (size > 0)
            m_out.append(static_cast<const char*>(data), size);
    }
    std::string& out() { return m_out; }

private:
    std::string m_out;
};

// Reads one section body; every read is bounds-checked and every error names the file,
// the section and the byte offset in the file.
class Reader {
public:
    Reader(const std::string& label, const char* section, const char* data, size_t size, size_t fileOffset)
        : m_label(label), m_section(section), m_data(reinterpret_cast<const uint8_t*>(data)), m_size(size),
          m_base(fileOffset)
    {
    }

    uint8_t u8() { return *need(1); }
    template <class T>
    T little()
    {
        const uint8_t* p = need(sizeof(T));
        T v = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            v |= T(p[i]) << (8 * i);
        return v;
    }
    uint32_t u32() { return little<uint32_t>(); }
    uint64_t u64() { return little<uint64_t>(); }
    int32_t i32() { return static_cast<int32_t>(u32()); }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    double f64()
    {
        uint64_t bits = u64();
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }
    bool flag(const char* what)
    {
        uint8_t v = u8();
        if (v > 1)
            bad(what, " must be 0 or 1, got ", int(v));
        return v == 1;
    }
    std::string str(const char* what, size_t maxBytes)
    {
        uint32_t n = u32();
        if (n > maxBytes)
            bad(what, " is ", n, " bytes long, the limit is ", maxBytes);
        const uint8_t* p = need(n);
        return std::string(reinterpret_cast<const char*>(p), n);
    }
    // A count of elements of at least `minBytesEach` bytes: refused when above `maxCount`
    // or when the section cannot hold that many, before the caller allocates.
    size_t count(const char* what, uint64_t maxCount, uint64_t minBytesEach)
    {
        uint64_t n = u64();
        if (n > maxCount)
            bad("declares ", n, " ", what, ", the limit is ", maxCount);
        if (minBytesEach > 0 && n > left() / minBytesEach)
            bad("declares ", n, " ", what, " (at least ", n * minBytesEach, " bytes) but only ", left(),
                " bytes are left in the section");
        return static_cast<size_t>(n);
    }
    std::vector<int64_t> i64s(const char* what, uint64_t maxCount)
    {
        std::vector<int64_t> v(count(what, maxCount, 8));
        for (int64_t& x : v)
            x = i64();
        return v;
    }
    void bytes(void* dst, size_t n)
    {
        const uint8_t* src = need(n);
        if (n > 0) // an empty vector's data() may be null
            std::memcpy(dst, src, n);
    }
    void finish()
    {
        if (m_pos != m_size)
            bad(m_size - m_pos, " unexpected bytes at the end of the section");
    }
    template <class... Parts>
    [[noreturn]] void bad(const Parts&... parts) const
    {
        fail(m_label, ": section '", m_section, "' at byte ", m_base + m_pos, ": ", parts...);
    }

private:
    size_t left() const { return m_size - m_pos; }
    const uint8_t* need(size_t n)
    {
        if (n > left())
            bad("needs ", n, " more bytes, only ", left(), " left in the section (corrupt package)");
        const uint8_t* p = m_data + m_pos;
        m_pos += n;
        return p;
    }

    const std::string& m_label;
    const char* m_section;
    const uint8_t* m_data;
    size_t m_size;
    size_t m_base;
    size_t m_pos = 0;
};

template <class T, class ReadOne>
std::vector<T> readList(Reader& r, const char* what, uint64_t maxCount, uint64_t minBytesEach, ReadOne readOne)
{
    std::vector<T> v(r.count(what, maxCount, minBytesEach));
    for (T& x : v)
        readOne(r, x);
    return v;
}

} // namespace tessera::package::detail

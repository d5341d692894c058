#include "core/Attributes.h"

#include "core/Error.h"

#include <sstream>

namespace tessera {

template <class T> const T* Attributes::find(const std::string& name) const
{
    auto it = m_values.find(name);
    if (it == m_values.end())
        return nullptr;
    const T* value = std::get_if<T>(&it->second);
    if (!value)
        fail("attribute '", name, "' has an unexpected type (", attrValueToString(it->second), ")");
    return value;
}

int64_t Attributes::getInt(const std::string& name, int64_t fallback) const
{
    const int64_t* v = find<int64_t>(name);
    return v ? *v : fallback;
}

float Attributes::getFloat(const std::string& name, float fallback) const
{
    auto it = m_values.find(name);
    if (it != m_values.end())
        if (const int64_t* i = std::get_if<int64_t>(&it->second))
            return static_cast<float>(*i);
    const float* v = find<float>(name);
    return v ? *v : fallback;
}

std::string Attributes::getString(const std::string& name, const std::string& fallback) const
{
    const std::string* v = find<std::string>(name);
    return v ? *v : fallback;
}

std::vector<int64_t> Attributes::getInts(const std::string& name, const std::vector<int64_t>& fallback) const
{
    const std::vector<int64_t>* v = find<std::vector<int64_t>>(name);
    return v ? *v : fallback;
}

std::vector<float> Attributes::getFloats(const std::string& name, const std::vector<float>& fallback) const
{
    const std::vector<float>* v = find<std::vector<float>>(name);
    return v ? *v : fallback;
}

Tensor Attributes::getTensor(const std::string& name) const
{
    const Tensor* v = find<Tensor>(name);
    if (!v)
        fail("missing tensor attribute '", name, "'");
    return *v;
}

namespace {
template <class T> void printList(std::ostringstream& out, const std::vector<T>& list)
{
    out << '[';
    for (size_t i = 0; i < list.size(); ++i)
        out << (i ? "," : "") << list[i];
    out << ']';
}
} // namespace

std::string attrValueToString(const AttrValue& value)
{
    std::ostringstream out;
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Tensor>)
                out << "tensor " << dtypeName(v.dtype()) << shapeToString(v.shape());
            else if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<float>>
                               || std::is_same_v<T, std::vector<std::string>>)
                printList(out, v);
            else
                out << v;
        },
        value);
    return out.str();
}

} // namespace tessera

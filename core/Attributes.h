#pragma once
// Node attributes as ONNX has them: ints, floats, strings, lists of each, tensors.
#include "core/Tensor.h"

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace tessera {

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;

class Attributes {
public:
    bool has(const std::string& name) const { return m_values.count(name) != 0; }
    void set(const std::string& name, AttrValue value) { m_values[name] = std::move(value); }
    void erase(const std::string& name) { m_values.erase(name); }
    const std::map<std::string, AttrValue>& all() const { return m_values; }

    // Typed getters: return the fallback when absent; throw tessera::Error when the
    // attribute exists with another type (a malformed file, not a programming error).
    int64_t getInt(const std::string& name, int64_t fallback) const;
    float getFloat(const std::string& name, float fallback) const;
    std::string getString(const std::string& name, const std::string& fallback) const;
    std::vector<int64_t> getInts(const std::string& name, const std::vector<int64_t>& fallback = {}) const;
    std::vector<float> getFloats(const std::string& name, const std::vector<float>& fallback = {}) const;
    Tensor getTensor(const std::string& name) const;

private:
    template <class T> const T* find(const std::string& name) const;
    std::map<std::string, AttrValue> m_values;
};

std::string attrValueToString(const AttrValue& value);

} // namespace tessera

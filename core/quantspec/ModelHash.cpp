#include "core/quantspec/ModelHash.h"

#include "core/Attributes.h"

#include <xxhash.h>

#include <cstdio>
#include <map>
#include <type_traits>
#include <variant>

namespace tessera {

namespace {

class Hasher {
public:
    Hasher() : m_state(XXH3_createState()) { XXH3_64bits_reset(m_state); }
    ~Hasher() { XXH3_freeState(m_state); }
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void bytes(const void* data, size_t size)
    {
        add(static_cast<uint64_t>(size));
        XXH3_64bits_update(m_state, data, size);
    }
    void text(const std::string& s) { bytes(s.data(), s.size()); }
    void add(uint64_t v) { XXH3_64bits_update(m_state, &v, sizeof v); }
    uint64_t digest() const { return XXH3_64bits_digest(m_state); }

private:
    XXH3_state_t* m_state;
};

void hashTensor(Hasher& h, const Tensor& t)
{
    h.add(static_cast<uint64_t>(t.dtype()));
    h.add(t.shape().size());
    for (int64_t d : t.shape())
        h.add(static_cast<uint64_t>(d));
    h.bytes(t.rawData(), t.byteSize());
}

void hashValueRef(Hasher& h, const Graph& g, ValueId id)
{
    if (id == kNoValue) {
        h.text("<none>");
        return;
    }
    const Value& v = g.value(id);
    h.text(v.name);
    h.add(v.isConstant() ? 1 : 0);
}

// Exact bytes of every attribute kind (no text formatting: floats keep every bit).
void hashAttr(Hasher& h, const AttrValue& value)
{
    h.add(value.index());
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Tensor>)
                hashTensor(h, v);
            else if constexpr (std::is_same_v<T, std::string>)
                h.text(v);
            else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                h.add(v.size());
                for (const std::string& s : v)
                    h.text(s);
            } else if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<float>>)
                h.bytes(v.data(), v.size() * sizeof(v[0]));
            else
                h.bytes(&v, sizeof v);
        },
        value);
}

} // namespace

std::string graphContentHash(const Graph& g)
{
    Hasher h;
    std::map<std::string, const Tensor*> constants; // by name: initializer order does not count
    for (ValueId id = 0; id < static_cast<ValueId>(g.valueCount()); ++id)
        if (g.value(id).isConstant())
            constants[g.value(id).name] = &g.value(id).constant;
    for (const auto& [name, t] : constants) {
        h.text(name);
        hashTensor(h, *t);
    }
    for (ValueId id : g.inputs()) {
        h.text(g.value(id).name);
        h.add(static_cast<uint64_t>(g.value(id).dtype));
    }
    for (NodeId id : g.topologicalOrder()) {
        const Node& n = g.node(id);
        h.text(n.opType);
        for (ValueId in : n.inputs)
            hashValueRef(h, g, in);
        for (ValueId out : n.outputs)
            hashValueRef(h, g, out);
        for (const auto& [name, value] : n.attrs.all()) {
            h.text(name);
            hashAttr(h, value);
        }
    }
    for (ValueId id : g.outputs())
        h.text(g.value(id).name);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.digest()));
    return std::string("xxh3-64:") + hex;
}

} // namespace tessera

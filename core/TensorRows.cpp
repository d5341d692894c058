#include "core/TensorRows.h"

#include "core/Error.h"

#include <cstring>

namespace tessera {

Tensor sliceRows(const Tensor& all, int64_t begin, int64_t count)
{
    if (all.rank() < 1 || begin < 0 || count < 0 || begin + count > all.dim(0))
        fail("rows [", begin, ", ", begin + count, ") of a tensor of shape ", shapeToString(all.shape()),
             " do not exist");
    Shape s = all.shape();
    s[0] = count;
    Tensor out(all.dtype(), s);
    const size_t rowBytes = all.byteSize() / static_cast<size_t>(all.dim(0));
    std::memcpy(out.mutableRawData(), static_cast<const char*>(all.rawData()) + rowBytes * begin, rowBytes * count);
    return out;
}

Tensor concatRows(const std::vector<Tensor>& parts)
{
    Shape shape = parts.at(0).shape();
    shape[0] = 0;
    for (const Tensor& t : parts)
        shape[0] += t.dim(0);
    Tensor out(parts[0].dtype(), shape);
    char* dst = static_cast<char*>(out.mutableRawData());
    for (const Tensor& t : parts) {
        std::memcpy(dst, t.rawData(), t.byteSize());
        dst += t.byteSize();
    }
    return out;
}

} // namespace tessera

#include "core/Memory.h"

#include <cstdlib> // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tessera {

void keepFreedMemoryForReuse()
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 2147483647); // the largest value mallopt takes (2 GiB)
    mallopt(M_TOP_PAD, 256 << 20);
#endif
}

} // namespace tessera

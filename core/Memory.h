#pragma once
// Process-wide allocator tuning for Tessera's programs (the CLI, the studio, benchmarks).
// Executors allocate and free activation tensors of tens of MB per node and batch; glibc
// serves such blocks with mmap and unmaps them on free, so every run pays page faults and
// zeroing of fresh pages (40% of the quantized executor's time on mnist_wide). Keeping
// freed blocks in the heap lets the next batch reuse them.
namespace tessera {

// Serve blocks up to 1 GiB from the heap and keep up to 2 GiB of freed memory for reuse.
// Call once at program start (a library leaves the choice to its program).
void keepFreedMemoryForReuse();

} // namespace tessera

#pragma once
// Process-wide libtorch settings the training flows share.
namespace tessera::train {

// Sets torch's intra-op threads: `threads` > 0, or every core when 0 (Debian's libtorch
// otherwise starts with one). Returns the count in effect.
int configureTorchThreads(int threads);

} // namespace tessera::train

#include "quant/train/TorchRuntime.h"

#include <torch/torch.h>

#include <thread>

namespace tessera::train {

int configureTorchThreads(int threads)
{
    const int count = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(count);
    return torch::get_num_threads();
}

} // namespace tessera::train

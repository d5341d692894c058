// Classifies the MNIST test set on a device through the host driver (simulator/Driver.h):
// opens the device, loads a package, streams the images in batches with several in flight,
// and prints top-1 accuracy and frames/s.
//
//     tessera compile mnist_lenet.onnx --quant mnist_lenet_adc32.json --target m1076 -o lenet.tpkg
//     classify_mnist lenet.tpkg mnist_test_x.npy mnist_test_y.npy [--device sim:m1076] [--batch 100]
//
// Exit 0 on success, 1 on a driver error (printed with its code), 2 on bad arguments.
#include "core/io/Npy.h"
#include "simulator/Driver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>

using namespace tessera;

namespace {

struct Args {
    std::string package, images, labels, device = "sim:m1076";
    int64_t batch = 100;
    int workers = 1;
};

bool parseArgs(int argc, char** argv, Args& a)
{
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
            a.device = argv[++i];
        else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc)
            a.batch = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--workers") && i + 1 < argc)
            a.workers = std::atoi(argv[++i]);
        else
            positional.push_back(argv[i]);
    }
    if (positional.size() != 3 || a.batch < 1)
        return false;
    a.package = positional[0];
    a.images = positional[1];
    a.labels = positional[2];
    return true;
}

// Rows [begin, begin + count) of `all` (first axis), sharing its memory.
Tensor rows(const Tensor& all, int64_t begin, int64_t count)
{
    Shape shape = all.shape();
    const size_t rowBytes = all.byteSize() / static_cast<size_t>(shape[0]);
    shape[0] = count;
    const char* base = static_cast<const char*>(all.rawData()) + rowBytes * static_cast<size_t>(begin);
    return Tensor::wrap(all.dtype(), shape, base, std::shared_ptr<const void>(all.rawData(), [](const void*) {}));
}

// Correct predictions in `scores` [count, classes] against labels[begin, begin + count).
int64_t correct(const Tensor& scores, const Tensor& labels, int64_t begin)
{
    const int64_t count = scores.dim(0), classes = scores.numel() / count;
    int64_t hits = 0;
    for (int64_t r = 0; r < count; ++r) {
        const float* row = scores.data<float>() + r * classes;
        const int64_t best = std::max_element(row, row + classes) - row;
        hits += best == labels.data<int64_t>()[begin + r];
    }
    return hits;
}

} // namespace

int main(int argc, char** argv)
{
    Args a;
    if (!parseArgs(argc, argv, a)) {
        std::fprintf(stderr, "usage: classify_mnist PACKAGE IMAGES.npy LABELS.npy [--device sim:m1076] [--batch N] [--workers N]\n");
        return 2;
    }
    try {
        const Tensor images = readNpy(a.images), labels = readNpy(a.labels);
        if (labels.dtype() != DType::Int64 || labels.rank() != 1 || images.rank() < 1 || labels.dim(0) != images.dim(0))
            throw Error(a.labels + ": expected int64 labels [" + std::to_string(images.dim(0)) + "], one per image");
        driver::DeviceOptions options;
        options.maxInFlight = 4;
        options.workers = a.workers;
        driver::Device dev = driver::Device::open(a.device, options);
        dev.load(a.package);
        const driver::TensorInfo input = dev.model().inputs.at(0);
        std::printf("%s on %s: %s\n", dev.model().name.c_str(), dev.name().c_str(), input.describe().c_str());

        const int64_t n = images.dim(0);
        const auto start = std::chrono::steady_clock::now();
        std::deque<std::pair<driver::Frame, int64_t>> inFlight; // frame, first image
        int64_t hits = 0;
        for (int64_t begin = 0; begin < n || !inFlight.empty();) {
            if (begin < n && static_cast<int>(inFlight.size()) < options.maxInFlight) {
                const int64_t count = std::min(a.batch, n - begin);
                inFlight.emplace_back(dev.submit({{input.name, rows(images, begin, count)}}), begin);
                begin += count;
                continue;
            }
            const driver::Outputs out = dev.wait(inFlight.front().first, std::chrono::seconds(120));
            hits += correct(out.at(0), labels, inFlight.front().second);
            inFlight.pop_front();
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("accuracy %.2f%% (%lld/%lld correct), %.1f frames/s (%lld frames in %.3f s, batches of %lld, "
                    "%d in flight, %d worker%s)\n",
                    100.0 * double(hits) / double(n), (long long)hits, (long long)n, double(n) / seconds,
                    (long long)n, seconds, (long long)a.batch, options.maxInFlight, a.workers, a.workers == 1 ? "" : "s");
        return 0;
    } catch (const driver::DriverError& e) {
        std::fprintf(stderr, "classify_mnist: %s: %s\n", driver::errorCodeName(e.code()), e.what());
    } catch (const Error& e) {
        std::fprintf(stderr, "classify_mnist: %s\n", e.what());
    }
    return 1;
}

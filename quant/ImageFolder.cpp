#include "quant/ImageFolder.h"

#include "core/Error.h"
#include "core/io/FileIO.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace tessera::quant {

namespace {

struct Rgb {
    int64_t width = 0, height = 0;
    std::vector<uint8_t> pixels; // HWC, 3 channels
};

// Largest image decoded: 16384 pixels a side and 2^26 pixels (192 MB as RGB, 768 MB as the float tensor). A PNG header
// declares its size in 25 bytes, so a tiny file could otherwise ask for gigabytes.
constexpr uint32_t kMaxImageSide = 16384;
constexpr uint64_t kMaxImagePixels = uint64_t(1) << 26;

Rgb decodePng(const std::string& bytes, const std::string& source)
{
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
        fail(source, ": cannot read PNG: ", image.message);
    if (image.width > kMaxImageSide || image.height > kMaxImageSide ||
        uint64_t(image.width) * image.height > kMaxImagePixels) {
        png_image_free(&image);
        fail(source, ": PNG declares ", image.width, "x", image.height, " pixels; the limit is ", kMaxImageSide,
             " a side and ", kMaxImagePixels, " pixels");
    }
    image.format = PNG_FORMAT_RGB;
    Rgb rgb;
    rgb.width = image.width;
    rgb.height = image.height;
    rgb.pixels.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, rgb.pixels.data(), 0, nullptr)) {
        const std::string message = image.message;
        png_image_free(&image);
        fail(source, ": cannot decode PNG: ", message);
    }
    return rgb;
}

// Bilinear sample of channel c at (y, x) in source pixel coordinates, clamped at edges.
float bilinear(const Rgb& img, double y, double x, int c)
{
    y = std::clamp(y, 0.0, static_cast<double>(img.height - 1));
    x = std::clamp(x, 0.0, static_cast<double>(img.width - 1));
    const int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x);
    const int64_t y1 = std::min(y0 + 1, img.height - 1), x1 = std::min(x0 + 1, img.width - 1);
    const double fy = y - y0, fx = x - x0;
    auto at = [&](int64_t yy, int64_t xx) { return static_cast<double>(img.pixels[(yy * img.width + xx) * 3 + c]); };
    const double top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
    const double bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
    return static_cast<float>(top * (1 - fy) + bottom * fy);
}

void checkPreprocess(const ImagePreprocess& pre, const std::string& where)
{
    if (pre.channels != 1 && pre.channels != 3)
        fail(where, ": channels must be 1 or 3, got ", pre.channels);
    if (pre.mean.size() != static_cast<size_t>(pre.channels) || pre.std.size() != static_cast<size_t>(pre.channels))
        fail(where, ": mean and std need ", pre.channels, " values each");
    for (float s : pre.std)
        if (!(s > 0.0f))
            fail(where, ": std values must be positive");
    if (pre.autoWidth && (pre.height <= 0 || pre.widthMultiple <= 0 || pre.maxWidth < pre.widthMultiple ||
                          pre.maxWidth > kMaxImageSide))
        fail(where, ": an automatic width needs a height, a positive width multiple and a maximum width of at least "
                    "one multiple and at most ", kMaxImageSide);
    if (!pre.autoWidth && (pre.width < 0 || pre.height < 0 || (pre.width == 0) != (pre.height == 0)))
        fail(where, ": give both width and height (or neither)");
    if (pre.width > kMaxImageSide || pre.height > kMaxImageSide)
        fail(where, ": resize size ", pre.width, "x", pre.height, " exceeds the limit of ", kMaxImageSide, " a side");
}

} // namespace

Tensor loadPngImage(const std::string& path, const ImagePreprocess& pre)
{
    return decodePngImage(readFileBytes(path, uint64_t(1) << 30), path, pre);
}

Tensor decodePngImage(const std::string& bytes, const std::string& sourceName, const ImagePreprocess& pre)
{
    checkPreprocess(pre, sourceName);
    const Rgb img = decodePng(bytes, sourceName);
    const int64_t h = pre.height ? pre.height : img.height;
    const int64_t w = pre.autoWidth ? autoWidthOf(img.width, img.height, pre) : pre.width ? pre.width : img.width;
    const bool resize = w != img.width || h != img.height;
    const double sy = static_cast<double>(img.height) / h, sx = static_cast<double>(img.width) / w;
    Tensor t(DType::Float32, {1, pre.channels, h, w});
    float* out = t.mutableData<float>();
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
            float rgb[3];
            for (int c = 0; c < 3; ++c)
                rgb[c] = resize ? bilinear(img, (y + 0.5) * sy - 0.5, (x + 0.5) * sx - 0.5, c)
                                : img.pixels[(y * img.width + x) * 3 + c];
            for (int c = 0; c < pre.channels; ++c) {
                float v = pre.channels == 1 ? 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]
                                            : rgb[pre.bgr ? 2 - c : c];
                out[(c * h + y) * w + x] = (v * pre.scale - pre.mean[c]) / pre.std[c];
            }
        }
    return t;
}

int64_t autoWidthOf(int64_t width, int64_t height, const ImagePreprocess& pre)
{
    const double scaled = static_cast<double>(width) * static_cast<double>(pre.height) / static_cast<double>(height);
    const int64_t m = pre.widthMultiple;
    const int64_t rounded = std::max<int64_t>(1, std::llround(scaled / static_cast<double>(m))) * m;
    return std::min(rounded, pre.maxWidth / m * m);
}

namespace {

// Images of different shapes as one group per shape, in order of first appearance.
Dataset groupedImages(const std::vector<Tensor>& images)
{
    std::vector<Shape> shapes;
    std::vector<std::vector<size_t>> members;
    for (size_t i = 0; i < images.size(); ++i) {
        auto it = std::find(shapes.begin(), shapes.end(), images[i].shape());
        if (it == shapes.end()) {
            shapes.push_back(images[i].shape());
            members.emplace_back();
            it = shapes.end() - 1;
        }
        members[static_cast<size_t>(it - shapes.begin())].push_back(i);
    }
    Dataset data;
    for (const std::vector<size_t>& group : members) {
        std::vector<Tensor> parts;
        for (size_t i : group) {
            parts.push_back(images[i]);
            data.sourceIndex.push_back(static_cast<int64_t>(i));
        }
        data.shapeGroups.push_back(concatRows(parts));
    }
    data.inputs = data.shapeGroups.front();
    if (data.shapeGroups.size() == 1) { // one shape: plain data
        data.shapeGroups.clear();
        data.sourceIndex.clear();
    }
    return data;
}

} // namespace

Dataset loadImageFolder(const std::string& folder, const ImagePreprocess& pre)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        fail(folder, ": not a folder");
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".png")
            files.push_back(entry.path().string());
    if (files.empty())
        fail(folder, ": no .png images in the folder");
    std::sort(files.begin(), files.end());
    std::vector<Tensor> images;
    for (const std::string& f : files) {
        images.push_back(loadPngImage(f, pre));
        if (!pre.autoWidth && images.back().shape() != images.front().shape())
            fail(f, ": size ", shapeToString(images.back().shape()), " differs from ", files.front(), "'s ",
                 shapeToString(images.front().shape()), " (set a resize width and height)");
    }
    Dataset data = groupedImages(images);
    data.source = folder;
    return data;
}

} // namespace tessera::quant

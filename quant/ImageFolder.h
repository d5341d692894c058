#pragma once
// A folder of PNG images as a Dataset (libpng; no Qt in engine libraries).
// Preprocessing, in this order, per image:
//  1. decode to 8-bit RGB (grayscale is replicated, alpha dropped; 16-bit is reduced);
//     with channels == 1 the image is converted to luma (0.299 R + 0.587 G + 0.114 B);
//  2. resize to width x height with bilinear interpolation (half-pixel centers) when
//     both are set and differ from the image;
//  3. channel order RGB, or BGR when `bgr`;
//  4. value = (pixel * scale - mean[c]) / std[c];
//  5. layout NCHW float32.
// Files are read in sorted name order; only *.png files count.
#include "quant/Dataset.h"

#include <string>
#include <vector>

namespace tessera::quant {

struct ImagePreprocess {
    int64_t width = 0;  // 0: keep the image's size (all images must then agree)
    int64_t height = 0;
    // Variable width (`--size AUTOx48`, text lines): each image is resized to `height` with
    // its aspect ratio kept, its width rounded to the nearest multiple of `widthMultiple`
    // (at least one multiple) and capped at `maxWidth` (rounded down to a multiple). Images
    // of different widths then form shape groups (Dataset::shapeGroups).
    bool autoWidth = false;
    int64_t widthMultiple = 8;
    int64_t maxWidth = 2048;
    int channels = 3;   // 3 (RGB/BGR) or 1 (luma)
    bool bgr = false;
    float scale = 1.0f / 255.0f;
    std::vector<float> mean{0.0f, 0.0f, 0.0f};
    std::vector<float> std{1.0f, 1.0f, 1.0f};
};

// One image as [1, C, H, W]. Throws tessera::Error naming the file, also for images
// declaring more than 16384 pixels a side or 2^26 pixels (checked before decoding).
Tensor loadPngImage(const std::string& path, const ImagePreprocess& pre);
// The same for a PNG file's bytes; `sourceName` is used in messages.
Tensor decodePngImage(const std::string& bytes, const std::string& sourceName, const ImagePreprocess& pre);

// The width an image of `width` x `height` pixels gets under autoWidth.
int64_t autoWidthOf(int64_t width, int64_t height, const ImagePreprocess& pre);

// Every *.png in `folder` as [N, C, H, W]; with autoWidth, one group per width (samples in
// file order within a group, groups by first appearance; Dataset::sourceIndex gives each
// sample's file position). Throws when the folder has no PNG files.
Dataset loadImageFolder(const std::string& folder, const ImagePreprocess& pre);

} // namespace tessera::quant

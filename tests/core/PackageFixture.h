#pragma once
// A small deployment package built by hand (tests/core/test_package.cpp, the package
// fuzzer's seed): a made-up 2-tile target with two 8x8 arrays per tile; two layers,
// "fc1" (K=12, N=4: two row blocks on two arrays of tile 0) and "gconv" (2 groups of K=2,
// N=4, two replicas, on one array of tile 1); a Softmax on tile 1; four tensors.
#include "core/package/Package.h"

#include <cmath>

namespace tessera::testing {

inline analog::ProgrammedLayer fixtureLayer(const std::string& name, int64_t k, int64_t n, int64_t groups,
                                            bool inputSigned)
{
    analog::AnalogLayerParams p;
    p.name = name;
    p.rows = k;
    p.cols = n;
    p.groups = groups;
    p.numerics.rowsPerBlock = 8;
    p.numerics.inputSigned = inputSigned;
    p.numerics.adcRange = 3000;
    p.inputScale = 0.1;
    p.output.scale = 0.05;
    p.output.clampLo = 0.0; // ReLU
    std::vector<float> w(static_cast<size_t>(n * k));
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i) + static_cast<double>(k)));
    p.weightScales = analog::maxAbsWeightScales(w.data(), n, k, p.numerics.weightBits);
    std::vector<float> bias(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        bias[i] = 0.25f * static_cast<float>(i) - 0.3f;
    return analog::program(p, w.data(), bias);
}

// Places layer rows [r0, r1) x columns [c0, c1) at (row0, col0) of `array`, copying the levels.
inline void placeBlock(const package::Package& pkg, package::ArrayImage& array, package::PlacedBlock b)
{
    const analog::ProgrammedLayer& prog = pkg.layers[b.layer].programmed;
    for (int64_t k = b.rowBegin; k < b.rowEnd; ++k)
        for (int64_t n = b.colBegin; n < b.colEnd; ++n)
            array.levels[(b.row0 + k - b.rowBegin) * array.cols + b.col0 + n - b.colBegin] =
                prog.levels[n * prog.params.rows + k];
    array.blocks.push_back(b);
}

inline package::ArrayImage emptyArray(int64_t tile, int64_t index)
{
    package::ArrayImage a;
    a.tile = tile;
    a.array = index;
    a.rows = 8;
    a.cols = 8;
    a.levels.assign(64, 0);
    return a;
}

inline package::PackageTensor fixtureTensor(int64_t id, const std::string& name, std::vector<int64_t> shape,
                                            package::ElementType type, bool isSigned,
                                            std::vector<package::TensorPlacement> placements)
{
    package::PackageTensor t;
    t.id = id;
    t.name = name;
    t.shape = std::move(shape);
    t.type = type;
    t.quant = {type != package::ElementType::Float32, id == 0 ? 0.1 : 0.05, 8, isSigned};
    t.placements = std::move(placements);
    return t;
}

inline package::Package fixturePackage()
{
    using namespace package;
    Package pkg;
    pkg.header.tesseraVersion = tesseraVersion();
    pkg.header.target = {"tiny", "xxh3-64:0123456789abcdef", "{\"name\": \"tiny\"}", 2, 2, 8, 8, 4096};
    pkg.header.modelName = "two_layers";
    pkg.header.modelHash = "xxh3-64:00000000deadbeef";
    pkg.header.specHash = "xxh3-64:00000000cafef00d";
    pkg.layers.push_back({fixtureLayer("fc1", 12, 4, 1, false), 8, 1, 0, 1});
    pkg.layers.push_back({fixtureLayer("gconv", 2, 4, 2, true), 8, 2, 1, 2});

    ArrayImage a00 = emptyArray(0, 0), a01 = emptyArray(0, 1), a10 = emptyArray(1, 0);
    placeBlock(pkg, a00, {0, 0, 8, 0, 4, 0, 0, 0, 0});
    placeBlock(pkg, a01, {0, 8, 12, 0, 4, 0, 0, 0, 0});
    for (int64_t replica = 0; replica < 2; ++replica)
        for (int64_t g = 0; g < 2; ++g)
            placeBlock(pkg, a10, {1, 0, 2, 2 * g, 2 * g + 2, g, replica, 4 * replica + 2 * g, 2 * g});
    pkg.arrays = {a00, a01, a10};

    const int64_t s0 = pkg.layers[0].programmed.adcShifts[0], s1 = pkg.layers[0].programmed.adcShifts[1];
    const int64_t s2 = pkg.layers[1].programmed.adcShifts[0];
    pkg.programs.push_back({0,
                            {driveInputs(0, 0, 0, 8, 8, false), analogMvm(0, 0), adcRead(0, 0, 4, 12, s0, 256),
                             driveInputs(1, 8, 0, 4, 8, false), analogMvm(1, 0), adcRead(1, 0, 4, 12, s1, 512),
                             accumulate(256, 512, 4), simdOp(SimdKind::Epilogue, 64, 256, 0, 4, 0),
                             sendTo(1, 64, 4), syncBarrier(0), halt()}});
    pkg.programs.push_back({1,
                            {recvFrom(0, 0, 4), syncBarrier(0), driveInputs(0, 0, 0, 4, 8, true), analogMvm(0, 0),
                             analogMvm(0, 1), adcRead(0, 0, 4, 12, s2, 256),
                             simdOp(SimdKind::Epilogue, 64, 256, 0, 4, 1), simdOp(SimdKind::DigitalOp, 0, 0, 0, 0, 0),
                             halt()}});
    pkg.digitalOps.push_back({"Softmax", "axis=1", {2}, {3}, 1});
    pkg.tensors.push_back(fixtureTensor(0, "input", {1, 12}, ElementType::UInt8, false, {{0, 0, 12}}));
    pkg.tensors.push_back(fixtureTensor(1, "hidden", {1, 4}, ElementType::Int8, true, {{0, 64, 4}, {1, 0, 4}}));
    pkg.tensors.push_back(fixtureTensor(2, "logits", {1, 4}, ElementType::Int8, true, {{1, 64, 4}}));
    pkg.tensors.push_back(fixtureTensor(3, "probs", {1, 4}, ElementType::Float32, true, {{1, 128, 16}}));
    pkg.inputs = {0};
    pkg.outputs = {3};
    return pkg;
}

} // namespace tessera::testing

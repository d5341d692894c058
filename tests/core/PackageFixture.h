#pragma once
// A small deployment package built by hand (tests/core/test_package.cpp, the package
// fuzzer's seed, tests/simulator): a made-up 2-tile target with two 8x8 arrays per tile;
// two layers, "fc1" (Gemm K=12, N=4: two row blocks on two arrays of tile 0, summed on
// tile 0) and "gconv" (1x1 Conv, 2 groups of K=2, N=4, two replicas, on one array of
// tile 1); a Reshape with a constant shape and a Softmax on tile 1; five tensors.
#include "core/package/Package.h"
#include "core/Tensor.h"

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

// Places layer rows [r0, r1) x columns [c0, c1) at (row0, col0) of `array`.
inline void placeBlock(package::ArrayImage& array, package::PlacedBlock b) { array.blocks.push_back(b); }

inline package::ArrayImage emptyArray(int64_t tile, int64_t index)
{
    package::ArrayImage a;
    a.tile = tile;
    a.array = index;
    a.rows = 8;
    a.cols = 8;
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
    t.compute = package::ElementType::Float32;
    t.quant = {type != package::ElementType::Float32, id == 0 ? 0.1 : 0.05, 8, isSigned};
    t.placements = std::move(placements);
    return t;
}

inline package::PackageLayer fixturePackageLayer(analog::ProgrammedLayer prog, int64_t replicas, int64_t in, int64_t out,
                                                 const std::string& opType, std::vector<int64_t> weightShape)
{
    package::PackageLayer l;
    l.programmed = std::move(prog);
    l.colsPerBlock = 8;
    l.replicas = replicas;
    l.inputTensor = in;
    l.outputTensor = out;
    l.opType = opType;
    l.weightShape = std::move(weightShape);
    l.vectorsPerFrame = 1;
    return l;
}

// input[1,12] -> fc1 (Gemm, transB) -> hidden[1,4] -> Reshape (constant shape) ->
// hidden4[1,4,1,1] -> gconv (Conv 1x1, 2 groups, 2 replicas) -> logits -> Softmax -> probs.
inline package::Package fixturePackage()
{
    using namespace package;
    Package pkg;
    pkg.header.tesseraVersion = tesseraVersion();
    pkg.header.target = {"tiny", "xxh3-64:0123456789abcdef", "{\"name\": \"tiny\"}", 2, 2, 8, 8, 4096};
    pkg.header.modelName = "two_layers";
    pkg.header.modelHash = "xxh3-64:00000000deadbeef";
    pkg.header.specHash = "xxh3-64:00000000cafef00d";
    pkg.nonIdealities.readNoise = 0.02;
    pkg.nonIdealities.seed = 9;
    pkg.layers.push_back(fixturePackageLayer(fixtureLayer("fc1", 12, 4, 1, false), 1, 0, 1, "Gemm", {4, 12}));
    pkg.layers[0].attributes.set("transB", int64_t{1});
    pkg.layers.push_back(fixturePackageLayer(fixtureLayer("gconv", 2, 4, 2, true), 2, 2, 3, "Conv", {4, 2, 1, 1}));
    pkg.layers[1].attributes.set("group", int64_t{2});
    pkg.layers[1].attributes.set("kernel_shape", std::vector<int64_t>{1, 1});

    ArrayImage a00 = emptyArray(0, 0), a01 = emptyArray(0, 1), a10 = emptyArray(1, 0);
    placeBlock(a00, {0, 0, 8, 0, 4, 0, 0, 0, 0});
    placeBlock(a01, {0, 8, 12, 0, 4, 0, 0, 0, 0});
    for (int64_t replica = 0; replica < 2; ++replica)
        for (int64_t g = 0; g < 2; ++g)
            placeBlock(a10, {1, 0, 2, 2 * g, 2 * g + 2, g, replica, 4 * replica + 2 * g, 2 * g});
    pkg.arrays = {a00, a01, a10};

    pkg.programs.push_back({0,
                            {recvFrom(kHostTile, BufferKind::Tensor, 0), gather(0, 0, 1), clearAcc(0, 0, 1),
                             drive(0, 0, 0, 1), mvm(0, 0), adc(0, 0), drive(1, 0, 0, 1), mvm(1, 0), adc(1, 0),
                             epilogueOf(0, 0, 1), scatter(0), sendTo(1, BufferKind::Tensor, 1), halt()}});
    pkg.programs.push_back({1,
                            {recvFrom(0, BufferKind::Tensor, 1), digital(0), gather(1, 0, 1), clearAcc(1, 0, 1),
                             drive(0, 1, 0, 1), mvm(0, 0), adc(0, 0), mvm(0, 1), adc(0, 1), epilogueOf(1, 0, 1),
                             scatter(1), digital(1), sendTo(kHostTile, BufferKind::Tensor, 4), halt()}});
    DigitalOp reshape{"reshape", "Reshape", {}, {1, -1}, {}, {2}, 1};
    reshape.constants.push_back({1, Tensor::fromVector<int64_t>({1, 4, 1, 1}, {4})});
    pkg.digitalOps.push_back(reshape);
    DigitalOp softmax{"softmax", "Softmax", {}, {3}, {}, {4}, 1};
    softmax.attributes.set("axis", int64_t{1});
    pkg.digitalOps.push_back(softmax);
    pkg.tensors.push_back(fixtureTensor(0, "input", {1, 12}, ElementType::UInt8, false, {{0, 0, 12}}));
    pkg.tensors.push_back(fixtureTensor(1, "hidden", {1, 4}, ElementType::Int8, true, {{0, 64, 4}, {1, 0, 4}}));
    pkg.tensors.push_back(fixtureTensor(2, "hidden4", {1, 4, 1, 1}, ElementType::Int8, true, {{1, 32, 4}}));
    pkg.tensors.push_back(fixtureTensor(3, "logits", {1, 4, 1, 1}, ElementType::Int8, true, {{1, 64, 4}}));
    pkg.tensors.push_back(fixtureTensor(4, "probs", {1, 4, 1, 1}, ElementType::Float32, true, {{1, 128, 16}}));
    pkg.inputs = {0};
    pkg.outputs = {4};
    return pkg;
}

} // namespace tessera::testing

#include "quant/train/TorchOps.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

#include <cstring>
#include <mutex>

namespace tessera::train {

const Tensor& TorchOpCall::constant(size_t i, const char* what) const
{
    if (!node.hasInput(i) || !graph.value(node.inputs[i]).isConstant())
        fail(describeNode(node), ": ", what, " (input ", i, ") must be a constant for the trainer");
    return graph.value(node.inputs[i]).constant;
}

void registerTorchOps()
{
    static std::once_flag once;
    std::call_once(once, [] {
        registerTorchLayerOps();
        registerTorchPointwiseOps();
    });
}

const TorchForward* torchForwardOf(const Node& node)
{
    registerTorchOps();
    const OpDef* def = opDefOf(node);
    return def ? def->column<TorchForward>() : nullptr;
}

namespace {

struct DTypePair {
    DType ours;
    torch::ScalarType theirs;
};
constexpr DTypePair kDTypes[] = {
    {DType::Float32, torch::kFloat32}, {DType::Float64, torch::kFloat64}, {DType::Int64, torch::kInt64},
    {DType::Int32, torch::kInt32},     {DType::Int16, torch::kInt16},     {DType::Int8, torch::kInt8},
    {DType::UInt8, torch::kUInt8},     {DType::Bool, torch::kBool},
};

} // namespace

torch::Tensor toTorch(const Tensor& t)
{
    for (const DTypePair& p : kDTypes)
        if (p.ours == t.dtype()) {
            torch::Tensor out = torch::empty(t.shape(), torch::TensorOptions().dtype(p.theirs));
            if (t.byteSize())
                std::memcpy(out.data_ptr(), t.rawData(), t.byteSize());
            return out;
        }
    fail("element type ", dtypeName(t.dtype()), " has no torch counterpart");
}

Tensor fromTorch(const torch::Tensor& t)
{
    const torch::Tensor c = t.detach().contiguous();
    for (const DTypePair& p : kDTypes)
        if (p.theirs == c.scalar_type()) {
            Tensor out(p.ours, c.sizes().vec());
            if (out.byteSize())
                std::memcpy(out.mutableRawData(), c.data_ptr(), out.byteSize());
            return out;
        }
    fail("torch element type ", c.scalar_type(), " has no core counterpart");
}

} // namespace tessera::train

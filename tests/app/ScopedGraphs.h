#pragma once
// Hand-made graphs whose node names carry module scopes as PyTorch exports them, for the
// block-collapse tests (tests/app/test_block_scopes.cpp, test_block_collapse.cpp).
#include "app/model/GraphDocument.h"

#include <memory>
#include <string>

namespace tessera::studio::testing {

// Chains ops on a [1,4] float tensor; MatMul gets a 4x4 constant weight (16 MACs, 16 params).
class ChainBuilder {
public:
    ChainBuilder()
    {
        m_last = m_g.addValue("x", DType::Float32, {1, 4});
        m_g.markGraphInput(m_last);
    }
    ValueId add(const std::string& name, const std::string& op, ValueId other = kNoValue)
    {
        std::vector<ValueId> inputs{m_last};
        if (op == "MatMul")
            inputs.push_back(m_g.addConstant(name + ".w", Tensor(DType::Float32, {4, 4})));
        if (other != kNoValue)
            inputs.push_back(other);
        m_last = m_g.addValue(name + ".out", DType::Float32, {1, 4});
        m_g.addNode(name, op, inputs, {m_last}, {}, true);
        return m_last;
    }
    ValueId last() const { return m_last; }
    DocumentPtr finish()
    {
        m_g.markGraphOutput(m_last);
        return std::make_shared<GraphDocument>(std::move(m_g), ImportReport{}, "hand-made");
    }

private:
    Graph m_g;
    ValueId m_last;
};

// stem -> two bottlenecks (MatMul, Relu, residual Add) -> fc, named as torchvision's ResNet.
inline DocumentPtr resnetLike()
{
    ChainBuilder b;
    ValueId skip = b.add("/stem/MatMul", "MatMul");
    for (const std::string block : {"/layer1/layer1.0/", "/layer1/layer1.1/"}) {
        b.add(block + "conv1/MatMul", "MatMul");
        b.add(block + "relu/Relu", "Relu");
        skip = b.add(block + "Add", "Add", skip);
    }
    b.add("/fc/MatMul", "MatMul");
    return b.finish();
}

// `layers` encoder layers of 4 ops each ("/layers.N/self_attn/MatMul", ...), then a head.
inline DocumentPtr transformerLike(int layers)
{
    ChainBuilder b;
    for (int i = 0; i < layers; ++i) {
        const std::string p = "/layers." + std::to_string(i) + "/";
        ValueId in = b.last();
        b.add(p + "self_attn/MatMul", "MatMul");
        b.add(p + "self_attn/Softmax", "Softmax");
        b.add(p + "Add", "Add", in);
        b.add(p + "linear1/MatMul", "MatMul");
    }
    b.add("/head/MatMul", "MatMul");
    return b.finish();
}

} // namespace tessera::studio::testing

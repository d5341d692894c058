#pragma once
// One function per family of ops; each adds its rows to the registry.
namespace tessera {
class OpRegistry;
void registerConvOps(OpRegistry& registry);        // Conv, ConvTranspose
void registerMatmulOps(OpRegistry& registry);      // Gemm, MatMul
void registerPoolOps(OpRegistry& registry);        // MaxPool, AveragePool, Global*Pool
void registerNormOps(OpRegistry& registry);        // BatchNormalization
void registerElementwiseOps(OpRegistry& registry); // Add, Sub, Mul, Div, Pow, Sqrt, Exp, Erf, Identity, Dropout, Cast
void registerActivationOps(OpRegistry& registry);  // Relu, LeakyRelu, PRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish
void registerShapeOps(OpRegistry& registry);       // Reshape, Flatten, Transpose, (Un)Squeeze, Concat, Split, Slice, Gather, Shape, Constant, Pad
void registerSliceOps(OpRegistry& registry);      // Slice, Split, Gather, Pad (called by registerShapeOps)
void registerReduceOps(OpRegistry& registry);      // Softmax, LogSoftmax, ReduceMean
void registerResizeOps(OpRegistry& registry);      // Resize
void registerQuantOps(OpRegistry& registry);       // QuantizeLinear, DequantizeLinear, Round
} // namespace tessera

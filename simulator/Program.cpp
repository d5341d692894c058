#include "simulator/Program.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/package/PackageIO.h"

namespace tessera::sim {

namespace {

using namespace tessera::package;

DType dtypeOf(const PackageTensor& t) { return computeDType(t.compute); }

void prepareLayer(const Package& pkg, const PackageLayer& l, LayerProgram& out)
{
    const analog::ProgrammedLayer& prog = l.programmed;
    const PackageTensor& x = pkg.tensors[l.inputTensor];
    const PackageTensor& y = pkg.tensors[l.outputTensor];
    out.layer = &l;
    const ValueId xv = out.graph.addValue("x", DType::Float32, x.shape);
    // col2im reads the weight's shape from the constant (core/ops/WeightMatrixOps.cpp).
    const ValueId wv = l.sumBeforeEpilogue ? out.graph.addConstant("w", Tensor(DType::Float32, l.weightShape))
                                           : out.graph.addValue("w", DType::Float32, l.weightShape);
    const ValueId yv = out.graph.addValue("y", DType::Float32, y.shape);
    out.node = out.graph.addNode(prog.params.name, l.opType, {xv, wv}, {yv}, l.attributes);
    out.view.groups = prog.params.groups;
    out.view.rows = prog.params.rows;
    out.view.cols = prog.params.cols;
    out.view.colsPerOutChannel = l.colsPerOutChannel;
    out.view.rowsPerInChannel = l.rowsPerInChannel;
    out.view.scatter = l.sumBeforeEpilogue ? OutputScatter::SumBeforeEpilogue : OutputScatter::Permute;
    out.view.nodeName = prog.params.name;
    out.view.opType = l.opType;
    const Node& node = out.graph.node(out.node);
    const WeightMatrixDef* def = weightMatrixDef(node);
    if (!def)
        fail("layer '", prog.params.name, "': op ", l.opType, " does not lower onto an array");
    out.map = def->scatterMap(out.graph, node, out.view);
    out.gather = analog::analogInputGather(out.graph, node, out.view);
    std::vector<char> hit(static_cast<size_t>(numElements(y.shape)), 0);
    out.mapCoversOutput = out.map.size() == hit.size();
    for (size_t i = 0; i < out.map.size() && out.mapCoversOutput; ++i) {
        const auto e = static_cast<size_t>(out.map[i]);
        out.mapCoversOutput = e < hit.size() && !hit[e];
        if (out.mapCoversOutput)
            hit[e] = 1;
    }
    out.vectors = l.vectorsPerFrame;
    out.kTotal = prog.params.groups * prog.params.rows;
    out.cols = prog.params.cols;
    if (static_cast<int64_t>(out.map.size()) != out.vectors * out.cols)
        fail("layer '", prog.params.name, "': the package says ", out.vectors, " vectors per frame, its lowering has ",
             out.map.size() / out.cols);
    if (static_cast<int64_t>(out.gather.size()) != out.vectors * out.kTotal)
        out.gather.clear(); // GATHER lowers each frame and names the mismatch
    if (l.simd)
        out.simdLevels = std::make_unique<kernels::PackedLevels>(prog.levels.data(), prog.params.cols, prog.params.rows,
                                                                 prog.params.groups, prog.params.numerics.rowsPerBlock);
    out.inRange = prog.inputRange();
    out.outRange = prog.outputRange();
    const analog::LayerNumerics& num = prog.params.numerics;
    if (!out.gather.empty() && !l.simd && num.inputBits <= 8) {
        const int32_t offset = kernels::inputByteOffset(num.inputBits, num.inputSigned);
        if (out.inRange.lo < -offset || out.inRange.hi > 255 - offset)
            fail("layer '", prog.params.name, "': input codes [", out.inRange.lo, ", ", out.inRange.hi,
                 "] do not fit the integer kernels' bytes");
        out.byteStride = (out.kTotal + 3) / 4 * 4;
    }
}

BlockProgram prepareBlock(const Package& pkg, const PlacedBlock& b)
{
    const analog::ProgrammedLayer& prog = pkg.layers[b.layer].programmed;
    const int64_t k = prog.params.rows, rows = b.rowEnd - b.rowBegin, cols = b.colEnd - b.colBegin;
    std::vector<int8_t> levels(static_cast<size_t>(rows * cols));
    for (int64_t n = 0; n < cols; ++n)
        for (int64_t r = 0; r < rows; ++r)
            levels[n * rows + r] = prog.levels[(b.colBegin + n) * k + b.rowBegin + r];
    BlockProgram out;
    out.block = &b;
    out.packed = std::make_unique<kernels::PackedLevels>(levels.data(), cols, rows, 1, rows);
    out.rowBlock = b.rowBegin / prog.params.numerics.rowsPerBlock;
    out.xOffset = b.group * k + b.rowBegin;
    out.cols = cols;
    out.shift = prog.adcShifts[out.rowBlock];
    return out;
}

void prepareDigital(const Package& pkg, const DigitalOp& op, DigitalProgram& out)
{
    out.op = &op;
    std::vector<ValueId> ins, outs;
    for (size_t slot = 0; slot < op.inputs.size(); ++slot) {
        const int64_t id = op.inputs[slot];
        ValueId v = kNoValue;
        if (id >= 0)
            v = out.graph.addValue(strCat("in", slot), dtypeOf(pkg.tensors[id]), pkg.tensors[id].shape);
        for (const ConstantInput& c : op.constants)
            if (c.slot == static_cast<int64_t>(slot))
                v = out.graph.addConstant(strCat("const", slot), c.value);
        ins.push_back(v);
    }
    for (size_t i = 0; i < op.outputs.size(); ++i)
        outs.push_back(out.graph.addValue(strCat("out", i), dtypeOf(pkg.tensors[op.outputs[i]]), pkg.tensors[op.outputs[i]].shape));
    out.node = out.graph.addNode(op.name.empty() ? op.opType : op.name, op.opType, ins, outs, op.attributes);
    if (!out.graph.node(out.node).op->kernelFn())
        fail("digital op '", op.name, "' (", op.opType, "): no kernel for this operator");
}

} // namespace

std::unique_ptr<MachineProgram> prepareProgram(Package pkg)
{
    validatePackage(pkg, pkg.header.modelName.empty() ? std::string("package") : pkg.header.modelName);
    auto m = std::make_unique<MachineProgram>();
    m->pkg = std::move(pkg);
    const Package& p = m->pkg;
    m->layers.resize(p.layers.size());
    for (size_t i = 0; i < p.layers.size(); ++i)
        prepareLayer(p, p.layers[i], m->layers[i]);
    for (const ArrayImage& a : p.arrays) {
        std::vector<BlockProgram>& blocks = m->arrays[{a.tile, a.array}];
        for (const PlacedBlock& b : a.blocks)
            blocks.push_back(prepareBlock(p, b));
    }
    m->digital.resize(p.digitalOps.size());
    for (size_t i = 0; i < p.digitalOps.size(); ++i)
        prepareDigital(p, p.digitalOps[i], m->digital[i]);
    return m;
}

} // namespace tessera::sim

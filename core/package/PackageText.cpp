#include "core/package/PackageText.h"

#include "core/Error.h"
#include "core/package/PackageIO.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace tessera::package {

namespace {

std::string rangeText(int64_t begin, int64_t end) { return strCat("[", begin, ",", end, ")"); }

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += strCat(i ? "," : "", shape[i]);
    return s + "]";
}

std::string layerName(const Package& pkg, int64_t layer) { return pkg.layers[layer].programmed.params.name; }

std::string attributesText(const Attributes& attrs)
{
    std::string s;
    for (const auto& [name, value] : attrs.all())
        s += strCat(s.empty() ? "" : " ", name, "=", attrValueToString(value));
    return s;
}

// What an instruction refers to, as a trailing comment (empty: nothing to add).
std::string comment(const Package& pkg, int64_t tile, const Instruction& ins)
{
    switch (ins.op) {
    case Opcode::Mvm:
    case Opcode::Adc:
        for (const ArrayImage& a : pkg.arrays)
            if (a.tile == tile && a.array == ins.a[0] && ins.a[1] < static_cast<int64_t>(a.blocks.size())) {
                const PlacedBlock& b = a.blocks[ins.a[1]];
                const analog::ProgrammedLayer& prog = pkg.layers[b.layer].programmed;
                return strCat("layer '", layerName(pkg, b.layer), "' rows ", rangeText(b.rowBegin, b.rowEnd), " cols ",
                              rangeText(b.colBegin, b.colEnd), " group ", b.group, " replica ", b.replica,
                              ins.op == Opcode::Adc
                                  ? strCat(" adc", prog.params.numerics.adcBits, " shift ",
                                           prog.adcShifts[b.rowBegin / prog.params.numerics.rowsPerBlock])
                                  : std::string());
            }
        return {};
    case Opcode::Gather:
    case Opcode::Clear:
    case Opcode::Matvec:
    case Opcode::Epilogue:
    case Opcode::Scatter:
        return strCat("layer '", layerName(pkg, ins.a[0]), "'");
    case Opcode::Drive:
        return strCat("layer '", layerName(pkg, ins.a[1]), "'");
    case Opcode::Digital: {
        const DigitalOp& op = pkg.digitalOps[ins.a[0]];
        return strCat(op.opType, " '", op.name, "' ", attributesText(op.attributes));
    }
    case Opcode::Send:
    case Opcode::Recv: {
        const auto kind = static_cast<BufferKind>(ins.a[1]);
        const std::string what = kind == BufferKind::Tensor ? strCat("tensor '", pkg.tensors[ins.a[2]].name, "'")
                                                            : strCat(bufferKindName(kind), " of layer '",
                                                                     layerName(pkg, ins.a[2]), "'");
        return strCat(ins.op == Opcode::Send ? "to " : "from ", ins.a[0] == kHostTile ? std::string("host") : strCat("tile ", ins.a[0]),
                      ": ", what);
    }
    default:
        return {};
    }
}

std::string instructionText(const Package& pkg, int64_t tile, const Instruction& ins)
{
    const OpcodeInfo& info = opcodeInfo(ins.op);
    std::string line = info.name;
    if (info.operandCount > 0)
        line.resize(std::max<size_t>(line.size(), 9), ' ');
    for (int i = 0; i < info.operandCount; ++i) {
        if ((ins.op == Opcode::Send || ins.op == Opcode::Recv) && i == 1)
            line += strCat(" buffer=", bufferKindName(static_cast<BufferKind>(ins.a[1])));
        else
            line += strCat(" ", info.operands[i], "=", ins.a[i]);
    }
    const std::string note = comment(pkg, tile, ins);
    return note.empty() ? line : strCat(line, "  ; ", note);
}

} // namespace

std::string disassemble(const Package& pkg, int64_t tile)
{
    std::ostringstream out;
    bool found = false;
    for (const TileProgram& p : pkg.programs) {
        if (tile >= 0 && p.tile != tile)
            continue;
        found = true;
        out << "tile " << p.tile << ": " << p.code.size() << " instructions\n";
        for (size_t i = 0; i < p.code.size(); ++i) {
            char index[32];
            std::snprintf(index, sizeof index, "  %04zu  ", i);
            out << index << instructionText(pkg, p.tile, p.code[i]) << "\n";
        }
    }
    if (tile >= 0 && !found) {
        std::string tiles;
        for (const TileProgram& p : pkg.programs)
            tiles += strCat(tiles.empty() ? "" : ", ", p.tile);
        fail("tile ", tile, " has no program (tiles with programs: ", tiles.empty() ? "none" : tiles, ")");
    }
    return out.str();
}

namespace {

void layersInfo(std::ostringstream& out, const Package& pkg)
{
    out << "layers        " << pkg.layers.size() << "\n";
    for (size_t i = 0; i < pkg.layers.size(); ++i) {
        const PackageLayer& l = pkg.layers[i];
        const analog::AnalogLayerParams& p = l.programmed.params;
        const int64_t colBlocks = (p.cols / p.groups + l.colsPerBlock - 1) / l.colsPerBlock;
        out << "  " << i << "  " << p.name << "  " << l.opType << "  K=" << p.rows << " N=" << p.cols << " groups=" << p.groups
            << "  w" << p.numerics.weightBits << " a" << p.numerics.inputBits << " adc" << p.numerics.adcBits
            << "  blocks " << l.programmed.blocks() << "x" << colBlocks << " per group, replicas " << l.replicas
            << "\n";
    }
}

void ioInfo(std::ostringstream& out, const Package& pkg, const char* title, const std::vector<int64_t>& ids)
{
    out << title << ids.size() << "\n";
    for (int64_t id : ids) {
        const PackageTensor& t = pkg.tensors[id];
        out << "  " << t.name << "  " << shapeText(t.shape) << " " << elementTypeName(t.type);
        if (t.quant.quantized)
            out << "  scale=" << t.quant.scale << " bits=" << t.quant.bits << (t.quant.isSigned ? " signed" : " unsigned");
            if (t.quant.zeroPoint != 0)
                out << " zero-point=" << t.quant.zeroPoint;
        out << "\n";
    }
}

} // namespace

std::string packageInfo(const Package& pkg)
{
    const PackageHeader& h = pkg.header;
    const TargetSummary& t = h.target;
    std::ostringstream out;
    out << "format        " << h.formatVersion << " (written by Tessera " << h.tesseraVersion << ")\n"
        << "target        " << t.name << " (" << t.hash << "): " << t.tiles << " tiles, " << t.arraysPerTile
        << " arrays per tile of " << t.arrayRows << "x" << t.arrayCols << ", " << t.sramBytes << " SRAM bytes per tile"
        << (t.json.empty() ? "" : ", target JSON included") << "\n"
        << "model         " << h.modelName << " (" << h.modelHash << ")\n"
        << "spec          " << (h.specHash.empty() ? "-" : h.specHash) << "\n"
        << "noise         programming " << pkg.nonIdealities.weightProgramNoise << ", read " << pkg.nonIdealities.readNoise
        << ", ADC offset " << pkg.nonIdealities.adcOffset << ", seed " << pkg.nonIdealities.seed << "\n";
    layersInfo(out, pkg);
    out << "arrays used   " << pkg.arrays.size() << " of " << t.tiles * t.arraysPerTile << "\n";
    for (const ArrayImage& a : pkg.arrays) {
        int64_t cells = 0;
        for (const PlacedBlock& b : a.blocks)
            cells += (b.rowEnd - b.rowBegin) * (b.colEnd - b.colBegin);
        out << "  tile " << a.tile << " array " << a.array << "  " << a.blocks.size() << " blocks, " << cells << " of "
            << a.rows * a.cols << " cells\n";
    }
    out << "tiles used    " << pkg.programs.size() << " of " << t.tiles << "\n";
    for (const TileProgram& p : pkg.programs)
        out << "  tile " << p.tile << "  " << p.code.size() << " instructions\n";
    out << "digital ops   " << pkg.digitalOps.size() << "\n"
        << "tensors       " << pkg.tensors.size() << "\n";
    ioInfo(out, pkg, "inputs        ", pkg.inputs);
    ioInfo(out, pkg, "outputs       ", pkg.outputs);
    out << "sections\n";
    for (const SectionInfo& s : sectionLayout(pkg))
        out << "  " << s.tag << "  " << s.name << "  " << s.bytes << " bytes at " << s.offset << "\n";
    return out.str();
}

} // namespace tessera::package

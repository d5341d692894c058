#include "app/model/NodeDetails.h"

#include "app/views/NodeStyle.h"
#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera::studio {

namespace {

TensorRow tensorRow(const Graph& g, const QString& role, ValueId id)
{
    TensorRow row;
    row.role = role;
    row.value = id;
    if (id == kNoValue) {
        row.name = QStringLiteral("(omitted)");
        return row;
    }
    const Value& v = g.value(id);
    row.name = QString::fromStdString(v.name);
    row.dtype = dtypeName(v.dtype);
    row.shape = shapeText(v.shape);
    row.constant = v.isConstant();
    return row;
}

QString nodeText(const Graph& g, NodeId id)
{
    const Node& n = g.node(id);
    return QString("%1 (%2)").arg(QString::fromStdString(n.name), QString::fromStdString(n.opType));
}

// The import report's defaulted symbolic dims of value `v`.
QStringList symbolicDimsOf(const GraphDocument& doc, const Value& v)
{
    QStringList dims;
    for (const DefaultedDim& d : doc.report().defaultedDims) {
        if (d.input != v.name)
            continue;
        const QString size = d.axis < static_cast<int64_t>(v.shape.size()) ? QString::number(v.shape[d.axis]) : "?";
        dims << QString("axis %1 '%2' set to %3").arg(d.axis).arg(QString::fromStdString(d.symbol), size);
    }
    return dims;
}

} // namespace

GraphValueDetails describeGraphValue(const GraphDocument& doc, ValueId id)
{
    const Graph& g = doc.graph();
    const Value& v = g.value(id);
    GraphValueDetails d;
    d.isInput = std::find(g.inputs().begin(), g.inputs().end(), id) != g.inputs().end();
    d.isOutput = std::find(g.outputs().begin(), g.outputs().end(), id) != g.outputs().end();
    QStringList roles;
    if (d.isInput)
        roles << QStringLiteral("graph input");
    if (d.isOutput)
        roles << QStringLiteral("graph output");
    d.tensor = tensorRow(g, roles.join(QStringLiteral(" and ")), id);
    d.symbolicDims = symbolicDimsOf(doc, v);
    if (v.producer != kNoNode)
        d.producer << nodeText(g, v.producer);
    for (NodeId c : v.consumers)
        if (!g.node(c).removed)
            d.consumers << nodeText(g, c);
    return d;
}

NodeDetails describeNodeDetails(const GraphDocument& doc, NodeId id)
{
    const Graph& g = doc.graph();
    const Node& node = g.node(id);
    const NodeAnalysis& a = doc.analysis(id);
    NodeDetails d;
    d.opType = QString::fromStdString(node.opType);
    d.name = QString::fromStdString(node.name);
    d.opDoc = node.op ? QString::fromStdString(node.op->docText()) : QString();
    d.placement = placementName(a.placement.placement);
    d.placementReason = QString::fromStdString(a.placement.reason);
    for (const auto& [name, value] : node.attrs.all())
        d.attributes.append({QString::fromStdString(name), QString::fromStdString(attrValueToString(value))});
    for (size_t i = 0; i < node.inputs.size(); ++i)
        d.inputs.append(tensorRow(g, QString("input %1").arg(i), node.inputs[i]));
    for (size_t i = 0; i < node.outputs.size(); ++i)
        d.outputs.append(tensorRow(g, QString("output %1").arg(i), node.outputs[i]));
    d.params = a.cost.params;
    d.macs = a.cost.macs;
    d.outputBytes = a.cost.outputBytes;
    const ImportedFate* fate = doc.isAsImported() ? doc.fateOf(id) : nullptr;
    if (fate && fate->kind == ImportedFate::Kind::MergedInto) {
        d.mergedInto = QString::fromStdString(fate->cleanedName);
        d.placementReason = QString::fromStdString(strCat("as part of ", fate->cleanedName, ": ", a.placement.reason));
    }
    return d;
}

QString tensorValuesText(const Tensor& tensor, int64_t maxValues)
{
    const int64_t n = tensor.numel();
    if (n == 0 || n > maxValues)
        return {};
    const Shape& shape = tensor.shape();
    const int64_t rowLength = shape.size() == 2 && shape[1] > 0 ? shape[1] : n;
    QStringList rows, row;
    for (int64_t i = 0; i < n; ++i) {
        row << QString::number(tensor.valueAsDouble(i), 'g', 5);
        if ((i + 1) % rowLength == 0) {
            rows << row.join(", ");
            row.clear();
        }
    }
    return rows.join("\n");
}

TensorStats tensorStats(const Tensor& tensor, int bins)
{
    TensorStats s;
    s.count = tensor.numel();
    if (s.count == 0 || bins <= 0)
        return s;
    s.min = std::numeric_limits<double>::infinity();
    s.max = -s.min;
    double sum = 0, sumSq = 0;
    for (int64_t i = 0; i < s.count; ++i) {
        const double v = tensor.valueAsDouble(i);
        s.min = std::min(s.min, v);
        s.max = std::max(s.max, v);
        sum += v;
        sumSq += v * v;
    }
    s.mean = sum / static_cast<double>(s.count);
    s.std = std::sqrt(std::max(0.0, sumSq / static_cast<double>(s.count) - s.mean * s.mean));
    const double width = s.max > s.min ? (s.max - s.min) / bins : 1.0;
    s.binCounts.assign(bins, 0);
    for (int b = 0; b < bins; ++b)
        s.binCenters.push_back(s.min + (b + 0.5) * width);
    for (int64_t i = 0; i < s.count; ++i) {
        int b = static_cast<int>((tensor.valueAsDouble(i) - s.min) / width);
        s.binCounts[std::clamp(b, 0, bins - 1)] += 1;
    }
    return s;
}

} // namespace tessera::studio

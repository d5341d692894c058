#pragma once
// What the inspector shows about a node, computed without widgets so tests can check it.
#include "app/model/GraphDocument.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <vector>

namespace tessera::studio {

struct TensorRow {
    QString role;  // "input 0", "output 0"
    QString name;
    QString dtype;
    QString shape;
    bool constant = false;
    ValueId value = kNoValue;
};

struct NodeDetails {
    QString opType;
    QString name;
    QString opDoc;
    QString placement; // "analog" / "digital" / "unsupported"
    QString placementReason;
    // As imported, a node the cleanup fused or folded into another: that node's name. Its
    // placement is that node's (placementReason says so) and its cost is counted there.
    QString mergedInto;
    QVector<QPair<QString, QString>> attributes; // name -> value text (explicit ones)
    QVector<TensorRow> inputs;
    QVector<TensorRow> outputs;
    int64_t params = 0;
    int64_t macs = 0;
    int64_t outputBytes = 0;
};

NodeDetails describeNodeDetails(const GraphDocument& doc, NodeId node);

// What the inspector shows about a selected graph input or output.
struct GraphValueDetails {
    TensorRow tensor;          // role "graph input" / "graph output"
    bool isInput = false;
    bool isOutput = false;
    QStringList symbolicDims;  // "axis 2 'H' set to 1" from the import report
    QStringList producer;      // "/c1/Conv (Conv)"; empty for a graph input
    QStringList consumers;
};

GraphValueDetails describeGraphValue(const GraphDocument& doc, ValueId value);

struct TensorStats {
    int64_t count = 0;
    double min = 0, max = 0, mean = 0, std = 0;
    std::vector<double> binCenters;
    std::vector<double> binCounts;
};

// Statistics and a `bins`-bin histogram of a numeric tensor (any dtype).
TensorStats tensorStats(const Tensor& tensor, int bins = 64);
// The values of a small constant (at most `maxValues`, else empty) as text: comma-separated,
// one row per index of the first axis for a 2-D tensor (the Inspector's value viewer).
QString tensorValuesText(const Tensor& tensor, int64_t maxValues = 64);

} // namespace tessera::studio

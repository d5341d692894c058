#pragma once
// The per-layer SQNR of an evaluation (quant::evaluate with perLayer) arranged for the
// studio: one point per node in topological order, mapped to the document's node ids,
// with the drop each node adds. SQNR is cumulative (errors of earlier layers included),
// so a node's drop is measured against its own inputs: min SQNR over its inputs that are
// listed, minus its own. Nodes fed only by graph inputs/constants have no drop (NaN):
// their SQNR is their own contribution and is visible directly.
#include "core/Graph.h"
#include "quant/Evaluate.h"

#include <QString>

#include <vector>

namespace tessera::studio {

struct SqnrPoint {
    QString node;
    QString opType;
    QString value;
    NodeId id = kNoNode; // in the document graph (kNoNode: not found there)
    bool analog = false;
    double sqnrDb = 0.0; // +inf when identical to FP32
    double dropDb = 0.0; // NaN without a listed input
};

struct SqnrProfile {
    std::vector<SqnrPoint> points;
    int worst = -1; // index of the largest finite drop > 0 dB (-1: none)

    int indexOf(const QString& node) const;
    // SQNR (dB) at `node`'s output; NaN when not measured.
    double sqnrOf(const QString& node) const;
};

SqnrProfile buildSqnrProfile(const std::vector<quant::LayerError>& layers, const Graph& graph);

} // namespace tessera::studio

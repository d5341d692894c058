#pragma once
// Layered (top to bottom) layout of the display graph, off the UI thread.
// Graphviz dot gives the nicest drawings (real splines, few crossings) but grows
// super-linearly; igraph's Sugiyama layout handles thousands of nodes in well under a
// second. Auto picks by node count (threshold measured, see docs/studio.md).
#include "core/Progress.h"

#include <QPainterPath>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>

#include <utility>
#include <vector>

namespace tessera::studio {

struct LayoutInput {
    std::vector<QSizeF> sizes;              // per node, in scene units
    std::vector<std::pair<int, int>> edges; // (from, to) node indices
};

struct LayoutResult {
    std::vector<QPointF> centers;        // per node
    std::vector<QSizeF> sizes;           // per node (as given in the input)
    std::vector<QPainterPath> edgePaths; // per edge, source bottom to target top
    QRectF bounds;
    QString engine;
    double milliseconds = 0;
};

enum class LayoutEngine { Auto, Graphviz, Igraph };

// Largest graph (display nodes) Auto lays out with Graphviz.
constexpr int kGraphvizNodeLimit = 1000;

LayoutResult computeLayout(const LayoutInput& input, LayoutEngine engine, ProgressSink& progress);
// Both throw tessera::Error when the library fails. Graphviz is not thread-safe: calls
// are serialized by a process-wide mutex.
LayoutResult layoutWithGraphviz(const LayoutInput& input, ProgressSink& progress);
LayoutResult layoutWithIgraph(const LayoutInput& input, ProgressSink& progress);

// Longest-path layer per node (sources at 0); edges that close a cycle are ignored.
std::vector<int> longestPathLayers(int nodeCount, const std::vector<std::pair<int, int>>& edges);

} // namespace tessera::studio

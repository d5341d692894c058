// igraph's Sugiyama layout: layers from the longest path, virtual vertices for long edges,
// barycentric crossing reduction. Scales to the 8,000+ node graphs dot cannot handle.
#include "app/layout/GraphLayout.h"

#include "core/Error.h"

#include <igraph/igraph.h>

#include <algorithm>
#include <unordered_map>

namespace tessera::studio {

namespace {

// RAII for the igraph objects used here.
struct IgraphScope {
    igraph_t graph{};
    igraph_t extended{};
    igraph_matrix_t coords{};
    igraph_vector_int_t edgeList{}, layers{}, extendedToOrig{};
    bool graphInit = false, extendedInit = false;
    IgraphScope()
    {
        igraph_matrix_init(&coords, 0, 0);
        igraph_vector_int_init(&edgeList, 0);
        igraph_vector_int_init(&layers, 0);
        igraph_vector_int_init(&extendedToOrig, 0);
    }
    ~IgraphScope()
    {
        if (graphInit)
            igraph_destroy(&graph);
        if (extendedInit)
            igraph_destroy(&extended);
        igraph_matrix_destroy(&coords);
        igraph_vector_int_destroy(&edgeList);
        igraph_vector_int_destroy(&layers);
        igraph_vector_int_destroy(&extendedToOrig);
    }
};

void check(igraph_error_t err, const char* what)
{
    if (err != IGRAPH_SUCCESS)
        fail("igraph: ", what, " failed: ", igraph_strerror(err));
}

// A polyline through the dummy points, with the corners rounded off.
QPainterPath roundedPolyline(const std::vector<QPointF>& pts)
{
    QPainterPath path(pts.front());
    if (pts.size() == 2) {
        const QPointF a = pts[0], b = pts[1];
        const double dy = (b.y() - a.y()) * 0.5;
        path.cubicTo(a + QPointF(0, dy), b - QPointF(0, dy), b);
        return path;
    }
    for (size_t i = 1; i + 1 < pts.size(); ++i) {
        const QPointF mid = (pts[i] + pts[i + 1]) * 0.5;
        path.quadTo(pts[i], i + 2 == pts.size() ? pts[i + 1] : mid);
    }
    return path;
}

std::vector<QPainterPath> routeEdges(const LayoutInput& input, const std::vector<QPointF>& centers, const IgraphScope& s);

} // namespace

LayoutResult layoutWithIgraph(const LayoutInput& input, ProgressSink& progress)
{
    progress.checkpoint(0.05, "igraph: building graph");
    static const bool quiet = [] { // igraph's default handler aborts the process
        igraph_set_error_handler(igraph_error_handler_ignore);
        igraph_set_warning_handler(igraph_warning_handler_ignore);
        return true;
    }();
    (void)quiet;
    const int n = static_cast<int>(input.sizes.size());
    LayoutResult result;
    result.engine = "igraph sugiyama";
    if (n == 0)
        return result;

    double maxWidth = 0, maxHeight = 0;
    for (const QSizeF& s : input.sizes) {
        maxWidth = std::max(maxWidth, s.width());
        maxHeight = std::max(maxHeight, s.height());
    }
    const double hgap = maxWidth + 24, vgap = maxHeight + 36;

    IgraphScope s;
    check(igraph_vector_int_resize(&s.edgeList, 2 * static_cast<igraph_integer_t>(input.edges.size())), "resize");
    for (size_t i = 0; i < input.edges.size(); ++i) {
        VECTOR(s.edgeList)[2 * i] = input.edges[i].first;
        VECTOR(s.edgeList)[2 * i + 1] = input.edges[i].second;
    }
    check(igraph_create(&s.graph, &s.edgeList, n, IGRAPH_DIRECTED), "create");
    s.graphInit = true;
    const std::vector<int> layer = longestPathLayers(n, input.edges);
    check(igraph_vector_int_resize(&s.layers, n), "resize");
    for (int i = 0; i < n; ++i)
        VECTOR(s.layers)[i] = layer[i];

    progress.checkpoint(0.15, "igraph: sugiyama layout");
    check(igraph_layout_sugiyama(&s.graph, &s.coords, &s.extended, &s.extendedToOrig, &s.layers, hgap, vgap, 10,
                                 nullptr),
          "sugiyama layout");
    s.extendedInit = true;
    progress.checkpoint(0.85, "igraph: routing edges");
    for (int i = 0; i < n; ++i)
        result.centers.emplace_back(MATRIX(s.coords, i, 0), MATRIX(s.coords, i, 1));
    result.edgePaths = routeEdges(input, result.centers, s);
    QRectF bounds;
    for (int i = 0; i < n; ++i)
        bounds |= QRectF(result.centers[i] - QPointF(input.sizes[i].width() / 2, input.sizes[i].height() / 2),
                         input.sizes[i]);
    result.bounds = bounds;
    return result;
}

namespace {

// Each original edge is a chain of extended-graph edges through the virtual vertices.
std::vector<QPainterPath> routeEdges(const LayoutInput& input, const std::vector<QPointF>& centers, const IgraphScope& s)
{
    auto at = [&](igraph_integer_t v) { return QPointF(MATRIX(s.coords, v, 0), MATRIX(s.coords, v, 1)); };
    std::vector<QPainterPath> paths;

    std::vector<std::unordered_map<igraph_integer_t, igraph_integer_t>> next(input.edges.size());
    const igraph_integer_t extEdges = igraph_ecount(&s.extended);
    for (igraph_integer_t e = 0; e < extEdges; ++e) {
        igraph_integer_t orig = VECTOR(s.extendedToOrig)[e];
        next[orig][IGRAPH_FROM(&s.extended, e)] = IGRAPH_TO(&s.extended, e);
    }
    for (size_t e = 0; e < input.edges.size(); ++e) {
        const auto [from, to] = input.edges[e];
        std::vector<QPointF> pts{centers[from] + QPointF(0, input.sizes[from].height() / 2)};
        for (igraph_integer_t v = from; next[e].count(v) && next[e][v] != to;) {
            v = next[e][v];
            pts.push_back(at(v));
        }
        pts.push_back(centers[to] - QPointF(0, input.sizes[to].height() / 2));
        paths.push_back(roundedPolyline(pts));
    }
    return paths;
}

} // namespace

} // namespace tessera::studio

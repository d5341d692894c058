// Graphviz dot through its C API (cgraph + gvc).
#include "app/layout/GraphLayout.h"

#include "core/Error.h"

#include <graphviz/gvc.h>

#include <mutex>
#include <string>

namespace tessera::studio {

namespace {

std::mutex& graphvizMutex()
{
    static std::mutex mutex; // Graphviz keeps global state: one layout at a time
    return mutex;
}

// One Graphviz context for the process, used under graphvizMutex(). A context per layout
// leaked ~3.6 KB each time (libgvc allocations gvFreeContext does not release, seen with
// LeakSanitizer); a kept context is reused by every layout and is still reachable at exit.
GVC_t* graphvizContext()
{
    static GVC_t* context = gvContext();
    return context;
}

constexpr double kPointsPerInch = 72.0;

// Locale-independent (QApplication sets the C locale from the environment).
std::string inches(double points)
{
    return QString::number(points / kPointsPerInch, 'f', 4).toStdString();
}

QPainterPath edgePath(Agedge_t* edge, double top)
{
    QPainterPath path;
    const splines* spl = ED_spl(edge);
    if (!spl || spl->size == 0)
        return path;
    const bezier& bz = spl->list[0];
    auto pt = [top](pointf p) { return QPointF(p.x, top - p.y); };
    if (bz.size == 0)
        return path;
    path.moveTo(bz.sflag ? pt(bz.sp) : pt(bz.list[0]));
    if (bz.sflag)
        path.lineTo(pt(bz.list[0]));
    for (size_t i = 1; i + 2 < static_cast<size_t>(bz.size); i += 3)
        path.cubicTo(pt(bz.list[i]), pt(bz.list[i + 1]), pt(bz.list[i + 2]));
    if (bz.eflag)
        path.lineTo(pt(bz.ep));
    return path;
}

} // namespace

LayoutResult layoutWithGraphviz(const LayoutInput& input, ProgressSink& progress)
{
    std::lock_guard lock(graphvizMutex());
    progress.checkpoint(0.05, "graphviz: building graph");
    GVC_t* gvc = graphvizContext();
    Agraph_t* g = agopen(const_cast<char*>("g"), Agdirected, nullptr);
    auto set = [](void* obj, const char* name, const std::string& value) {
        agsafeset(obj, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
    };
    set(g, "rankdir", "TB");
    set(g, "nodesep", "0.3");
    set(g, "ranksep", "0.4");
    Agsym_t* shape = agattr(g, AGNODE, const_cast<char*>("shape"), const_cast<char*>("box"));
    Agsym_t* fixed = agattr(g, AGNODE, const_cast<char*>("fixedsize"), const_cast<char*>("true"));
    Agsym_t* width = agattr(g, AGNODE, const_cast<char*>("width"), const_cast<char*>("1"));
    Agsym_t* height = agattr(g, AGNODE, const_cast<char*>("height"), const_cast<char*>("0.5"));
    Agsym_t* label = agattr(g, AGNODE, const_cast<char*>("label"), const_cast<char*>(""));
    (void)shape, (void)fixed, (void)label;

    std::vector<Agnode_t*> nodes(input.sizes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
        nodes[i] = agnode(g, const_cast<char*>(std::to_string(i).c_str()), 1);
        agxset(nodes[i], width, const_cast<char*>(inches(input.sizes[i].width()).c_str()));
        agxset(nodes[i], height, const_cast<char*>(inches(input.sizes[i].height()).c_str()));
    }
    std::vector<Agedge_t*> edges(input.edges.size());
    for (size_t i = 0; i < edges.size(); ++i) // anonymous edges: parallel edges stay distinct
        edges[i] = agedge(g, nodes[input.edges[i].first], nodes[input.edges[i].second], nullptr, 1);

    progress.checkpoint(0.1, "graphviz: dot layout");
    if (gvLayout(gvc, g, "dot") != 0) {
        agclose(g);
        fail("graphviz: dot layout failed");
    }
    progress.checkpoint(0.9, "graphviz: reading positions");
    LayoutResult result;
    result.engine = "graphviz dot";
    const boxf bb = GD_bb(g);
    const double top = bb.UR.y;
    result.bounds = QRectF(bb.LL.x, 0, bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (Agnode_t* n : nodes)
        result.centers.emplace_back(ND_coord(n).x, top - ND_coord(n).y);
    for (Agedge_t* e : edges)
        result.edgePaths.push_back(edgePath(e, top));
    gvFreeLayout(gvc, g);
    agclose(g);
    return result;
}

} // namespace tessera::studio

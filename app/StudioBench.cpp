#include "app/StudioBench.h"

#include "app/controllers/LayoutController.h"
#include "app/controllers/NavigationController.h"
#include "app/model/BlockScopes.h"
#include "app/model/ModelLoader.h"
#include "app/model/SyntheticGraph.h"
#include "app/views/GraphScene.h"
#include "app/views/GraphView.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QScrollBar>

#include <algorithm>

#include <cstdio>

namespace tessera::studio {

namespace {

double msSince(const QElapsedTimer& t)
{
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

// The worst time of `step` followed by a synchronous repaint, over `count` calls.
template <class Step> double worstStepMs(GraphView& view, int count, Step step)
{
    double worst = 0.0;
    for (int i = 0; i < count; ++i) {
        QElapsedTimer clock;
        clock.start();
        step(i);
        view.viewport()->repaint();
        worst = std::max(worst, msSince(clock));
    }
    return worst;
}

// Zoom steps in and out around the initial and the fitted view; pan steps each way.
void benchInteraction(GraphView& view, BenchRow& row)
{
    auto zoomSteps = [&view](int i) { view.zoomBy(i < 4 ? 1.25 : 0.8); };
    view.showInitialView();
    view.viewport()->repaint();
    const double fromInitial = worstStepMs(view, 8, zoomSteps);
    view.fitToWindow();
    view.viewport()->repaint();
    const double fromFitted = worstStepMs(view, 8, zoomSteps);
    row.zoomStepMs = std::max(fromInitial, fromFitted);
    view.showInitialView();
    view.viewport()->repaint();
    QScrollBar* h = view.horizontalScrollBar();
    QScrollBar* v = view.verticalScrollBar();
    row.panStepMs = worstStepMs(view, 8, [&](int i) {
        QScrollBar* bar = i % 2 ? v : h;
        bar->setValue(bar->value() + (i < 4 ? 100 : -100));
    });
}

DocumentPtr loadBenchDocument(const QString& source)
{
    SilentProgress quiet;
    return source.startsWith("synthetic:") ? makeSyntheticDocument(source.mid(10).toInt())
                                           : loadModelDocument(source.toStdString(), quiet);
}

// `collapsed`: the overview with its blocks collapsed as the studio opens it (the
// scope tree and the view are built inside the timed layout).
BenchRow benchOne(const QString& source, const DocumentPtr& doc, LayoutEngine engine, bool collapsed)
{
    SilentProgress quiet;
    BenchRow row;
    row.name = source.section('/', -1) + (collapsed ? " [collapsed]" : "");

    QElapsedTimer clock;
    clock.start();
    BlockSnapshot blocks;
    if (collapsed) {
        auto tree = std::make_shared<const ScopeTree>(*doc);
        blocks.view = std::make_shared<const BlockView>(*doc, tree.get(), tree->defaultCollapsed());
        blocks.tree = std::move(tree);
    }
    const LayoutInput input = LayoutController::layoutInputFor(*doc, blocks);
    row.nodes = static_cast<int>(input.sizes.size());
    row.edges = static_cast<int>(input.edges.size());
    const LayoutResult layout = computeLayout(input, engine, quiet);
    row.layoutMs = msSince(clock);
    row.engine = layout.engine;

    ProjectModel model;
    model.setDocument(doc);
    NavigationController navigation(&model);
    GraphScene scene(&model);
    GraphView view(&scene, &navigation);
    view.resize(1400, 900);
    view.show();
    QCoreApplication::processEvents();
    clock.restart();
    scene.build(doc, layout, blocks);
    row.buildMs = msSince(clock);
    clock.restart();
    view.viewport()->repaint(); // synchronous: the first frame after build (initial view)
    row.firstPaintMs = msSince(clock);
    view.fitToWindow(); // worst case: every item visible
    clock.restart();
    view.viewport()->repaint();
    row.fitPaintMs = msSince(clock);
    benchInteraction(view, row);
    return row;
}

} // namespace

QVector<BenchRow> runLayoutBench(const QStringList& sources, LayoutEngine engine)
{
    QVector<BenchRow> rows;
    for (const QString& s : sources)
        rows.append(benchOne(s, loadBenchDocument(s), engine, false));
    return rows;
}

int printLayoutBench(const QStringList& sources, LayoutEngine engine)
{
    std::printf("%-40s %6s %6s  %-16s %10s %10s %12s %10s %12s %8s %8s\n", "graph", "nodes", "edges", "engine",
                "layout ms", "scene ms", "1st paint ms", "total ms", "fit paint ms", "zoom ms", "pan ms");
    for (const QString& s : sources) {
        try {
            const DocumentPtr doc = loadBenchDocument(s);
            // Graphs with name scopes also get the collapsed overview's row.
            const bool scoped = !ScopeTree(*doc).isEmpty();
            for (bool collapsed : {false, true}) {
                if (collapsed && !scoped)
                    break;
                const BenchRow r = benchOne(s, doc, engine, collapsed);
                std::printf("%-40s %6d %6d  %-16s %10.1f %10.1f %12.1f %10.1f %12.1f %8.1f %8.1f\n", qPrintable(r.name),
                            r.nodes, r.edges, qPrintable(r.engine), r.layoutMs, r.buildMs, r.firstPaintMs,
                            r.layoutMs + r.buildMs + r.firstPaintMs, r.fitPaintMs, r.zoomStepMs, r.panStepMs);
                std::fflush(stdout);
            }
        } catch (const std::exception& e) {
            std::printf("%-40s failed: %s\n", qPrintable(s), e.what());
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace tessera::studio

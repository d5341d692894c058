#pragma once
// `tessera-studio --bench-layout`: layout + first-paint times for models and generated
// graphs, printed as a table (numbers quoted in docs/studio.md).
#include "app/layout/GraphLayout.h"

#include <QStringList>

namespace tessera::studio {

struct BenchRow {
    QString name;
    int nodes = 0;
    int edges = 0;
    QString engine;
    double layoutMs = 0;
    double buildMs = 0;      // scene items
    double firstPaintMs = 0; // first paint of the initial view
    double fitPaintMs = 0;   // a paint with the whole graph fitted (every item visible)
    // One interaction step (the view change plus its synchronous repaint), worst of the
    // steps tried: a wheel zoom step (x1.25 in and out, from the initial view and from the
    // fitted view, through the label threshold) and a pan step (100 px each way).
    double zoomStepMs = 0;
    double panStepMs = 0;
};

// Each entry of `sources` is a model path or "synthetic:N".
QVector<BenchRow> runLayoutBench(const QStringList& sources, LayoutEngine engine);
int printLayoutBench(const QStringList& sources, LayoutEngine engine);

} // namespace tessera::studio

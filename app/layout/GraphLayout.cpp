#include "app/layout/GraphLayout.h"

#include <QElapsedTimer>

#include <queue>

namespace tessera::studio {

LayoutResult computeLayout(const LayoutInput& input, LayoutEngine engine, ProgressSink& progress)
{
    QElapsedTimer clock;
    clock.start();
    if (engine == LayoutEngine::Auto)
        engine = static_cast<int>(input.sizes.size()) <= kGraphvizNodeLimit ? LayoutEngine::Graphviz
                                                                            : LayoutEngine::Igraph;
    LayoutResult result = engine == LayoutEngine::Graphviz ? layoutWithGraphviz(input, progress)
                                                           : layoutWithIgraph(input, progress);
    result.sizes = input.sizes;
    result.milliseconds = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    return result;
}

std::vector<int> longestPathLayers(int nodeCount, const std::vector<std::pair<int, int>>& edges)
{
    std::vector<std::vector<int>> out(nodeCount);
    std::vector<int> indegree(nodeCount, 0);
    for (const auto& [from, to] : edges) {
        out[from].push_back(to);
        indegree[to]++;
    }
    std::vector<int> layer(nodeCount, 0);
    std::queue<int> ready;
    for (int i = 0; i < nodeCount; ++i)
        if (indegree[i] == 0)
            ready.push(i);
    int visited = 0;
    while (!ready.empty()) {
        int n = ready.front();
        ready.pop();
        ++visited;
        for (int m : out[n]) {
            layer[m] = std::max(layer[m], layer[n] + 1);
            if (--indegree[m] == 0)
                ready.push(m);
        }
    }
    (void)visited; // nodes on a cycle keep the layer their acyclic predecessors gave them
    return layer;
}

} // namespace tessera::studio

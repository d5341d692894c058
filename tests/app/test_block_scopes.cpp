// Name scopes and the collapsed display graph (app/model/BlockScopes.h), without widgets:
// hand-made graphs named as PyTorch exports a ResNet and a transformer, and (opt-in,
// TESSERA_REAL_MODELS=dir with resnet50.onnx and transformer_encoder.onnx) the real exports.
#include "app/model/BlockScopes.h"
#include "app/model/ModelLoader.h"
#include "tests/app/ScopedGraphs.h"

#include <QtTest>

#include <filesystem>
#include <set>

using namespace tessera;
using namespace tessera::studio;
using namespace tessera::studio::testing;

namespace {

int itemsOfScope(const BlockView& view, const ScopeTree& tree, const std::string& path)
{
    return view.itemOfScope(tree.findPath(path));
}

} // namespace

class TestBlockScopes : public QObject {
    Q_OBJECT
private slots:
    void scopePartsFollowTheModulePath()
    {
        using Parts = std::vector<std::string>;
        QCOMPARE(ScopeTree::scopePartsOf("/layers.3/self_attn/MatMul"), (Parts{"layers.3", "self_attn"}));
        QCOMPARE(ScopeTree::scopePartsOf("/layer1/layer1.0/conv1/Conv"), (Parts{"layer1", "layer1.0", "conv1"}));
        QCOMPARE(ScopeTree::scopePartsOf("model/block_3/Conv2D"), (Parts{"model", "block_3"}));
        QCOMPARE(ScopeTree::scopePartsOf("MatMul_12"), Parts{});
        QCOMPARE(ScopeTree::scopePartsOf("/Relu"), Parts{});
    }

    void treeHoldsScopesWithTheirNodesAndCost()
    {
        DocumentPtr doc = resnetLike();
        ScopeTree tree(*doc);
        const int layer1 = tree.findPath("layer1");
        const int block0 = tree.findPath("layer1/layer1.0");
        QVERIFY(layer1 >= 0 && block0 >= 0);
        QCOMPARE(tree.scope(layer1).members.size(), size_t(6));
        QCOMPARE(tree.scope(block0).members.size(), size_t(3));
        QCOMPARE(tree.scope(block0).parent, layer1);
        QCOMPARE(tree.scope(block0).depth, 1);
        QCOMPARE(tree.scope(layer1).children, (std::vector<int>{block0, tree.findPath("layer1/layer1.1")}));
        // Two 4x4 MatMuls on a 1x4 input: 2 x 16 MACs and 2 x 16 weights, both analog.
        QCOMPARE(tree.scope(layer1).analogMacs, int64_t(32));
        QCOMPARE(tree.scope(layer1).params, int64_t(32));
        QCOMPARE(tree.scope(layer1).analogNodes, 2);
        QVERIFY(!tree.collapsible(tree.findPath("stem"))); // one node: no box of its own
        QCOMPARE(tree.scopeOf(0), -1);                      // the input pill
    }

    void collapsedScopeIsOneItemWithAggregatedEdges()
    {
        DocumentPtr doc = resnetLike();
        ScopeTree tree(*doc);
        BlockView view(*doc, &tree, tree.collapsedFromDepth(0));
        // input, stem, [layer1], fc, output; stem feeds layer1.0's MatMul and its Add.
        QCOMPARE(view.items().size(), size_t(5));
        QCOMPARE(view.groupCount(), 1);
        QCOMPARE(view.edges().size(), size_t(4));
        const int group = itemsOfScope(view, tree, "layer1");
        const int stem = view.itemOfDisplay(doc->displayIndexOf(*doc->graph().findNode("/stem/MatMul")));
        auto it = std::find_if(view.edges().begin(), view.edges().end(),
                               [&](const BlockEdge& e) { return e.from == stem && e.to == group; });
        QVERIFY(it != view.edges().end());
        QCOMPARE(it->count, 2);
        for (int member : tree.scope(tree.findPath("layer1")).members)
            QVERIFY(view.isHidden(member) && view.itemOfDisplay(member) == group);
    }

    void innerScopesStayCollapsedWhenTheOuterExpands()
    {
        DocumentPtr doc = resnetLike();
        ScopeTree tree(*doc);
        std::vector<char> collapsed = tree.collapsedFromDepth(0);
        collapsed[tree.findPath("layer1")] = 0;
        BlockView view(*doc, &tree, collapsed);
        // input, stem, [layer1.0], [layer1.1], fc, output; layer1.0 -> layer1.1 twice.
        QCOMPARE(view.items().size(), size_t(6));
        QCOMPARE(view.groupCount(), 2);
        QVERIFY(itemsOfScope(view, tree, "layer1") < 0);
        QCOMPARE(view.edges().size(), size_t(5));
        // Nothing collapsed: the display graph itself.
        BlockView all(*doc, &tree, std::vector<char>(tree.scopes().size(), 0));
        QCOMPARE(all.items().size(), doc->displayNodes().size());
        QCOMPARE(all.edges().size(), doc->displayEdges().size());
        QCOMPARE(all.groupCount(), 0);
    }

    void defaultOverviewHasOneBoxPerRepeatedBlock()
    {
        DocumentPtr doc = resnetLike();
        ScopeTree tree(*doc);
        QCOMPARE(BlockView(*doc, &tree, tree.defaultCollapsed(3, 5)).groupCount(), 1); // [layer1]: 5 boxes
        QCOMPARE(BlockView(*doc, &tree, tree.defaultCollapsed(2, 8)).groupCount(), 2); // its two blocks
        QCOMPARE(BlockView(*doc, &tree, tree.defaultCollapsed(3, 8)).groupCount(), 1); // none enough: depth 0
        DocumentPtr encoder = transformerLike(16);
        ScopeTree layers(*encoder);
        BlockView overview(*encoder, &layers, layers.defaultCollapsed());
        // 16 layer boxes between input, head and output; one edge between neighbours.
        QCOMPARE(overview.groupCount(), 16);
        QCOMPARE(overview.items().size(), size_t(19));
        QCOMPARE(overview.edges().size(), size_t(18));
        for (const BlockItem& item : overview.items())
            if (item.scope >= 0)
                QCOMPARE(layers.scope(item.scope).depth, 0);
    }

    void realExportsCollapseIntoTheirLayers()
    {
        const QByteArray dir = qgetenv("TESSERA_REAL_MODELS");
        if (dir.isEmpty() || !std::filesystem::exists(dir.toStdString() + "/resnet50.onnx"))
            QSKIP("set TESSERA_REAL_MODELS to a folder with resnet50.onnx and transformer_encoder.onnx");
        SilentProgress quiet;
        DocumentPtr resnet = loadModelDocument(dir.toStdString() + "/resnet50.onnx", quiet);
        ScopeTree tree(*resnet);
        BlockView view(*resnet, &tree, tree.defaultCollapsed());
        std::set<std::string> names; // torchvision's four stages
        for (const BlockItem& item : view.items())
            if (item.scope >= 0)
                names.insert(tree.scope(item.scope).path);
        QCOMPARE(names, (std::set<std::string>{"layer1", "layer2", "layer3", "layer4"}));
        // Expanding a stage shows its bottlenecks (3 + 4 + 6 + 3 of them in all).
        std::vector<char> collapsed = view.collapsed();
        int bottlenecks = 0;
        for (const std::string stage : {"layer1", "layer2", "layer3", "layer4"}) {
            collapsed[tree.findPath(stage)] = 0;
            bottlenecks += static_cast<int>(tree.scope(tree.findPath(stage)).children.size());
        }
        QCOMPARE(bottlenecks, 16);
        QCOMPARE(BlockView(*resnet, &tree, collapsed).groupCount(), 16);
        DocumentPtr encoder = loadModelDocument(dir.toStdString() + "/transformer_encoder.onnx", quiet);
        ScopeTree layers(*encoder);
        BlockView overview(*encoder, &layers, layers.defaultCollapsed());
        QCOMPARE(overview.groupCount(), 4); // layers.0 .. layers.3
        for (int i = 0; i < 4; ++i)
            QVERIFY(overview.itemOfScope(layers.findPath("layers." + std::to_string(i))) >= 0);
    }
};

QTEST_GUILESS_MAIN(TestBlockScopes)
#include "test_block_scopes.moc"

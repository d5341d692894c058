// The training library links with Qt Test, and torch's thread setting takes effect.
#include "quant/train/ForwardHooks.h"
#include "quant/train/TorchRuntime.h"

#include <QtTest>

class TestTorchRuntime : public QObject {
    Q_OBJECT
private slots:
    void threadCountTakesEffect()
    {
        QCOMPARE(tessera::train::configureTorchThreads(1), 1);
        QVERIFY(tessera::train::configureTorchThreads(0) >= 1);
    }
    void defaultHooksComputeFp32()
    {
        tessera::Graph graph;
        tessera::Node node;
        tessera::train::ForwardHooks hooks;
        auto w = torch::tensor({2.0f});
        tessera::train::AnalogCall call{graph, node, torch::tensor({3.0f}), w, {},
                                        [](const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor&) {
                                            return x * w;
                                        }};
        QCOMPARE(hooks.analog(call).item<float>(), 6.0f);
    }
};

QTEST_GUILESS_MAIN(TestTorchRuntime)
#include "test_torch_runtime.moc"

// tessera-studio [model.onnx | project.tessera]
//   --synthetic N      open a generated N-node graph
//   --bench-layout     print layout + first-paint times for the given files / synthetic:N
//   --engine E         auto | graphviz | igraph
//   --find TEXT        select the first matching node once the graph is shown
//   --dark             a dark Fusion palette (also TESSERA_STUDIO_THEME=dark)
#include "core/Memory.h"
#include "core/Warning.h"
#include "app/MainWindow.h"
#include "app/StudioBench.h"
#include "app/model/SyntheticGraph.h"
#include "app/panels/LogPanel.h"
#include "app/views/NodeStyle.h"

#include <QApplication>
#include <QCommandLineParser>

using namespace tessera::studio;

int main(int argc, char** argv)
{
    tessera::keepFreedMemoryForReuse();
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Tessera");
    QApplication::setApplicationName("Tessera Studio");
    QApplication::setApplicationVersion("0.1.0");

    QCommandLineParser parser;
    parser.setApplicationDescription("Tessera Studio: inspect ONNX models for analog matrix processors");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("file", "model (.onnx) or project (.tessera) to open; with --bench-layout, "
                                         "several files or synthetic:N");
    QCommandLineOption synthetic("synthetic", "Open a generated graph of about N nodes.", "N");
    QCommandLineOption bench("bench-layout", "Print layout and first-paint times and exit.");
    QCommandLineOption find("find", "After opening, select the first node matching TEXT (name or op).", "text");
    QCommandLineOption engine("engine", "Layout engine: auto, graphviz or igraph.", "engine", "auto");
    QCommandLineOption dark("dark", "Use a dark palette (or set TESSERA_STUDIO_THEME=dark).");
    parser.addOptions({synthetic, bench, engine, find, dark});
    parser.process(app);

    const QString engineName = parser.value(engine);
    const LayoutEngine layoutEngine = engineName == "graphviz" ? LayoutEngine::Graphviz
                                      : engineName == "igraph" ? LayoutEngine::Igraph
                                                               : LayoutEngine::Auto;
    if (parser.isSet(bench)) {
        QStringList sources = parser.positionalArguments();
        if (sources.isEmpty())
            sources << "synthetic:8000";
        return printLayoutBench(sources, layoutEngine);
    }

    QApplication::setStyle("Fusion");
    if (parser.isSet(dark) || qEnvironmentVariable("TESSERA_STUDIO_THEME") == "dark")
        QApplication::setPalette(style::darkPalette());
    MainWindow window;
    if (parser.isSet(find))
        QObject::connect(&window, &MainWindow::documentShown, &window,
                         [&window, text = parser.value(find)] { window.searchController()->findNext(text); });
    window.layoutController()->setEngine(layoutEngine);
    // The engine's warnings (a quantization file without a model hash, ...) go to the Log
    // panel, from whichever thread gives them; the handler is gone before the window.
    LogPanel* log = window.log();
    tessera::setWarningHandler([log](const std::string& text) {
        QMetaObject::invokeMethod(log, [log, t = QString::fromStdString(text)] { log->append(QObject::tr("Warning: %1").arg(t)); },
                                  Qt::QueuedConnection);
    });
    window.show();
    if (parser.isSet(synthetic))
        window.showDocument(makeSyntheticDocument(parser.value(synthetic).toInt()));
    else if (!parser.positionalArguments().isEmpty())
        window.openPath(parser.positionalArguments().first());
    const int status = app.exec();
    tessera::setWarningHandler(nullptr);
    return status;
}

#include "app/controllers/LayoutController.h"

#include "app/views/NodeStyle.h"

namespace tessera::studio {

namespace {
const QString kViewPanel = "view"; // the project's view options, shared with BlockController
}

LayoutController::LayoutController(ProjectModel* model, JobManager* jobs, QObject* parent)
    : QObject(parent), m_model(model), m_jobs(jobs), m_blocks(model)
{
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        const bool asImported = m_model->panelState(kViewPanel).value("showAsImported").toBool();
        if (asImported != m_asImported) {
            m_asImported = asImported;
            emit showAsImportedChanged(asImported);
        }
        m_blocks.setDocument(shownDocument()); // before the layout: it lays out its view
        relayout();
    });
    connect(&m_blocks, &BlockController::changed, this, [this] { relayout(); });
}

DocumentPtr LayoutController::shownDocument() const
{
    const DocumentPtr& doc = m_model->document();
    return doc && m_asImported && doc->asImported() ? doc->asImported() : doc;
}

void LayoutController::setShowAsImported(bool on)
{
    if (on == m_asImported)
        return;
    m_asImported = on;
    QJsonObject view = m_model->panelState(kViewPanel);
    view["showAsImported"] = on;
    m_model->setViewState(kViewPanel, view);
    emit showAsImportedChanged(on);
    SelectionModel* selection = m_model->selection();
    if (!on && selection->importedNode() != kNoNode) // keeps its cleaned counterpart, if any
        selection->select(selection->current(), false);
    m_blocks.setDocument(shownDocument());
    relayout();
}

LayoutInput LayoutController::layoutInputFor(const GraphDocument& doc, const BlockSnapshot& blocks)
{
    LayoutInput input;
    if (!blocks.view) {
        input.sizes.reserve(doc.displayNodes().size());
        for (const DisplayNode& n : doc.displayNodes())
            input.sizes.push_back(nodeSize(nodeLabel(doc, n)));
        for (const DisplayEdge& e : doc.displayEdges())
            input.edges.emplace_back(e.from, e.to);
        return input;
    }
    const int items = static_cast<int>(blocks.view->items().size());
    input.sizes.reserve(items);
    for (int i = 0; i < items; ++i)
        input.sizes.push_back(blockItemSize(doc, blocks, i));
    for (const BlockEdge& e : blocks.view->edges())
        input.edges.emplace_back(e.from, e.to);
    return input;
}

int LayoutController::relayout()
{
    DocumentPtr doc = shownDocument();
    if (!doc)
        return 0;
    // Sizes need font metrics, so they are measured here on the UI thread.
    const BlockSnapshot blocks = m_blocks.snapshot();
    auto input = std::make_shared<LayoutInput>(layoutInputFor(*doc, blocks));
    const LayoutEngine engine = m_engine;
    const QString title = QString("Layout (%1 boxes)").arg(input->sizes.size());
    m_pendingJob = m_jobs->start(title, "layout", [this, doc, blocks, input, engine](ProgressSink& progress) -> JobApply {
        auto result = std::make_shared<const LayoutResult>(computeLayout(*input, engine, progress));
        return [this, doc, blocks, result] {
            if (shownDocument() != doc)
                return; // the document (or the view of it) changed while this layout ran
            m_layout = result;
            m_layoutDocument = doc;
            m_layoutBlocks = blocks;
            emit layoutReady();
        };
    });
    return m_pendingJob;
}

} // namespace tessera::studio

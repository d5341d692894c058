#pragma once
// Lays out the current document whenever it changes, as a "layout" job: a newer request
// cancels the older one, and a result for a document that is no longer current is dropped.
// What is laid out is the document's collapsed view (BlockController): a change of the
// collapsed blocks lays out again the same way.
#include "app/controllers/BlockController.h"
#include "app/jobs/JobManager.h"
#include "app/layout/GraphLayout.h"
#include "app/model/ProjectModel.h"

#include <memory>

namespace tessera::studio {

class LayoutController : public QObject {
    Q_OBJECT
public:
    LayoutController(ProjectModel* model, JobManager* jobs, QObject* parent = nullptr);

    void setEngine(LayoutEngine engine) { m_engine = engine; }
    LayoutEngine engine() const { return m_engine; }
    // Starts a layout of the current document (no-op without one). Returns the job id.
    int relayout();

    // The last finished layout, the document and the collapsed view it belongs to.
    const std::shared_ptr<const LayoutResult>& layout() const { return m_layout; }
    const DocumentPtr& layoutDocument() const { return m_layoutDocument; }
    const BlockSnapshot& layoutBlocks() const { return m_layoutBlocks; }
    int pendingJob() const { return m_pendingJob; }
    BlockController* blocks() { return &m_blocks; }

    // View > Show As Imported: lay out the file's graph (the document's asImported(), weights
    // through Identity nodes) instead of the cleaned one. Saved with the project
    // (panels.view.showAsImported); off for every newly opened model without that choice.
    void setShowAsImported(bool on);
    bool showsAsImported() const { return m_asImported; }
    // The document drawn now: the current one or its as-imported graph.
    DocumentPtr shownDocument() const;

    // Node sizes and edges of a collapsed view (every node when `blocks` has no view).
    static LayoutInput layoutInputFor(const GraphDocument& doc, const BlockSnapshot& blocks = {});

signals:
    void layoutReady();
    void showAsImportedChanged(bool on);

private:
    ProjectModel* m_model;
    JobManager* m_jobs;
    BlockController m_blocks;
    LayoutEngine m_engine = LayoutEngine::Auto;
    std::shared_ptr<const LayoutResult> m_layout;
    DocumentPtr m_layoutDocument;
    BlockSnapshot m_layoutBlocks;
    int m_pendingJob = 0;
    bool m_asImported = false;
};

} // namespace tessera::studio

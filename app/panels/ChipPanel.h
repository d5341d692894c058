#pragma once
// The chip view dock: target combo (core/target presets), Compile / Cancel, colour mode,
// the compile summary or "stale: recompile", and the tile mesh (ChipScene). Clicking a block
// selects its layer everywhere; selecting a layer elsewhere highlights its blocks and tiles.
#include "app/controllers/CompileController.h"
#include "app/views/ChipScene.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace tessera::studio {

class QuantController;

class ChipPanel : public QWidget {
    Q_OBJECT
public:
    // Observes `compile` (the workspace's; not owned).
    ChipPanel(ProjectModel* model, CompileController* compile, QWidget* parent = nullptr);

    CompileController* controller() const { return m_controller; }
    ChipScene* scene() const { return m_scene; }
    ChipView* view() const { return m_view; }
    QComboBox* targetBox() const { return m_target; }
    QComboBox* modeBox() const { return m_mode; }
    QLabel* statusLabel() const { return m_status; }

signals:
    void message(const QString& text, bool isError);

protected:
    void changeEvent(QEvent* event) override; // palette changes rebuild the scene

private:
    void rebuild();
    void refreshTargets();
    void refreshStatus();
    void followSelection();

    ProjectModel* m_model;
    CompileController* m_controller;
    std::shared_ptr<const CompiledModel> m_shown; // keeps the scene's result alive
    ChipScene* m_scene;
    ChipView* m_view;
    QComboBox* m_target;
    QComboBox* m_mode;
    QPushButton* m_compile;
    QPushButton* m_cancel;
    QLabel* m_status;
};

} // namespace tessera::studio

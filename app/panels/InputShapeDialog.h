#pragma once
// Model > Input Shapes…: one line per graph input (name, dtype, dims), the dims the import
// guessed listed on top. Accepting pushes SetInputShapes (undoable, saved in the project).
#include "app/model/InputShapes.h"

#include <QDialog>
#include <QMap>

class QLabel;
class QLineEdit;

namespace tessera::studio {

class InputShapeDialog : public QDialog {
    Q_OBJECT
public:
    InputShapeDialog(ProjectModel* model, QWidget* parent = nullptr);
    QLineEdit* dimsEdit(const QString& input) const { return m_edits.value(input); }
    // Parses every line; on success pushes the edit (when something changed) and returns
    // an empty string, else the error naming the input.
    QString apply();

private:
    ProjectModel* m_model;
    QMap<QString, QLineEdit*> m_edits;
    QLabel* m_error;
};

} // namespace tessera::studio

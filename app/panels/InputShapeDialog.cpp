#include "app/panels/InputShapeDialog.h"

#include "app/panels/DialogButtons.h"

#include "app/views/NodeStyle.h"
#include "core/Error.h"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace tessera::studio {

namespace {

QString dimsText(const Shape& shape)
{
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    return dims.join(", ");
}

} // namespace

InputShapeDialog::InputShapeDialog(ProjectModel* model, QWidget* parent) : QDialog(parent), m_model(model)
{
    setWindowTitle(tr("Input shapes"));
    auto* layout = new QVBoxLayout(this);
    const DocumentPtr& doc = model->document();
    auto* note = new QLabel;
    note->setWordWrap(true);
    QStringList guessed;
    for (const DefaultedDim& d : doc->report().defaultedDims)
        guessed << QString::fromStdString(d.text()).toHtmlEscaped();
    note->setText(guessed.isEmpty() ? tr("Every input dimension is fixed by the model or by the project.")
                                    : tr("<b>Symbolic dims set to 1:</b> %1. Give the real sizes, e.g. 1, 3, 640, 640.")
                                          .arg(guessed.join(", ")));
    layout->addWidget(note);
    auto* form = new QFormLayout;
    const Graph& g = doc->graph();
    for (ValueId id : g.inputs()) {
        const Value& v = g.value(id);
        auto* edit = new QLineEdit(dimsText(v.shape));
        const QString name = QString::fromStdString(v.name);
        edit->setObjectName("dims:" + name);
        m_edits[name] = edit;
        form->addRow(QString("%1  (%2)").arg(name, dtypeName(v.dtype)), edit);
    }
    layout->addLayout(form);
    m_error = addErrorAndButtons(this, layout, [this] { return apply(); });
}

QString InputShapeDialog::apply()
{
    InputShapeMap shapes = inputShapesOf(m_model->project());
    bool changed = false;
    try {
        const Graph& g = m_model->document()->graph();
        for (auto it = m_edits.begin(); it != m_edits.end(); ++it) {
            const std::string name = it.key().toStdString();
            const Shape shape = parseDims(it.value()->text(), name);
            const Value& v = g.value(*g.findValue(name));
            if (shape.size() != v.shape.size())
                fail("input '", name, "' has rank ", v.shape.size(), ", not ", shape.size());
            changed |= shape != v.shape;
            shapes[name] = shape;
        }
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    if (changed)
        m_model->undoStack()->push(new SetInputShapes(m_model, shapes));
    return {};
}

} // namespace tessera::studio

#include "app/panels/DialogButtons.h"

#include "app/views/NodeStyle.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QVBoxLayout>

namespace tessera::studio {

QLabel* addErrorAndButtons(QDialog* dialog, QVBoxLayout* layout, std::function<QString()> apply)
{
    auto* error = new QLabel;
    error->setWordWrap(true);
    error->setStyleSheet(QString("QLabel { color:%1; }").arg(style::warningTextColor().name()));
    layout->addWidget(error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    QObject::connect(buttons, &QDialogButtonBox::accepted, dialog, [dialog, error, apply = std::move(apply)] {
        error->setText(apply());
        if (error->text().isEmpty())
            dialog->accept();
    });
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    layout->addWidget(buttons);
    return error;
}

} // namespace tessera::studio

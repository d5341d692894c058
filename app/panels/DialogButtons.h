#pragma once
// The bottom of the studio's edit dialogs: an error line in the warning colour and OK/Cancel.
// OK calls `apply` (empty string: applied) and closes the dialog only when it succeeded;
// otherwise the error stays on the line.
#include <QString>

#include <functional>

class QDialog;
class QLabel;
class QVBoxLayout;

namespace tessera::studio {

// Adds both to `layout`; returns the error label.
QLabel* addErrorAndButtons(QDialog* dialog, QVBoxLayout* layout, std::function<QString()> apply);

} // namespace tessera::studio

#pragma once
// Log dock: job starts/ends, errors (in red) and messages from panels. Errors never
// block the UI with a modal dialog; the status bar points here.
#include <QWidget>

class QPlainTextEdit;

namespace tessera::studio {

class JobManager;

class LogPanel : public QWidget {
    Q_OBJECT
public:
    explicit LogPanel(JobManager* jobs, QWidget* parent = nullptr);

    void append(const QString& text, bool isError = false);
    QString plainText() const;
    int errorCount() const { return m_errors; }

signals:
    void errorLogged(const QString& text);

private:
    QPlainTextEdit* m_text;
    int m_errors = 0;
};

} // namespace tessera::studio

#include "app/panels/LogPanel.h"
#include "app/views/NodeStyle.h"

#include "app/jobs/JobManager.h"

#include <QDateTime>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace tessera::studio {

LogPanel::LogPanel(JobManager* jobs, QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_text = new QPlainTextEdit;
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(5000);
    QFont mono("monospace");
    mono.setStyleHint(QFont::Monospace);
    mono.setPointSizeF(8.5);
    m_text->setFont(mono);
    layout->addWidget(m_text);
    connect(jobs, &JobManager::jobStarted, this, [this](int, const QString& title) { append(title + tr(" …")); });
    connect(jobs, &JobManager::jobSucceeded, this, [this](int, const QString& title, qint64 ms) {
        append(tr("%1: done in %2 ms").arg(title).arg(ms));
    });
    connect(jobs, &JobManager::jobFailed, this,
            [this](int, const QString& title, const QString& error) { append(tr("%1 failed: %2").arg(title, error), true); });
    connect(jobs, &JobManager::jobCancelled, this, [this](int, const QString& title) { append(tr("%1: cancelled").arg(title)); });
}

void LogPanel::append(const QString& text, bool isError)
{
    const QString time = QDateTime::currentDateTime().toString("HH:mm:ss");
    const QString color = (isError ? style::warningTextColor() : style::textColor()).name();
    m_text->appendHtml(QString("<span style='color:%4'>%1</span> <span style='color:%2'>%3</span>")
                           .arg(time, color, text.toHtmlEscaped(), style::subtleTextColor().name()));
    if (isError) {
        ++m_errors;
        emit errorLogged(text);
    }
}

QString LogPanel::plainText() const
{
    return m_text->toPlainText();
}

} // namespace tessera::studio

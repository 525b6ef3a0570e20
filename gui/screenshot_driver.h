#pragma once
// Headless screenshots (`pareto --model M --page NAME --screenshot OUT.png`): waits
// for the page's work (the model loaded; with --prompt on the Playground, the
// generation to its end; on the Profile page with --prompt, the profile; on the
// Runs page, the --trace files read; in kiosk mode, N demo cycles), lets the scene settle,
// grabs the window, checks that the expected items are visible, writes the PNG,
// prints a one-line JSON report on stdout and quits with status 0 — or prints what
// went wrong on stderr and quits with a non-zero status.
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include "gui/app_options.h"

class QQuickWindow;
class QQuickItem;

namespace pareto::gui {

class Workbench;

class ScreenshotDriver : public QObject {
    Q_OBJECT
public:
    ScreenshotDriver(QQuickWindow* window, Workbench* workbench, AppOptions options, QObject* parent = nullptr);

    void start();
    // QML warnings seen while the page was shown (reported, and a failure).
    void addWarning(const QString& w) { warnings_ << w; }

    // The visible items under `root` with each of `names` as objectName; the names
    // with none are returned.
    static QStringList missingItems(QQuickItem* root, const QStringList& names);

private:
    void afterModel();
    void profilePage();  // profile the model (or open the trace's last run), then capture
    void compressPage();  // the preset; with a text, the sensitivity scan and Apply, then capture
    void comparePlayground();  // --compare: compress with --preset, then the prompt side by side
    void runsPage();     // read the traces (and compare the last two profiles), then capture
    void afterWork();
    void capture();
    void fail(const QString& message, int status = 1);

    QQuickWindow* window_;
    Workbench* workbench_;
    AppOptions options_;
    QStringList warnings_;
    QElapsedTimer clock_;
    QTimer timeout_;
    QJsonObject report_;
    bool done_ = false;
};

}  // namespace pareto::gui

#include "gui/workbench.h"

#include <QCoreApplication>
#include <QFileInfo>

#include "util/thread_pool.h"

namespace pareto::gui {

Workbench::Workbench(QObject* parent) : Workbench(QString(), QString(), parent) {}

Workbench::Workbench(const QString& settings_file, const QString& demo_folder, QObject* parent)
    : QObject(parent),
      // The user's settings: ~/.config/pareto/workbench.conf on Linux.
      settings_(settings_file.isEmpty()
                    ? std::make_unique<QSettings>(QSettings::UserScope, QStringLiteral("pareto"), QStringLiteral("workbench"))
                    : std::make_unique<QSettings>(settings_file, QSettings::IniFormat)),
      recent_(settings_.get()),
      demo_(demo_folder),
      kiosk_(&model_, &generator_, &demo_, &recent_, &compress_),
      runs_(settings_.get()) {
    wire();
}

Workbench::~Workbench() = default;

void Workbench::wire() {
    connect(&model_, &ModelController::modelLoaded, this, [this] {
        generator_.setModel(model_.loadedModel());
        profile_.setModel(model_.loadedModel());
        compress_.setModel(model_.loadedModel());
    });
    connect(&model_, &ModelController::modelUnloaded, this, [this] {
        generator_.setModel(nullptr);
        profile_.setModel(nullptr);
        compress_.setModel(nullptr);
    });
    // The compressed model (or none) goes to the Playground's second pane.
    connect(&compress_, &CompressController::resultChanged, this,
            [this] { compressed_generator_.setModel(compress_.result()); });
    connect(&compressed_generator_, &Generator::failed, this, [this](const QString& m) { emit notification(m, true); });
    connect(&compress_, &CompressController::failed, this, [this](const QString& m) { emit notification(m, true); });
    connect(&compress_, &CompressController::exported, this,
            [this](const QString& path) { emit notification(tr("Exported %1").arg(QFileInfo(path).fileName()), false); });
    connect(&profile_, &ProfileController::failed, this, [this](const QString& m) { emit notification(m, true); });
    // "Stored as run-3 in traces.h5", "Profiling cancelled": a toast, the page keeps its layout.
    connect(&profile_, &ProfileController::noticeChanged, this, [this] {
        if (!profile_.notice().isEmpty()) emit notification(profile_.notice(), false);
    });
    connect(&runs_, &RunsController::failed, this, [this](const QString& m) { emit notification(m, true); });
    // A profile stored in a trace that the Runs page shows: show it there too.
    connect(&profile_, &ProfileController::traceWritten, this, [this](const QString& path) {
        if (runs_.files().contains(QFileInfo(path).absoluteFilePath())) runs_.open(path);
    });
    connect(&runs_, &RunsController::profileRunRequested, this, [this](const QString& file, const QString& name) {
        profile_.openRun(file, name);
        setPage(QStringLiteral("profile"));
    });
    connect(&model_, &ModelController::opened, &recent_, &RecentModels::add);
    connect(&model_, &ModelController::failed, this, [this](const QString& m) { emit notification(m, true); });
    connect(&generator_, &Generator::failed, this, [this](const QString& m) { emit notification(m, true); });
    connect(&demo_, &DemoModelController::failed, this, [this](const QString& m) { emit notification(m, true); });
    connect(&demo_, &DemoModelController::created, this, [this](const QString& path) {
        if (kiosk_mode_) return;  // the kiosk opens its own demo model
        emit notification(tr("Created %1").arg(QFileInfo(path).fileName()), false);
        openModel(path, true);
    });
}

QStringList Workbench::pageIds() {
    return {QStringLiteral("model"), QStringLiteral("compress"), QStringLiteral("playground"), QStringLiteral("profile"),
            QStringLiteral("runs")};
}

QVariantList Workbench::pages() const {
    auto page = [](const char* id, const QString& title, const QString& subtitle, bool ready, const QString& arrives) {
        return QVariantMap{{"id", QString::fromLatin1(id)}, {"title", title}, {"subtitle", subtitle},
                           {"ready", ready}, {"arrives", arrives}};
    };
    return {
        page("model", tr("Model"), tr("Open, inspect, load"), true, {}),
        page("compress", tr("Compress"), tr("Quantize, prune"), true, {}),
        page("playground", tr("Playground"), tr("Generate and measure"), true, {}),
        page("profile", tr("Profile"), tr("Time and memory"), true, {}),
        page("runs", tr("Runs"), tr("Compare traces"), true, {}),
    };
}

void Workbench::setPage(const QString& id) {
    if (id == page_ || !pageIds().contains(id)) return;
    page_ = id;
    emit pageChanged();
}

void Workbench::setKioskMode(bool on) {
    if (on == kiosk_mode_) return;
    kiosk_mode_ = on;
    emit kioskModeChanged();
}

void Workbench::setThreads(int n) {
    n = std::clamp(n, 0, 1024);
    if (n == threads_) return;
    threads_ = n;
    model_.setThreads(n);
    generator_.setThreads(n);
    compressed_generator_.setThreads(n);
    profile_.setThreads(n);
    compress_.setThreads(n);
    emit threadsChanged();
}

int Workbench::effectiveThreads() const { return threads_ > 0 ? threads_ : ThreadPool::hardware_threads(); }

QString Workbench::version() const { return QCoreApplication::applicationVersion(); }

void Workbench::openModel(const QString& path_or_url, bool load_after) {
    model_.open(path_or_url, load_after);
    setPage(QStringLiteral("model"));
}

}  // namespace pareto::gui

namespace pareto::gui {

void Workbench::openFile(const QString& path_or_url) {
    const QString suffix = QFileInfo(local_path(path_or_url)).suffix().toLower();
    if (suffix == QLatin1String("h5") || suffix == QLatin1String("hdf5")) openTraces(path_or_url);
    else openModel(path_or_url, false);
}

void Workbench::openTraces(const QVariant& paths_or_urls) {
    runs_.open(paths_or_urls);
    setPage(QStringLiteral("runs"));
}

}  // namespace pareto::gui

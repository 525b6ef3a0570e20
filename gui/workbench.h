#pragma once
// The root of what QML sees: one object per area of the workbench, wired together.
// Main.qml receives it as its `workbench` property; pages receive the parts they
// show. Later areas (compression, profiler, trace runs: issues 5 and 6) become
// further members here and further pages in pageIds().
#include <QObject>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "gui/compress_controller.h"
#include "gui/demo_model_controller.h"
#include "gui/generator.h"
#include "gui/kiosk_controller.h"
#include "gui/model_controller.h"
#include "gui/profile_controller.h"
#include "gui/recent_models.h"
#include "gui/runs_controller.h"
#include "gui/side_by_side.h"
#include "gui/system_status.h"

namespace pareto::gui {

class Workbench : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(ModelController* model READ model CONSTANT)
    Q_PROPERTY(Generator* generator READ generator CONSTANT)
    // The Compress page's result generating in the Playground's second pane.
    Q_PROPERTY(Generator* compressedGenerator READ compressedGenerator CONSTANT)
    Q_PROPERTY(SideBySide* sideBySide READ sideBySide CONSTANT)
    Q_PROPERTY(DemoModelController* demo READ demo CONSTANT)
    Q_PROPERTY(RecentModels* recent READ recent CONSTANT)
    Q_PROPERTY(SystemStatus* system READ system CONSTANT)
    Q_PROPERTY(KioskController* kiosk READ kiosk CONSTANT)
    Q_PROPERTY(ProfileController* profiler READ profiler CONSTANT)
    Q_PROPERTY(RunsController* traces READ traces CONSTANT)
    Q_PROPERTY(CompressController* compressor READ compressor CONSTANT)
    Q_PROPERTY(QString page READ page WRITE setPage NOTIFY pageChanged)
    Q_PROPERTY(QVariantList pages READ pages CONSTANT)
    Q_PROPERTY(bool kioskMode READ kioskMode WRITE setKioskMode NOTIFY kioskModeChanged)
    Q_PROPERTY(int threads READ threads WRITE setThreads NOTIFY threadsChanged)
    Q_PROPERTY(int effectiveThreads READ effectiveThreads NOTIFY threadsChanged)
    Q_PROPERTY(QString version READ version CONSTANT)

public:
    // Settings from QSettings' default place (the user's), or from `settings_file`
    // (an INI file: tests, screenshots). Demo models go to `demo_folder` ("" : the
    // app's data folder).
    explicit Workbench(QObject* parent = nullptr);
    Workbench(const QString& settings_file, const QString& demo_folder, QObject* parent = nullptr);
    ~Workbench() override;

    // Page ids in sidebar order.
    static QStringList pageIds();

    ModelController* model() { return &model_; }
    Generator* generator() { return &generator_; }
    Generator* compressedGenerator() { return &compressed_generator_; }
    SideBySide* sideBySide() { return &side_by_side_; }
    DemoModelController* demo() { return &demo_; }
    RecentModels* recent() { return &recent_; }
    SystemStatus* system() { return &system_; }
    KioskController* kiosk() { return &kiosk_; }
    ProfileController* profiler() { return &profile_; }
    RunsController* traces() { return &runs_; }
    CompressController* compressor() { return &compress_; }

    QString page() const { return page_; }
    void setPage(const QString& id);
    // [{id, title, subtitle, ready, arrives}] — `ready` false: the page shows what is
    // coming and with what, never made-up data.
    QVariantList pages() const;
    bool kioskMode() const { return kiosk_mode_; }
    void setKioskMode(bool on);
    int threads() const { return threads_; }
    void setThreads(int n);
    int effectiveThreads() const;
    QString version() const;

    // A file (path or URL) from the dialog, a drop or the recent list: open it and
    // show the Model page.
    Q_INVOKABLE void openModel(const QString& path_or_url, bool load_after = false);
    // A dropped or picked file: an HDF5 trace (.h5, .hdf5) opens on the Runs page,
    // anything else as a model.
    Q_INVOKABLE void openFile(const QString& path_or_url);
    // Trace files (paths or URLs) on the Runs page.
    Q_INVOKABLE void openTraces(const QVariant& paths_or_urls);

signals:
    void pageChanged();
    void kioskModeChanged();
    void threadsChanged();
    // Something went wrong that the user should see wherever they are.
    void notification(const QString& message, bool error);

private:
    void wire();

    std::unique_ptr<QSettings> settings_;
    QString page_ = QStringLiteral("model");
    bool kiosk_mode_ = false;
    int threads_ = 0;
    RecentModels recent_;
    SystemStatus system_;
    ModelController model_;
    Generator generator_;
    Generator compressed_generator_;
    SideBySide side_by_side_{&generator_, &compressed_generator_};
    DemoModelController demo_;
    CompressController compress_;  // before the kiosk, which cycles its presets
    KioskController kiosk_;
    ProfileController profile_;
    RunsController runs_;
};

}  // namespace pareto::gui

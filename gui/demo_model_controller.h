#pragma once
// The first-run screen's "create a demo model": a real architecture's shapes with
// random weights (engine/model/synth.h, as `pareto-cli synth`), written in a worker
// with progress and Cancel, then opened. Demo models go to the app's data folder
// unless the user names another file.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include "gui/task_runner.h"

namespace pareto::gui {

class DemoModelController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(QVariantList presets READ presets CONSTANT)
    Q_PROPERTY(QStringList types READ types CONSTANT)
    Q_PROPERTY(QString preset READ preset WRITE setPreset NOTIFY selectionChanged)
    Q_PROPERTY(QString type READ type WRITE setType NOTIFY selectionChanged)
    Q_PROPERTY(QString outputPath READ outputPath WRITE setOutputPath NOTIFY selectionChanged)
    Q_PROPERTY(double plannedBytes READ plannedBytes NOTIFY planChanged)
    Q_PROPERTY(double plannedParams READ plannedParams NOTIFY planChanged)
    Q_PROPERTY(bool running READ running NOTIFY runningChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QString stage READ stage NOTIFY progressChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

public:
    static constexpr const char* kDefaultPreset = "smollm2-135m";
    static constexpr const char* kDefaultType = "Q8_0";

    // Demo models are written to `folder` by default ("" : the app's data folder).
    explicit DemoModelController(QString folder = {}, QObject* parent = nullptr);

    // [{name, description, arch, layers, hidden, heads, kvHeads, headDim, ffn, vocab, context}]
    QVariantList presets() const;
    QStringList types() const;
    QString preset() const { return preset_; }
    QString type() const { return type_; }
    QString outputPath() const;
    void setPreset(const QString& p);
    void setType(const QString& t);
    // An empty path returns to the default file name in the default folder.
    void setOutputPath(const QString& p);
    double plannedBytes() const { return planned_bytes_; }   // -1 while unknown
    double plannedParams() const { return planned_params_; }
    bool running() const { return running_; }
    double progress() const { return progress_; }
    QString stage() const { return stage_; }
    QString error() const { return error_; }
    QString folder() const { return folder_; }

    Q_INVOKABLE void create();
    Q_INVOKABLE void cancel();

signals:
    void selectionChanged();
    void planChanged();
    void runningChanged();
    void progressChanged();
    void errorChanged();
    void created(const QString& path);
    void failed(const QString& message);

private:
    void plan();
    void setError(const QString& e);

    QString folder_, preset_ = QString::fromLatin1(kDefaultPreset), type_ = QString::fromLatin1(kDefaultType);
    QString custom_path_;
    double planned_bytes_ = -1, planned_params_ = -1;
    int plan_id_ = 0;
    bool running_ = false;
    double progress_ = 0;
    QString stage_, error_;
    TaskRunner planner_{QStringLiteral("demo planner")};
    TaskRunner runner_{QStringLiteral("demo writer")};  // last: see task_runner.h
};

}  // namespace pareto::gui

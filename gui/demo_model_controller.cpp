#include "gui/demo_model_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStorageInfo>
#include <QUrl>

#include "gui/format.h"
#include "model/synth.h"
#include "util/error.h"

namespace pareto::gui {
namespace {

QString qs(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

SynthOptions options_for(const QString& preset, const QString& type) {
    SynthOptions o;
    o.preset = preset.toStdString();
    o.type = type.toStdString();
    o.name = "demo " + o.preset + " " + o.type + " (random weights)";
    return o;
}

}  // namespace

DemoModelController::DemoModelController(QString folder, QObject* parent)
    : QObject(parent), folder_(std::move(folder)) {
    if (folder_.isEmpty())
        folder_ = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/models");
    plan();
}

QVariantList DemoModelController::presets() const {
    QVariantList list;
    for (const SynthPreset& p : synth_presets())
        list.append(QVariantMap{
            {"name", qs(p.name)},
            {"description", qs(p.description)},
            {"arch", QString::fromLatin1(arch_name(p.arch))},
            {"layers", static_cast<qint64>(p.n_layer)},
            {"hidden", static_cast<qint64>(p.n_embd)},
            {"heads", static_cast<qint64>(p.n_head)},
            {"kvHeads", static_cast<qint64>(p.n_head_kv)},
            {"headDim", static_cast<qint64>(p.head_dim)},
            {"ffn", static_cast<qint64>(p.n_ff)},
            {"vocab", static_cast<qint64>(p.n_vocab)},
            {"context", static_cast<qint64>(p.n_ctx_train)},
        });
    return list;
}

QStringList DemoModelController::types() const {
    return QString::fromStdString(synth_type_names()).split(QStringLiteral(", "), Qt::SkipEmptyParts);
}

QString DemoModelController::outputPath() const {
    if (!custom_path_.isEmpty()) return custom_path_;
    return folder_ + '/' + preset_ + '-' + type_.toLower() + QStringLiteral(".gguf");
}

void DemoModelController::setPreset(const QString& p) {
    if (p == preset_) return;
    preset_ = p;
    emit selectionChanged();
    plan();
}

void DemoModelController::setType(const QString& t) {
    if (t == type_) return;
    type_ = t;
    emit selectionChanged();
    plan();
}

void DemoModelController::setOutputPath(const QString& p) {
    const QString path = p.startsWith(QStringLiteral("file:")) ? QUrl(p).toLocalFile() : p.trimmed();
    if (path == custom_path_) return;
    custom_path_ = path == outputPath() && custom_path_.isEmpty() ? QString() : path;
    emit selectionChanged();
}

void DemoModelController::setError(const QString& e) {
    if (e == error_) return;
    error_ = e;
    emit errorChanged();
}

// The size of the file the selection would write: planning builds the metadata
// and vocabulary (a moment for large vocabularies), so it runs in a worker.
void DemoModelController::plan() {
    const int id = ++plan_id_;
    planned_bytes_ = planned_params_ = -1;
    emit planChanged();
    planner_.cancel();
    auto result = std::make_shared<std::pair<double, double>>(-1, -1);
    planner_.start(
        [result, o = options_for(preset_, type_)](TaskContext&) {
            const ModelSynthesizer synth(o);
            *result = {static_cast<double>(synth.summary().file_bytes), static_cast<double>(synth.summary().n_params)};
        },
        {.done =
             [this, id, result] {
                 if (id != plan_id_) return;
                 planned_bytes_ = result->first;
                 planned_params_ = result->second;
                 setError({});
                 emit planChanged();
             },
         .failed =
             [this, id](const QString& m) {
                 if (id == plan_id_) setError(m);
             }});
}

void DemoModelController::create() {
    if (running_) return;
    const QString path = outputPath();
    setError({});
    const QFileInfo fi(path);
    if (!QDir().mkpath(fi.absolutePath())) {
        setError(tr("%1: cannot create the folder").arg(fi.absolutePath()));
        emit failed(error_);
        return;
    }
    // Refuse early, before the writing, when the file cannot fit.
    const QStorageInfo storage(fi.absolutePath());
    if (planned_bytes_ > 0 && storage.isValid() && storage.bytesAvailable() >= 0 &&
        static_cast<double>(storage.bytesAvailable()) < planned_bytes_ + 64.0 * 1024 * 1024) {
        setError(tr("%1: not enough free space (%2 needed, %3 free)")
                     .arg(path, format_bytes(planned_bytes_), format_bytes(static_cast<double>(storage.bytesAvailable()))));
        emit failed(error_);
        return;
    }
    running_ = true;
    progress_ = 0;
    stage_ = tr("Planning %1").arg(preset_);
    emit runningChanged();
    emit progressChanged();
    runner_.start(
        [o = options_for(preset_, type_), p = path.toStdString()](TaskContext& ctx) {
            ModelSynthesizer synth(o);
            ctx.check_cancelled();
            synth.write(p, [&](const SynthProgress& sp) {
                ctx.check_cancelled();  // throws out of write(), which removes its temporary file
                ctx.progress(sp.bytes_total ? static_cast<double>(sp.bytes_done) / static_cast<double>(sp.bytes_total) : -1,
                             QObject::tr("Writing %1").arg(QString::fromUtf8(sp.tensor.data(), static_cast<qsizetype>(sp.tensor.size()))));
            });
        },
        {.done =
             [this, path] {
                 running_ = false;
                 progress_ = 1;
                 emit runningChanged();
                 emit progressChanged();
                 emit created(path);
             },
         .failed =
             [this](const QString& m) {
                 running_ = false;
                 emit runningChanged();
                 setError(m);
                 emit failed(m);
             },
         .cancelled =
             [this] {
                 running_ = false;
                 stage_ = tr("Cancelled");
                 emit runningChanged();
                 emit progressChanged();
             },
         .progress =
             [this](double f, const QString& s) {
                 progress_ = f;
                 stage_ = s;
                 emit progressChanged();
             }});
}

void DemoModelController::cancel() {
    if (running_) runner_.cancel();
}

}  // namespace pareto::gui

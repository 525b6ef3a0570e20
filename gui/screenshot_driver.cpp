#include "gui/screenshot_driver.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QQuickItem>
#include <QQuickWindow>
#include <QDir>

#include <cstdio>

#include "gui/workbench.h"

namespace pareto::gui {
namespace {

bool really_visible(const QQuickItem* item, const QQuickWindow* window) {
    if (!item->isVisible() || item->width() <= 0 || item->height() <= 0) return false;
    for (const QQuickItem* p = item; p; p = p->parentItem())
        if (p->opacity() <= 0.01) return false;
    const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    return r.intersects(QRectF(0, 0, window->width(), window->height()));
}

void collect(QQuickItem* item, const QQuickWindow* window, QStringList& seen) {
    if (!item->objectName().isEmpty() && really_visible(item, window)) seen << item->objectName();
    for (QQuickItem* child : item->childItems()) collect(child, window, seen);
}

}  // namespace

ScreenshotDriver::ScreenshotDriver(QQuickWindow* window, Workbench* workbench, AppOptions options, QObject* parent)
    : QObject(parent), window_(window), workbench_(workbench), options_(std::move(options)) {
    timeout_.setSingleShot(true);
    connect(&timeout_, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("screenshot: gave up after %1 s waiting for the page's work").arg(options_.timeout_s));
    });
}

QStringList ScreenshotDriver::missingItems(QQuickItem* root, const QStringList& names) {
    QStringList seen, missing;
    if (root) collect(root, root->window(), seen);
    for (const QString& n : names)
        if (!seen.contains(n)) missing << n;
    return missing;
}

void ScreenshotDriver::fail(const QString& message, int status) {
    if (done_) return;
    done_ = true;
    std::fprintf(stderr, "pareto: %s\n", qPrintable(message));
    std::fflush(stderr);
    QCoreApplication::exit(status);
}

void ScreenshotDriver::start() {
    clock_.start();
    timeout_.start(options_.timeout_s * 1000);
    report_["page"] = options_.kiosk ? QStringLiteral("kiosk") : workbench_->page();
    ModelController* model = workbench_->model();
    if (options_.kiosk) {
        KioskController* kiosk = workbench_->kiosk();
        connect(kiosk, &KioskController::cycleFinished, this, [this](int cycles) {
            if (cycles >= options_.kiosk_cycles) afterWork();
        });
        return;  // main.cpp starts the loop
    }
    if (options_.model.isEmpty()) {
        afterModel();
        return;
    }
    connect(model, &ModelController::modelLoaded, this, &ScreenshotDriver::afterModel, Qt::SingleShotConnection);
    connect(model, &ModelController::failed, this, [this](const QString& m) { fail(m, 2); });
    model->open(options_.model, /*load_after=*/true);
}

void ScreenshotDriver::afterModel() {
    Generator* gen = workbench_->generator();
    const QString page = workbench_->page();
    if (page == QLatin1String("profile")) return profilePage();
    if (page == QLatin1String("runs") && !options_.traces.isEmpty()) return runsPage();
    if (page == QLatin1String("compress") && !options_.model.isEmpty()) return compressPage();
    if (page != QLatin1String("playground") || options_.prompt.isEmpty() || options_.model.isEmpty()) {
        afterWork();
        return;
    }
    connect(gen, &Generator::failed, this, [this](const QString& m) { fail(QStringLiteral("generation failed: ") + m, 2); });
    if (options_.compare) return comparePlayground();
    connect(gen, &Generator::finished, this, [this, gen] {
        if (gen->stopReason() != QLatin1String("error")) afterWork();
    });
    if (!gen->start(options_.prompt)) return fail(gen->error(), 2);
    if (gen->chatMode()) gen->setDraft({});  // sent, as the Send button does
}

// Side by side: the loaded model compressed with --preset in memory (no evaluation),
// then the prompt on both, one after the other.
void ScreenshotDriver::comparePlayground() {
    CompressController* cc = workbench_->compressor();
    SideBySide* sbs = workbench_->sideBySide();
    Generator* other = workbench_->compressedGenerator();
    connect(other, &Generator::failed, this, [this](const QString& m) { fail(QStringLiteral("compressed model's generation failed: ") + m, 2); });
    connect(sbs, &SideBySide::finished, this, [this, other] {
        report_["compressed_model"] = other->modelName();
        report_["compressed_text"] = other->text();
        report_["compressed_tokens"] = other->generatedTokens();
        afterWork();
    });
    auto run = [this, sbs] {
        if (!sbs->start(options_.prompt)) fail(workbench_->generator()->error(), 2);
    };
    if (options_.preset.isEmpty()) return run();  // the second pane says how to make a compressed model
    if (!cc->grid()->applyPreset(options_.preset))
        return fail(QStringLiteral("--preset: unknown preset '%1' (presets: %2)")
                        .arg(options_.preset, cc->grid()->presetNames().join(QStringLiteral(", "))),
                    2);
    connect(cc, &CompressController::failed, this, [this](const QString& m) { fail(m, 2); });
    connect(cc, &CompressController::applied, this, run, Qt::SingleShotConnection);
    cc->apply();
}

void ScreenshotDriver::profilePage() {
    ProfileController* prof = workbench_->profiler();
    const bool profile = !options_.model.isEmpty() && !options_.prompt.isEmpty();
    if (!profile && options_.traces.isEmpty()) return afterWork();  // the page as it is
    connect(prof, &ProfileController::finished, this, [this, prof] {
        report_["run"] = prof->runInfo().value(QStringLiteral("name")).toString();
        report_["ops"] = prof->opCount();
        report_["steps"] = prof->stepCount();
        report_["trace"] = prof->runInfo().value(QStringLiteral("source")).toString();
        afterWork();
    });
    connect(prof, &ProfileController::failed, this, [this](const QString& m) { fail(m, 2); });
    if (profile) {
        if (!prof->profile()) fail(prof->error(), 2);
    } else {
        prof->openRun(options_.traces.first());
    }
}

void ScreenshotDriver::compressPage() {
    CompressController* cc = workbench_->compressor();
    if (!options_.preset.isEmpty() && !cc->grid()->applyPreset(options_.preset))
        return fail(QStringLiteral("--preset: unknown preset '%1' (presets: %2)")
                        .arg(options_.preset, cc->grid()->presetNames().join(QStringLiteral(", "))),
                    2);
    report_["estimated_bytes"] = cc->grid()->estimatedBytes();
    if (options_.calibration.isEmpty()) return afterWork();
    cc->setCalibrationPath(options_.calibration);
    cc->setEvalChunks(2);
    connect(cc, &CompressController::failed, this, [this](const QString& m) { fail(m, 2); });
    connect(cc, &CompressController::applied, this, [this, cc] {
        report_["result_bytes"] = cc->resultBytes();
        report_["kl"] = cc->klMean();
        afterWork();
    });
    connect(cc, &CompressController::scanned, this, [this, cc] {
        report_["max_sensitivity"] = cc->grid()->maxSensitivity();
        cc->apply();
    }, Qt::SingleShotConnection);
    cc->scanSensitivity();
}

void ScreenshotDriver::runsPage() {
    RunsController* runs = workbench_->traces();
    connect(runs, &RunsController::idle, this, [this, runs] {
        if (!runs->error().isEmpty()) return fail(runs->error(), 2);
        report_["runs"] = runs->runs()->count();
        report_["compared"] = runs->hasComparison();
        afterWork();
    });
    runs->open(options_.traces);
}

void ScreenshotDriver::afterWork() {
    if (done_) return;
    Generator* gen = workbench_->generator();
    if (gen->runs() > 0) {
        report_["prompt_text"] = gen->promptText();
        report_["generated_text"] = gen->text();
        report_["generated_tokens"] = gen->generatedTokens();
        report_["prompt_tokens"] = gen->promptTokens();
        report_["stop"] = gen->stopReason();
        report_["seed"] = gen->lastSeed();
        if (gen->chatMode()) {
            report_["chat_template"] = gen->chatInfo();
            report_["turns"] = gen->conversation()->count();
            const QModelIndex last = gen->conversation()->index(gen->conversation()->count() - 1);
            report_["reasoning"] = last.data(ChatModel::ReasoningRole).toString();
            report_["answer"] = last.data(ChatModel::TextRole).toString();
        }
    }
    report_["model_state"] = QString::fromLatin1(
        QMetaEnum::fromType<ModelController::State>().valueToKey(workbench_->model()->state()));
    // Let bindings, layouts and the last text update reach the scene (a few frames).
    QTimer::singleShot(400, this, &ScreenshotDriver::capture);
}

void ScreenshotDriver::capture() {
    if (done_) return;
    const QImage image = window_->grabWindow();
    if (image.isNull()) return fail(QStringLiteral("screenshot: the window could not be grabbed"));
    const QStringList missing = missingItems(window_->contentItem(), options_.expect);
    if (!missing.isEmpty())
        return fail(QStringLiteral("screenshot: expected items not visible on page '%1': %2")
                        .arg(report_["page"].toString(), missing.join(QStringLiteral(", "))),
                    3);
    if (!warnings_.isEmpty())
        return fail(QStringLiteral("screenshot: QML warnings while rendering:\n  ") + warnings_.join(QStringLiteral("\n  ")), 4);
    const QFileInfo out(options_.screenshot);
    QDir().mkpath(out.absolutePath());
    if (!image.save(options_.screenshot, "PNG"))
        return fail(QStringLiteral("screenshot: cannot write %1").arg(options_.screenshot));
    report_["screenshot"] = out.absoluteFilePath();
    report_["width"] = image.width();
    report_["height"] = image.height();
    report_["items"] = QJsonArray::fromStringList(options_.expect);
    report_["ms"] = static_cast<double>(clock_.elapsed());
    done_ = true;
    std::fprintf(stdout, "%s\n", QJsonDocument(report_).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
    QCoreApplication::exit(0);
}

}  // namespace pareto::gui

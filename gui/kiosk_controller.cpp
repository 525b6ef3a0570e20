#include "gui/kiosk_controller.h"

#include <QFileInfo>

#include <algorithm>

#include "gui/demo_model_controller.h"
#include "gui/generator.h"
#include "gui/model_controller.h"
#include "gui/recent_models.h"

namespace pareto::gui {
namespace {
constexpr int kMaxWaitMs = 60000;
constexpr int kLoadFailuresBeforeDemo = 3;
}  // namespace

QStringList KioskController::defaultPrompts() {
    // Short openings that small story and chat models both continue sensibly.
    return {
        QStringLiteral("Once upon a time, in a small village by the sea,"),
        QStringLiteral("The little robot looked at the stars and said"),
        QStringLiteral("Lily found a shiny key in the garden. She"),
        QStringLiteral("Here is a short story about a brave cat:"),
        QStringLiteral("The best way to learn something new is"),
    };
}

KioskController::KioskController(ModelController* model, Generator* generator, DemoModelController* demo,
                                 RecentModels* recent, QObject* parent)
    : QObject(parent), model_(model), generator_(generator), demo_(demo), recent_(recent) {
    wait_timer_.setSingleShot(true);
    connect(&wait_timer_, &QTimer::timeout, this, &KioskController::afterWait);
    watchdog_.setSingleShot(true);
    connect(&watchdog_, &QTimer::timeout, this, [this] {
        if (state_ != Generating) return;
        generator_->cancel();
        recover(tr("The generation took longer than %1 s; moving on").arg(generation_timeout_ms_ / 1000));
    });
    // Queued: whoever hands the loaded model to the generator (the Workbench) goes first.
    connect(model_, &ModelController::modelLoaded, this, &KioskController::onModelLoaded, Qt::QueuedConnection);
    connect(model_, &ModelController::failed, this, &KioskController::onModelFailed);
    connect(generator_, &Generator::finished, this, &KioskController::onGenerationFinished);
    connect(generator_, &Generator::failed, this, &KioskController::onGenerationFailed);
    connect(demo_, &DemoModelController::created, this, &KioskController::onDemoCreated);
    connect(demo_, &DemoModelController::failed, this, [this](const QString& m) {
        if (state_ == Preparing) recover(tr("Could not create the demo model: %1").arg(m));
    });
}

void KioskController::setPrompts(const QStringList& p) {
    QStringList clean;
    for (const QString& s : p)
        if (!s.trimmed().isEmpty()) clean << s;
    if (clean.isEmpty()) clean = defaultPrompts();
    if (clean == prompts_) return;
    prompts_ = clean;
    prompt_index_ = -1;
    emit promptsChanged();
    emit promptChanged();
}

void KioskController::setPauseMs(int ms) {
    ms = std::clamp(ms, 0, 600000);
    if (ms == pause_ms_) return;
    pause_ms_ = ms;
    emit timingChanged();
}

void KioskController::setState(State s, const QString& message) {
    if (s == state_ && message == message_) return;
    state_ = s;
    message_ = message;
    emit stateChanged();
}

void KioskController::start(const QString& model_path) {
    model_path_ = model_path.isEmpty() ? QString() : QFileInfo(ModelController::localPath(model_path)).absoluteFilePath();
    cycles_ = errors_ = consecutive_errors_ = 0;
    paused_ = false;
    emit cyclesChanged();
    emit errorsChanged();
    setState(Preparing, tr("Starting"));
    prepareModel();
}

void KioskController::stop() {
    wait_timer_.stop();
    watchdog_.stop();
    if (state_ == Generating) generator_->cancel();
    setState(Idle);
}

void KioskController::prepareModel() {
    const bool wanted_is_loaded =
        model_->loaded() && (model_path_.isEmpty() || QFileInfo(model_->path()).absoluteFilePath() == model_path_);
    if (wanted_is_loaded) {
        generateNext();
        return;
    }
    QString path = model_path_;
    if (path.isEmpty() && model_->hasInfo()) path = model_->path();
    if (path.isEmpty() && consecutive_errors_ < kLoadFailuresBeforeDemo)
        for (const QString& p : recent_->paths())
            if (QFileInfo::exists(p)) {
                path = p;
                break;
            }
    if (path.isEmpty() || consecutive_errors_ >= kLoadFailuresBeforeDemo) {
        // Nothing to load, or what there is keeps failing: a demo model of real shapes.
        demo_->setPreset(QString::fromLatin1(DemoModelController::kDefaultPreset));
        demo_->setType(QString::fromLatin1(DemoModelController::kDefaultType));
        demo_->setOutputPath({});
        if (QFileInfo::exists(demo_->outputPath())) {
            path = demo_->outputPath();
        } else {
            setState(Preparing, tr("Creating a demo model (%1)").arg(demo_->preset()));
            demo_->create();
            return;
        }
    }
    model_path_ = path;
    setState(Preparing, tr("Loading %1").arg(QFileInfo(path).fileName()));
    model_->open(path, /*load_after=*/true);
}

void KioskController::onDemoCreated(const QString& path) {
    if (state_ != Preparing) return;
    model_path_ = path;
    setState(Preparing, tr("Loading %1").arg(QFileInfo(path).fileName()));
    model_->open(path, true);
}

void KioskController::onModelLoaded() {
    if (state_ == Preparing) generateNext();
}

void KioskController::onModelFailed(const QString& message) {
    if (state_ == Preparing) recover(tr("Could not load the model: %1").arg(message));
}

void KioskController::generateNext() {
    if (paused_) {
        wait(0, Showing, tr("Paused"));
        return;
    }
    prompt_index_ = (prompt_index_ + 1) % static_cast<int>(prompts_.size());
    emit promptChanged();
    if (!generator_->start(prompt())) {
        recover(generator_->error());
        return;
    }
    setState(Generating);
    watchdog_.start(generation_timeout_ms_);
}

void KioskController::onGenerationFinished() {
    if (state_ != Generating) return;
    if (generator_->stopReason() == QLatin1String("error")) return;  // onGenerationFailed follows
    watchdog_.stop();
    consecutive_errors_ = 0;
    ++cycles_;
    emit cyclesChanged();
    emit cycleFinished(cycles_);
    wait(skip_wait_ ? 0 : pause_ms_, Showing, {});
    skip_wait_ = false;
}

void KioskController::onGenerationFailed(const QString& message) {
    if (state_ != Generating) return;
    watchdog_.stop();
    recover(tr("The generation failed: %1").arg(message));
}

void KioskController::recover(const QString& what) {
    ++errors_;
    ++consecutive_errors_;
    emit errorsChanged();
    emit recovered(errors_, what);
    const int shift = std::min(consecutive_errors_ - 1, 8);
    wait(std::min(kMaxWaitMs, retry_ms_ << shift), Recovering, what);
}

void KioskController::wait(int ms, State s, const QString& message) {
    wait_ms_ = ms;
    setState(s, message);
    emit stateChanged();  // waitMs, even when the state is the same
    if (!paused_) wait_timer_.start(ms);
}

void KioskController::afterWait() {
    if (paused_ || state_ == Idle) return;
    if (!model_->loaded()) {
        setState(Preparing, tr("Reloading the model"));
        prepareModel();
        return;
    }
    generateNext();
}

void KioskController::pause() {
    if (paused_ || state_ == Idle) return;
    paused_ = true;
    wait_timer_.stop();
    emit stateChanged();
}

void KioskController::resume() {
    if (!paused_) return;
    paused_ = false;
    emit stateChanged();
    if (state_ == Showing || state_ == Recovering) afterWait();
}

void KioskController::next() {
    if (state_ == Idle) return;
    paused_ = false;
    if (state_ == Generating) {
        watchdog_.stop();
        skip_wait_ = true;
        generator_->cancel();  // its finished() then goes straight on
        emit stateChanged();
        return;
    }
    if (state_ == Showing || state_ == Recovering) {
        wait_timer_.stop();
        emit stateChanged();
        afterWait();
    }
}

}  // namespace pareto::gui

#include "gui/kiosk_controller.h"

#include <QFileInfo>

#include <algorithm>

#include "gui/compress_controller.h"
#include "gui/compress_grid_model.h"
#include "gui/demo_model_controller.h"
#include "gui/pareto_front.h"
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

QStringList KioskController::defaultPresets() {
    return {QStringLiteral("base"), QStringLiteral("q8_0"), QStringLiteral("q4_0"), QStringLiteral("q4_k_m")};
}

KioskController::KioskController(ModelController* model, Generator* generator, DemoModelController* demo,
                                 RecentModels* recent, CompressController* compress, QObject* parent)
    : QObject(parent), model_(model), generator_(generator), demo_(demo), recent_(recent), compress_(compress) {
    wait_timer_.setSingleShot(true);
    connect(&wait_timer_, &QTimer::timeout, this, &KioskController::afterWait);
    watchdog_.setSingleShot(true);
    connect(&watchdog_, &QTimer::timeout, this, [this] {
        if (state_ == Compressing) {
            compress_->cancel();
            recover(tr("Compressing took longer than %1 s; moving on").arg(generation_timeout_ms_ / 1000));
            return;
        }
        if (state_ != Generating) return;
        generator_->cancel();
        recover(tr("The generation took longer than %1 s; moving on").arg(generation_timeout_ms_ / 1000));
    });
    if (compress_) {
        connect(compress_, &CompressController::applied, this, &KioskController::onCompressed);
        connect(compress_, &CompressController::failed, this, [this](const QString& m) {
            if (state_ != Compressing) return;
            watchdog_.stop();
            recover(tr("Could not compress to %1: %2").arg(preset(), m));
        });
    }
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

void KioskController::setPresets(const QStringList& p) {
    if (p == presets_) return;
    presets_ = p;
    preset_index_ = -1;
    points_.clear();
    emit presetsChanged();
    emit presetChanged();
    emit pointsChanged();
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
    generator_->setChatMode(false);  // the sample prompts are openings to continue, not messages
    emit cyclesChanged();
    emit errorsChanged();
    setState(Preparing, tr("Starting"));
    prepareModel();
}

void KioskController::stop() {
    wait_timer_.stop();
    watchdog_.stop();
    if (state_ == Generating) generator_->cancel();
    if (state_ == Compressing) compress_->cancel();
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
    // Another base model: the compressed ones and their points were of the last.
    compressed_.clear();
    if (!points_.empty()) {
        points_.clear();
        emit pointsChanged();
    }
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
    if (compress_ && !presets_.isEmpty()) {
        preset_index_ = (preset_index_ + 1) % static_cast<int>(presets_.size());
        runPreset();
        return;
    }
    generateOn(model_->loadedModel(), model_->weightBytes());
}

void KioskController::runPreset() {
    const QString name = preset();
    if (name == QLatin1String("base")) return generateOn(model_->loadedModel(), model_->weightBytes());
    if (auto it = compressed_.find(name); it != compressed_.end())
        return generateOn(it->second.first, it->second.second);
    emit presetChanged();
    if (!compress_->grid()->applyPreset(name)) {
        recover(tr("Unknown compression preset '%1' (presets: %2)")
                    .arg(name, compress_->grid()->presetNames().join(QStringLiteral(", "))));
        return;
    }
    compress_->setPruneMethod(QStringLiteral("none"));
    compress_->setCalibrationPath({});  // size and speed only: no evaluation text to read
    setState(Compressing, tr("Compressing to %1").arg(name));
    compress_->apply();
    if (!compress_->busy()) {
        recover(compress_->error().isEmpty() ? tr("Could not compress to %1").arg(name) : compress_->error());
        return;
    }
    watchdog_.start(generation_timeout_ms_);
}

void KioskController::onCompressed() {
    if (state_ != Compressing) return;
    watchdog_.stop();
    compressed_[preset()] = {compress_->result(), compress_->resultBytes()};
    generateOn(compress_->result(), compress_->resultBytes());
}

void KioskController::generateOn(LoadedModelPtr model, double bytes) {
    if (!model) {
        setState(Preparing, tr("Reloading the model"));
        prepareModel();
        return;
    }
    generator_->setModel(std::move(model));
    model_bytes_ = bytes;
    emit presetChanged();
    if (!generator_->start(prompt())) {
        recover(generator_->error());
        return;
    }
    setState(Generating);
    watchdog_.start(generation_timeout_ms_);
}

void KioskController::recordPoint() {
    if (preset_index_ < 0 || !compress_ || generator_->tokensPerSecond() <= 0) return;
    const QString label = preset() == QLatin1String("base") ? tr("base") : preset();
    auto it = std::find_if(points_.begin(), points_.end(), [&](const ModelPoint& p) { return p.label == label; });
    if (it == points_.end()) {
        points_.push_back(ModelPoint{.label = label});
        it = points_.end() - 1;
    }
    it->size_bytes = model_bytes_;
    it->tokens_per_s = std::max(it->tokens_per_s, generator_->tokensPerSecond());  // its best, as on the Runs page
    ++it->runs;
    std::vector<ParetoPoint> pp;
    for (const ModelPoint& p : points_) pp.push_back({p.size_bytes, p.tokens_per_s});
    const std::vector<bool> front = pareto_front(pp);
    for (size_t i = 0; i < points_.size(); ++i) points_[i].front = front[i];
    emit pointsChanged();
}

void KioskController::onGenerationFinished() {
    if (state_ != Generating) return;
    if (generator_->stopReason() == QLatin1String("error")) return;  // onGenerationFailed follows
    watchdog_.stop();
    consecutive_errors_ = 0;
    if (!skip_wait_) recordPoint();  // a run cut short by Next is no measurement
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

#include "gui/side_by_side.h"

#include <random>

#include "gui/generator.h"

namespace pareto::gui {

SideBySide::SideBySide(Generator* baseline, Generator* compressed, QObject* parent)
    : QObject(parent), baseline_(baseline), compressed_(compressed) {
    connect(baseline_, &Generator::modelChanged, this, &SideBySide::availableChanged);
    connect(compressed_, &Generator::modelChanged, this, &SideBySide::availableChanged);
    connect(baseline_, &Generator::runningChanged, this, &SideBySide::runningChanged);
    connect(compressed_, &Generator::runningChanged, this, &SideBySide::runningChanged);
    connect(baseline_, &Generator::finished, this, &SideBySide::onBaselineFinished);
    connect(compressed_, &Generator::finished, this, &SideBySide::onCompressedFinished);
}

bool SideBySide::available() const { return baseline_->hasModel() && compressed_->hasModel(); }

void SideBySide::setEnabled(bool on) {
    if (on == enabled_) return;
    enabled_ = on;
    emit enabledChanged();
}

void SideBySide::setSequential(bool on) {
    if (on == sequential_) return;
    sequential_ = on;
    emit sequentialChanged();
}

bool SideBySide::running() const { return baseline_->running() || compressed_->running() || waiting_; }

bool SideBySide::start(const QString& prompt) {
    if (running()) return false;
    if (!compressed_->hasModel()) {  // the baseline alone; the other pane says how to make one
        active_ = baseline_->start(prompt);
        return active_;
    }
    compressed_->copySettings(*baseline_);
    compressed_->setThreads(baseline_->threads());
    compressed_->clear();
    // One seed for both, so that a difference in the text is the compression's.
    const qint64 seed = baseline_->randomSeed() ? static_cast<qint64>(std::random_device{}() & Generator::kMaxSeed)
                                                : baseline_->seed();
    if (!baseline_->start(prompt, seed)) return false;
    active_ = true;
    if (sequential_) {
        queued_prompt_ = prompt;
        queued_seed_ = seed;
        waiting_ = true;
        emit runningChanged();
        return true;
    }
    if (compressed_->start(prompt, seed)) return true;
    baseline_->cancel();
    return false;
}

void SideBySide::cancel() {
    const bool was_waiting = waiting_;
    waiting_ = false;
    baseline_->cancel();
    compressed_->cancel();
    if (was_waiting) emit runningChanged();
    checkDone();
}

void SideBySide::onBaselineFinished() {
    if (waiting_) {
        waiting_ = false;
        // A baseline that was stopped or failed stops the comparison too.
        const bool go_on = baseline_->stopReason() != QLatin1String("stopped") && baseline_->error().isEmpty();
        if (go_on && compressed_->start(queued_prompt_, queued_seed_)) return;
        emit runningChanged();
    }
    checkDone();
}

void SideBySide::onCompressedFinished() { checkDone(); }

void SideBySide::checkDone() {
    if (!active_ || running()) return;
    active_ = false;
    emit finished();
}

}  // namespace pareto::gui

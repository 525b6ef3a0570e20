#include "gui/task_runner.h"

#include <QMetaObject>

#include <exception>

#include "util/error.h"

namespace pareto::gui {

void TaskContext::check_cancelled() const {
    if (cancelled()) throw Cancelled();
}

void TaskContext::post(std::function<void()> fn) const {
    // Queued on the target: Qt drops the call when the target is deleted first.
    QMetaObject::invokeMethod(target_, std::move(fn), Qt::QueuedConnection);
}

void TaskContext::progress(double fraction, const QString& stage) const {
    if (!on_progress_) return;
    post([fn = on_progress_, fraction, stage] { fn(fraction, stage); });
}

TaskRunner::TaskRunner(const QString& thread_name, QObject* parent)
    : QObject(parent), cancel_(std::make_shared<std::atomic<bool>>(false)) {
    thread_.setObjectName(thread_name);
    worker_ = new QObject;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.start();
}

TaskRunner::~TaskRunner() {
    cancel_->store(true);
    thread_.quit();  // after the queued jobs: each sees its cancel flag and returns early
    thread_.wait();
}

void TaskRunner::start(Job job, TaskCallbacks callbacks) {
    ++pending_;
    if (pending_ == 1) emit busyChanged();
    auto cancel = cancel_;
    // Ends the job on this thread: one callback, then the pending count.
    auto finish = [this, callbacks](int outcome, QString message) {
        --pending_;
        if (outcome == 0 && callbacks.done) callbacks.done();
        if (outcome == 1 && callbacks.cancelled) callbacks.cancelled();
        if (outcome == 2 && callbacks.failed) callbacks.failed(message);
        if (pending_ == 0) emit busyChanged();
    };
    QMetaObject::invokeMethod(
        worker_,
        [this, job = std::move(job), cancel, finish, progress = callbacks.progress] {
            TaskContext ctx(this, cancel, progress);
            int outcome = 0;
            QString message;
            if (cancel->load()) {
                outcome = 1;
            } else {
                try {
                    job(ctx);
                } catch (const Cancelled&) {
                    outcome = 1;
                } catch (const std::exception& e) {
                    outcome = 2;
                    message = QString::fromUtf8(e.what());
                } catch (...) {
                    outcome = 2;
                    message = QStringLiteral("unknown error");
                }
            }
            ctx.post([finish, outcome, message] { finish(outcome, message); });
        },
        Qt::QueuedConnection);
}

void TaskRunner::cancel() {
    cancel_->store(true);
    cancel_ = std::make_shared<std::atomic<bool>>(false);  // for the jobs started after this
}

}  // namespace pareto::gui

#pragma once
// Work off the UI thread. A TaskRunner owns one background thread and runs the jobs
// given to it there, one after the other. A job reports back (progress, partial
// results, its end) by posting functions that run on the runner's own thread, the
// UI thread, so controllers only ever touch their state from one thread.
//
//     runner_.start([state](TaskContext& ctx) {           // background thread
//         ctx.progress(0.5, "Reading");
//         ctx.check_cancelled();                           // throws pareto::Cancelled
//         auto result = work(*state);
//         ctx.post([this, result] { show(result); });      // UI thread
//     }, {.failed = [this](const QString& m) { error_ = m; }});
//
// Jobs must capture only what they own (values, shared_ptrs): the owner may be gone
// by the time a job ends. Posted functions and completion callbacks never run after
// the runner is destroyed. Declare the runner LAST among the owner's members, so it
// is destroyed first and its destructor (cancel, then wait for the running job)
// returns before the members a job's posted functions would touch go away.
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace pareto::gui {

class TaskContext {
public:
    bool cancelled() const { return cancel_->load(std::memory_order_relaxed); }
    // Throws pareto::Cancelled when the job was cancelled.
    void check_cancelled() const;
    // Runs `fn` on the runner's thread (queued; dropped when the runner is gone).
    void post(std::function<void()> fn) const;
    // Shorthand for posting the runner's progress handler: fraction in [0, 1] (< 0:
    // unknown) and what is being done.
    void progress(double fraction, const QString& stage) const;
    // The flag cancel() sets, for long engine calls that take a cancel callback.
    const std::atomic<bool>& cancel_flag() const { return *cancel_; }

private:
    friend class TaskRunner;
    TaskContext(QObject* target, std::shared_ptr<std::atomic<bool>> cancel,
                std::function<void(double, QString)> on_progress)
        : target_(target), cancel_(std::move(cancel)), on_progress_(std::move(on_progress)) {}
    QObject* target_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    std::function<void(double, QString)> on_progress_;
};

struct TaskCallbacks {
    std::function<void()> done;                       // the job returned
    std::function<void(const QString&)> failed;       // it threw (message of the exception)
    std::function<void()> cancelled;                  // it threw pareto::Cancelled
    std::function<void(double, QString)> progress;    // ctx.progress() from the job
};

class TaskRunner : public QObject {
    Q_OBJECT
public:
    using Job = std::function<void(TaskContext&)>;

    explicit TaskRunner(const QString& thread_name, QObject* parent = nullptr);
    ~TaskRunner() override;  // cancels what is queued and running, and waits

    // Queues a job. Exactly one of done / failed / cancelled runs afterwards on this
    // object's thread (unless the runner is destroyed first).
    void start(Job job, TaskCallbacks callbacks = {});
    // Asks the running and queued jobs to stop (they see ctx.cancelled()).
    void cancel();
    // Jobs queued or running.
    int pending() const { return pending_; }
    bool busy() const { return pending_ > 0; }

signals:
    void busyChanged();

private:
    QThread thread_;
    QObject* worker_ = nullptr;  // lives in thread_; jobs are queued calls on it
    std::shared_ptr<std::atomic<bool>> cancel_;
    int pending_ = 0;
};

}  // namespace pareto::gui

#pragma once
// The Profile page: profiles one generation of the loaded model in a worker
// (prof::profile_generation, with progress and Cancel), optionally appending the
// run to an HDF5 trace, or opens a run stored in a trace; then holds the run and
// what it adds up to: latency tiles, bars per op kind and per layer (item models),
// the memory breakdown, the accuracy record. The timeline and flame items read the
// run itself (run()).
#include <QObject>
#include <QString>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "gui/loaded_model.h"
#include "gui/op_bar_model.h"
#include "gui/task_runner.h"
#include "profiler/run.h"
#include "profiler/summary.h"

namespace pareto::gui {

class ProfileController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")

    Q_PROPERTY(bool hasModel READ hasModel NOTIFY modelChanged)
    Q_PROPERTY(QString modelName READ modelName NOTIFY modelChanged)
    Q_PROPERTY(QString prompt READ prompt WRITE setPrompt NOTIFY settingsChanged)
    Q_PROPERTY(int nTokens READ nTokens WRITE setNTokens NOTIFY settingsChanged)
    Q_PROPERTY(int threads READ threads WRITE setThreads NOTIFY settingsChanged)
    Q_PROPERTY(bool appendToTrace READ appendToTrace WRITE setAppendToTrace NOTIFY settingsChanged)
    Q_PROPERTY(QString tracePath READ tracePath WRITE setTracePath NOTIFY settingsChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QString stage READ stage NOTIFY progressChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)

    Q_PROPERTY(bool hasRun READ hasRun NOTIFY runChanged)
    Q_PROPERTY(QVariantMap runInfo READ runInfo NOTIFY runChanged)
    Q_PROPERTY(QVariantMap latency READ latency NOTIFY runChanged)
    Q_PROPERTY(QVariantList memory READ memory NOTIFY runChanged)
    Q_PROPERTY(QVariantMap accuracy READ accuracy NOTIFY runChanged)
    Q_PROPERTY(int opCount READ opCount NOTIFY runChanged)
    Q_PROPERTY(int stepCount READ stepCount NOTIFY runChanged)
    Q_PROPERTY(int phase READ phase WRITE setPhase NOTIFY phaseChanged)  // 0 prefill, 1 decode
    Q_PROPERTY(OpBarModel* kindBars READ kindBars CONSTANT)
    Q_PROPERTY(OpBarModel* layerBars READ layerBars CONSTANT)
    Q_PROPERTY(int selectedStep READ selectedStep WRITE setSelectedStep NOTIFY selectedStepChanged)
    Q_PROPERTY(QVariantMap selectedStepInfo READ selectedStepInfo NOTIFY selectedStepChanged)

public:
    explicit ProfileController(QObject* parent = nullptr);
    ~ProfileController() override;

    void setModel(LoadedModelPtr model);
    bool hasModel() const { return model_ != nullptr; }
    QString modelName() const { return model_ ? model_->name : QString(); }

    QString prompt() const { return prompt_; }
    void setPrompt(const QString& p);
    int nTokens() const { return n_tokens_; }
    void setNTokens(int n);
    int threads() const { return threads_; }
    void setThreads(int n);
    bool appendToTrace() const { return append_; }
    void setAppendToTrace(bool on);
    QString tracePath() const { return trace_path_; }
    void setTracePath(const QString& path_or_url);
    // The default trace: traces.h5 in the app's data folder.
    static QString defaultTracePath();

    bool busy() const { return runner_.busy(); }
    double progress() const { return progress_; }
    QString stage() const { return stage_; }
    QString error() const { return error_; }
    QString notice() const { return notice_; }
    Q_INVOKABLE void clearError();

    // Profiles the loaded model on prompt(); false (and error()) when it cannot start.
    Q_INVOKABLE bool profile();
    Q_INVOKABLE void cancel();
    // Reads run `name` ("" : the last one) of the trace at `path_or_url` in the worker.
    Q_INVOKABLE void openRun(const QString& path_or_url, const QString& name = {});

    // The run shown (null: none) and its summary. Set directly by tests.
    std::shared_ptr<const prof::Run> run() const { return run_; }
    const prof::RunSummary& summary() const { return summary_; }
    void setRun(std::shared_ptr<const prof::Run> run, const QString& source);

    bool hasRun() const { return run_ != nullptr; }
    QVariantMap runInfo() const;
    QVariantMap latency() const;
    QVariantList memory() const;
    QVariantMap accuracy() const;
    int opCount() const { return run_ ? static_cast<int>(run_->ops.size()) : 0; }
    int stepCount() const { return run_ ? static_cast<int>(run_->tokens.size()) : 0; }
    int phase() const { return phase_; }
    void setPhase(int p);
    OpBarModel* kindBars() { return &kind_bars_; }
    OpBarModel* layerBars() { return &layer_bars_; }
    int selectedStep() const { return selected_step_; }
    void setSelectedStep(int step);
    QVariantMap selectedStepInfo() const;

signals:
    void modelChanged();
    void settingsChanged();
    void busyChanged();
    void progressChanged();
    void errorChanged();
    void noticeChanged();
    void runChanged();
    void phaseChanged();
    void selectedStepChanged();
    void finished();                      // a profile or an open ended with a run shown
    void failed(const QString& message);  // ... or with this message
    void traceWritten(const QString& path, const QString& run_name);

private:
    void setError(const QString& e);
    void setNotice(const QString& n);
    void updateBars();

    LoadedModelPtr model_;
    QString prompt_ = QStringLiteral("Once upon a time");
    int n_tokens_ = 64;
    int threads_ = 0;
    bool append_ = true;
    QString trace_path_;
    double progress_ = 0;
    QString stage_;
    QString error_, notice_;
    std::shared_ptr<const prof::Run> run_;
    prof::RunSummary summary_;
    QString source_;  // the trace the run came from or went to; "" : not stored
    int phase_ = 1;
    int selected_step_ = -1;
    OpBarModel kind_bars_;
    OpBarModel layer_bars_;
    TaskRunner runner_;  // last: destroyed first (see task_runner.h)
};

// A path from a QML url or a plain path.
QString local_path(const QString& path_or_url);

}  // namespace pareto::gui

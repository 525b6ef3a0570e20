#pragma once
// The Model page's state: which file is open, what it holds (architecture,
// tokenizer, tensors), what it would cost in memory at a chosen context, and
// loading it (in a worker, with progress and Cancel).
//
//   Empty ──open()──▶ Inspecting ──▶ Ready ──load()──▶ Loading ──▶ Loaded
//                          │                              │ cancel()
//                          └─ fails: back to where it was └──▶ Ready
//
// A file that fails to open leaves the previous model as it was and sets `error`
// (naming the file and the problem); with nothing open before, the state is Failed.
#include <QObject>
#include <QString>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "gui/loaded_model.h"
#include "gui/model_info.h"
#include "gui/task_runner.h"
#include "gui/tensor_tree_model.h"

namespace pareto::gui {

class ModelController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")

    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(bool hasInfo READ hasInfo NOTIFY infoChanged)
    Q_PROPERTY(bool loaded READ loaded NOTIFY stateChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)
    Q_PROPERTY(QString pendingPath READ pendingPath NOTIFY stateChanged)

    Q_PROPERTY(QString path READ path NOTIFY infoChanged)
    Q_PROPERTY(QString fileName READ fileName NOTIFY infoChanged)
    Q_PROPERTY(QString displayName READ displayName NOTIFY infoChanged)
    Q_PROPERTY(qint64 fileBytes READ fileBytes NOTIFY infoChanged)
    Q_PROPERTY(qint64 weightBytes READ weightBytes NOTIFY infoChanged)
    Q_PROPERTY(qint64 paramCount READ paramCount NOTIFY infoChanged)
    Q_PROPERTY(QVariantMap architecture READ architecture NOTIFY infoChanged)
    Q_PROPERTY(QVariantMap tokenizer READ tokenizer NOTIFY infoChanged)
    Q_PROPERTY(QVariantList weightTypes READ weightTypes NOTIFY infoChanged)
    Q_PROPERTY(QVariantList layerBytes READ layerBytes NOTIFY infoChanged)
    Q_PROPERTY(TensorTreeModel* tensors READ tensors CONSTANT)

    Q_PROPERTY(int contextLength READ contextLength WRITE setContextLength NOTIFY contextLengthChanged)
    Q_PROPERTY(int contextMax READ contextMax NOTIFY infoChanged)
    Q_PROPERTY(int loadedContext READ loadedContext NOTIFY stateChanged)
    Q_PROPERTY(int threads READ threads WRITE setThreads NOTIFY threadsChanged)
    Q_PROPERTY(QVariantMap memory READ memory NOTIFY memoryChanged)

    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QString stage READ stage NOTIFY progressChanged)

public:
    enum State { Empty, Inspecting, Ready, Loading, Loaded, Failed };
    Q_ENUM(State)
    static constexpr int kMinContext = 16;
    static constexpr int kDefaultContext = 2048;

    explicit ModelController(QObject* parent = nullptr);
    ~ModelController() override;

    State state() const { return state_; }
    bool busy() const { return state_ == Inspecting || state_ == Loading; }
    bool hasInfo() const { return info_ != nullptr; }
    bool loaded() const { return state_ == Loaded; }
    QString error() const { return error_; }
    QString notice() const { return notice_; }
    QString pendingPath() const { return pending_path_; }

    QString path() const;
    QString fileName() const;
    QString displayName() const;
    qint64 fileBytes() const;
    qint64 weightBytes() const;
    qint64 paramCount() const;
    QVariantMap architecture() const;
    QVariantMap tokenizer() const;
    QVariantList weightTypes() const;
    QVariantList layerBytes() const;  // bytes of each layer's tensors, in layer order
    TensorTreeModel* tensors() { return &tensors_; }

    int contextLength() const { return context_; }
    void setContextLength(int n);
    int contextMax() const;
    int loadedContext() const { return loaded_ ? static_cast<int>(loaded_->n_ctx) : 0; }
    int threads() const { return threads_; }
    void setThreads(int n);
    // {weights, kvCache, scratch, total, available, fits, context, threads}: bytes,
    // for the context and threads chosen; available is MemAvailable (0: unknown).
    QVariantMap memory() const;

    double progress() const { return progress_; }
    QString stage() const { return stage_; }

    // The model to run, or null.
    LoadedModelPtr loadedModel() const { return loaded_; }
    const ModelInfo* info() const { return info_.get(); }

    // Opens a GGUF file (a path or a file:// URL) and reads what it holds; with
    // `load_after`, loads it when that succeeds.
    Q_INVOKABLE void open(const QString& path_or_url, bool load_after = false);
    // Loads the open model with the chosen context. When it is loaded already, only
    // the context changes (no re-read).
    Q_INVOKABLE void load();
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void unload();
    // Closes the file: back to Empty (the first-run screen).
    Q_INVOKABLE void close();
    Q_INVOKABLE void clearError();

    // file:///a/b.gguf -> /a/b.gguf; a plain path stays as it is.
    static QString localPath(const QString& path_or_url);

signals:
    void stateChanged();
    void infoChanged();
    void errorChanged();
    void noticeChanged();
    void contextLengthChanged();
    void threadsChanged();
    void memoryChanged();
    void progressChanged();
    void opened(const QString& path);        // inspected successfully
    void modelLoaded();                      // loadedModel() is new
    void modelUnloaded();
    void failed(const QString& message);     // open or load went wrong

private:
    void setState(State s);
    void setError(const QString& e);
    void setNotice(const QString& n);
    void setProgress(double fraction, const QString& stage);
    void publish(std::shared_ptr<const Model> model);

    State state_ = Empty;
    int op_ = 0;  // the current open/load; results of a superseded one are dropped
    QString error_, notice_, pending_path_;
    std::shared_ptr<const ModelInfo> info_;
    TensorTreeModel tensors_;
    int context_ = kDefaultContext;
    int threads_ = 0;
    LoadedModelPtr loaded_;
    double progress_ = 0;
    QString stage_;
    TaskRunner runner_{QStringLiteral("model loader")};  // last: see task_runner.h
};

}  // namespace pareto::gui

#pragma once
// Compress page: the grid of target types (CompressGridModel), pruning of the
// decoder blocks' matrices (none, magnitude, Wanda or SparseGPT; a sparsity or
// 2:4), the calibration text, and Apply: compress_model on the loaded model in a
// worker with progress and Cancel, then, when a text is given, the compressed model
// evaluated against the loaded one on it (perplexity of both and KL divergence,
// a few chunks). The result is another LoadedModel and can be exported as GGUF.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "gui/compress_grid_model.h"
#include "gui/loaded_model.h"
#include "gui/task_runner.h"

namespace pareto::gui {

class CompressController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the workbench")
    Q_PROPERTY(CompressGridModel* grid READ grid CONSTANT)
    Q_PROPERTY(bool hasModel READ hasModel NOTIFY modelChanged)
    Q_PROPERTY(QString modelName READ modelName NOTIFY modelChanged)
    Q_PROPERTY(QStringList pruneMethods READ pruneMethods CONSTANT)
    Q_PROPERTY(QString pruneMethod READ pruneMethod WRITE setPruneMethod NOTIFY settingsChanged)
    Q_PROPERTY(double sparsity READ sparsity WRITE setSparsity NOTIFY settingsChanged)
    Q_PROPERTY(bool twoFour READ twoFour WRITE setTwoFour NOTIFY settingsChanged)
    Q_PROPERTY(QString calibrationPath READ calibrationPath WRITE setCalibrationPath NOTIFY settingsChanged)
    Q_PROPERTY(int evalChunks READ evalChunks WRITE setEvalChunks NOTIFY settingsChanged)
    Q_PROPERTY(bool needsCalibration READ needsCalibration NOTIFY settingsChanged)
    Q_PROPERTY(bool canApply READ canApply NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QString stage READ stage NOTIFY progressChanged)
    Q_PROPERTY(QString error READ error NOTIFY stateChanged)
    Q_PROPERTY(bool hasResult READ hasResult NOTIFY resultChanged)
    Q_PROPERTY(double baseBytes READ baseBytes NOTIFY resultChanged)
    Q_PROPERTY(double resultBytes READ resultBytes NOTIFY resultChanged)
    Q_PROPERTY(bool evaluated READ evaluated NOTIFY resultChanged)
    Q_PROPERTY(double basePpl READ basePpl NOTIFY resultChanged)
    Q_PROPERTY(double resultPpl READ resultPpl NOTIFY resultChanged)
    Q_PROPERTY(double klMean READ klMean NOTIFY resultChanged)
    Q_PROPERTY(double sameTopRate READ sameTopRate NOTIFY resultChanged)
    Q_PROPERTY(QString resultPlan READ resultPlan NOTIFY resultChanged)
    Q_PROPERTY(QStringList warnings READ warnings NOTIFY resultChanged)
    Q_PROPERTY(QString scanType READ scanType WRITE setScanType NOTIFY settingsChanged)
    Q_PROPERTY(bool canScan READ canScan NOTIFY stateChanged)

public:
    explicit CompressController(QObject* parent = nullptr);
    ~CompressController() override;

    void setModel(LoadedModelPtr model);  // the loaded model (nullptr: none)
    void setThreads(int n) { threads_ = n; }

    CompressGridModel* grid() { return &grid_; }
    bool hasModel() const { return model_ != nullptr; }
    QString modelName() const { return model_ ? model_->name : QString(); }
    QStringList pruneMethods() const;  // "none", "magnitude", "wanda", "sparsegpt"
    QString pruneMethod() const { return prune_method_; }
    void setPruneMethod(const QString& m);
    double sparsity() const { return sparsity_; }
    void setSparsity(double s);
    bool twoFour() const { return two_four_; }
    void setTwoFour(bool on);
    QString calibrationPath() const { return calibration_path_; }
    void setCalibrationPath(const QString& path_or_url);
    int evalChunks() const { return eval_chunks_; }
    void setEvalChunks(int n);
    bool needsCalibration() const;  // Wanda and SparseGPT need a text

    bool canApply() const;
    bool busy() const { return busy_; }
    double progress() const { return progress_; }
    QString stage() const { return stage_; }
    QString error() const { return error_; }

    bool hasResult() const { return result_ != nullptr; }
    double baseBytes() const { return base_bytes_; }
    double resultBytes() const { return result_bytes_; }
    bool evaluated() const { return evaluated_; }
    double basePpl() const { return base_ppl_; }
    double resultPpl() const { return result_ppl_; }
    double klMean() const { return kl_mean_; }
    double sameTopRate() const { return same_top_; }
    QString resultPlan() const { return result_plan_; }
    QStringList warnings() const { return warnings_; }
    const LoadedModelPtr& result() const { return result_; }

    // The plan Apply runs: the grid's, with the pruning and calibration settings.
    CompressionPlan plan() const;

    // The sensitivity probe: each group (a layer's attention, its FFN, the embedding,
    // the output) alone in this type, KL against the loaded model on the text.
    QString scanType() const { return scan_type_; }
    void setScanType(const QString& t);
    bool canScan() const { return model_ && !busy_ && !calibration_path_.isEmpty(); }
    // sensitivity_scan in the worker; the grid's heat map fills group by group.
    Q_INVOKABLE void scanSensitivity();

    Q_INVOKABLE void apply();
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void clearError() {
        error_.clear();
        emit stateChanged();
    }
    // Writes the compressed model as GGUF (path or file URL), in the worker.
    Q_INVOKABLE void exportTo(const QString& path_or_url);

signals:
    void modelChanged();
    void settingsChanged();
    void stateChanged();
    void progressChanged();
    void resultChanged();
    void applied();                      // a result is in
    void scanned();                      // a sensitivity scan ended
    void exported(const QString& path);
    void failed(const QString& message);

private:
    void setBusy(bool on);
    void fail(const QString& message);

    CompressGridModel grid_;
    LoadedModelPtr model_;
    int threads_ = 0;
    QString prune_method_ = QStringLiteral("none");
    double sparsity_ = 0.5;
    bool two_four_ = false;
    QString calibration_path_;
    int eval_chunks_ = 4;
    QString scan_type_ = QStringLiteral("Q4_0");
    bool busy_ = false;
    double progress_ = 0;
    QString stage_, error_;
    LoadedModelPtr result_;
    uint32_t result_file_type_ = 0;
    double base_bytes_ = 0, result_bytes_ = 0;
    bool evaluated_ = false;
    double base_ppl_ = 0, result_ppl_ = 0, kl_mean_ = 0, same_top_ = 0;
    QString result_plan_;
    QStringList warnings_;
    int generation_ = 0;  // results of an older Apply (another model) are dropped
    TaskRunner runner_{QStringLiteral("compress")};  // last: destroyed first
};

}  // namespace pareto::gui

#pragma once
// The Runs page: the HDF5 trace files open (from the dialog, a drop, the recent
// list or --trace), their runs in one table, two of them compared per op kind and
// per layer (prof::compare_runs), and the models they measured as points of size,
// decode speed and perplexity with the Pareto front marked. Every file read runs in
// the worker; a damaged or foreign file becomes a message naming it.
#include <QObject>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <vector>

#include "gui/compare_model.h"
#include "gui/run_table_model.h"
#include "gui/task_runner.h"
#include "profiler/run.h"

namespace pareto::gui {

// One model measured by the runs: its size, its best decode speed (profile runs)
// and its perplexity (runs with an accuracy record). Runs are grouped by the
// model file's SHA-256 (its path when there is none).
struct ModelPoint {
    QString label;       // model name and type
    double size_bytes = 0;
    double tokens_per_s = 0;  // 0: never profiled
    double ppl = 0;           // 0: never evaluated
    int runs = 0;
    bool front = false;       // on the Pareto front
};
std::vector<ModelPoint> model_points(const std::vector<RunRow>& rows);

class RunsController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(RunTableModel* runs READ runs CONSTANT)
    Q_PROPERTY(CompareModel* kindCompare READ kindCompare CONSTANT)
    Q_PROPERTY(CompareModel* layerCompare READ layerCompare CONSTANT)
    Q_PROPERTY(QStringList files READ files NOTIFY filesChanged)
    Q_PROPERTY(QStringList recent READ recent NOTIFY recentChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(int runA READ runA WRITE setRunA NOTIFY selectionChanged)
    Q_PROPERTY(int runB READ runB WRITE setRunB NOTIFY selectionChanged)
    Q_PROPERTY(int comparePhase READ comparePhase WRITE setComparePhase NOTIFY comparisonChanged)  // 0 prefill, 1 decode
    Q_PROPERTY(bool hasComparison READ hasComparison NOTIFY comparisonChanged)
    Q_PROPERTY(QVariantMap comparison READ comparison NOTIFY comparisonChanged)
    Q_PROPERTY(QVariantList points READ pointsVariant NOTIFY pointsChanged)

public:
    static constexpr int kMaxRecent = 8;
    // Recent traces are kept in `settings` (not owned; null: not kept).
    explicit RunsController(QSettings* settings, QObject* parent = nullptr);
    ~RunsController() override;

    RunTableModel* runs() { return &table_; }
    CompareModel* kindCompare() { return &kind_compare_; }
    CompareModel* layerCompare() { return &layer_compare_; }
    QStringList files() const { return files_; }
    QStringList recent() const { return recent_; }
    bool busy() const { return runner_.busy(); }
    QString error() const { return error_; }
    Q_INVOKABLE void clearError();

    // Paths or file: URLs (a string or a list). Files already open are re-read.
    Q_INVOKABLE void open(const QVariant& paths_or_urls);
    Q_INVOKABLE void close(const QString& path);
    Q_INVOKABLE void forgetRecent(const QString& path);

    int runA() const { return run_a_; }
    int runB() const { return run_b_; }
    void setRunA(int row);
    void setRunB(int row);
    // A click on a row: A when none is picked, else B (then A again, ...).
    Q_INVOKABLE void pick(int row);
    int comparePhase() const { return phase_; }
    void setComparePhase(int p);
    bool hasComparison() const { return !comparison_.isEmpty(); }
    QVariantMap comparison() const { return comparison_; }

    const std::vector<ModelPoint>& points() const { return points_; }
    QVariantList pointsVariant() const;

    // Asks the Profile page to show run `row` (signal profileRunRequested).
    Q_INVOKABLE void showInProfile(int row);

signals:
    void filesChanged();
    void recentChanged();
    void busyChanged();
    void errorChanged();
    void selectionChanged();
    void comparisonChanged();
    void pointsChanged();
    void failed(const QString& message);
    // The worker has nothing left to do: files read, the comparison computed.
    void idle();
    void profileRunRequested(const QString& file, const QString& run_name);

private:
    void setError(const QString& e);
    void addRecent(const QString& path);
    void updatePoints();
    void compareSelected();
    void computeComparison();
    void checkIdle();

    QSettings* settings_;
    QStringList files_, recent_;
    QString error_;
    RunTableModel table_;
    CompareModel kind_compare_, layer_compare_;
    int run_a_ = -1, run_b_ = -1;
    int phase_ = 1;
    std::shared_ptr<const prof::Run> a_, b_;
    QVariantMap comparison_;
    std::vector<ModelPoint> points_;
    TaskRunner runner_;  // last: destroyed first
};

}  // namespace pareto::gui

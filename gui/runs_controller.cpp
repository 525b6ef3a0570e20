#include "gui/runs_controller.h"

#include <QFileInfo>

#include <algorithm>
#include <map>

#include "gui/pareto_front.h"
#include "gui/profile_controller.h"
#include "profiler/compare.h"
#include "util/error.h"

namespace pareto::gui {
namespace {

constexpr const char* kRecentKey = "recentTraces";

QStringList as_paths(const QVariant& v) {
    QStringList out;
    if (v.canConvert<QVariantList>() && v.typeId() != QMetaType::QString) {
        for (const QVariant& e : v.toList()) out << local_path(e.toString());
    } else {
        out << local_path(v.toString());
    }
    out.removeAll(QString());
    return out;
}

}  // namespace

std::vector<ModelPoint> model_points(const std::vector<RunRow>& rows) {
    std::map<std::string, size_t> index;  // model identity -> point
    std::vector<ModelPoint> points;
    for (const RunRow& row : rows) {
        const prof::RunConfig& c = row.header.config;
        const std::string key = !c.model_sha256.empty() ? c.model_sha256 : c.model_path;
        auto [it, inserted] = index.try_emplace(key, points.size());
        if (inserted) {
            ModelPoint p;
            const QString name = QString::fromStdString(c.model_name.empty() ? QFileInfo(QString::fromStdString(c.model_path)).fileName().toStdString() : c.model_name);
            p.label = c.model_type.empty() ? name : name + QStringLiteral(" · ") + QString::fromStdString(c.model_type);
            points.push_back(p);
        }
        ModelPoint& p = points[it->second];
        ++p.runs;
        p.size_bytes = std::max(p.size_bytes, static_cast<double>(c.weight_bytes));
        if (row.header.n_ops > 0) p.tokens_per_s = std::max(p.tokens_per_s, row.header.latency.decode_tokens_per_s);
        if (row.header.accuracy && row.header.accuracy->ppl > 0)
            p.ppl = p.ppl > 0 ? std::min(p.ppl, row.header.accuracy->ppl) : row.header.accuracy->ppl;
    }
    std::vector<ParetoPoint> pp;
    for (const ModelPoint& p : points)
        pp.push_back({p.size_bytes, p.tokens_per_s, p.ppl > 0 ? p.ppl : std::numeric_limits<double>::quiet_NaN()});
    const std::vector<bool> front = pareto_front(pp);
    for (size_t i = 0; i < points.size(); ++i) points[i].front = front[i];
    return points;
}

RunsController::RunsController(QSettings* settings, QObject* parent)
    : QObject(parent), settings_(settings), runner_(QStringLiteral("traces")) {
    if (settings_) recent_ = settings_->value(kRecentKey).toStringList();
    connect(&runner_, &TaskRunner::busyChanged, this, &RunsController::busyChanged);
    connect(&table_, &RunTableModel::countChanged, this, &RunsController::updatePoints);
}

RunsController::~RunsController() = default;

void RunsController::setError(const QString& e) {
    if (e == error_) return;
    error_ = e;
    emit errorChanged();
}

void RunsController::clearError() { setError({}); }

void RunsController::checkIdle() {
    if (!runner_.busy()) emit idle();
}

void RunsController::addRecent(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    recent_.removeAll(abs);
    recent_.prepend(abs);
    while (recent_.size() > kMaxRecent) recent_.removeLast();
    if (settings_) settings_->setValue(kRecentKey, recent_);
    emit recentChanged();
}

void RunsController::forgetRecent(const QString& path) {
    if (!recent_.removeAll(path)) return;
    if (settings_) settings_->setValue(kRecentKey, recent_);
    emit recentChanged();
}

void RunsController::open(const QVariant& paths_or_urls) {
    setError({});
    for (const QString& p : as_paths(paths_or_urls)) {
        const QString path = QFileInfo(p).absoluteFilePath();
        auto headers = std::make_shared<std::vector<prof::RunHeader>>();
        runner_.start([path, headers](TaskContext&) { *headers = prof::TraceFile::open(path.toStdString()).runs(); },
                      {.done =
                           [this, path, headers] {
                               // Rows move: a selection by row would point elsewhere.
                               run_a_ = run_b_ = -1;
                               a_.reset();
                               b_.reset();
                               table_.setFileRuns(path, *headers);
                               if (!files_.contains(path)) files_ << path;
                               emit filesChanged();
                               addRecent(path);
                               // Compare the last two profiled runs, the usual question
                               // after profiling twice.
                               std::vector<int> profiled;
                               for (int i = 0; i < table_.count(); ++i)
                                   if (table_.rows()[static_cast<size_t>(i)].header.n_ops > 0) profiled.push_back(i);
                               if (profiled.size() >= 2) {
                                   run_a_ = profiled[profiled.size() - 2];
                                   run_b_ = profiled.back();
                               }
                               emit selectionChanged();
                               compareSelected();
                               checkIdle();
                           },
                       .failed =
                           [this](const QString& m) {
                               setError(m);
                               emit failed(m);
                               checkIdle();
                           },
                       .cancelled = [this] { checkIdle(); },
                       .progress = {}});
    }
}

void RunsController::close(const QString& path) {
    if (!files_.removeAll(path)) return;
    run_a_ = run_b_ = -1;
    a_.reset();
    b_.reset();
    comparison_.clear();
    kind_compare_.setRows({});
    layer_compare_.setRows({});
    table_.removeFile(path);
    emit filesChanged();
    emit selectionChanged();
    emit comparisonChanged();
}

void RunsController::setRunA(int row) {
    if (row < -1 || row >= table_.count() || row == run_a_) return;
    run_a_ = row;
    emit selectionChanged();
    compareSelected();
}

void RunsController::setRunB(int row) {
    if (row < -1 || row >= table_.count() || row == run_b_) return;
    run_b_ = row;
    emit selectionChanged();
    compareSelected();
}

void RunsController::pick(int row) {
    if (row < 0 || row >= table_.count()) return;
    if (run_a_ < 0) {
        setRunA(row);
    } else if (run_b_ < 0 && row != run_a_) {
        setRunB(row);
    } else if (row != run_a_ && row != run_b_) {
        // Both picked: the new row becomes B, the old B becomes A.
        run_a_ = run_b_;
        run_b_ = row;
        emit selectionChanged();
        compareSelected();
    }
}

void RunsController::setComparePhase(int p) {
    p = std::clamp(p, 0, 1);
    if (p == phase_) return;
    phase_ = p;
    computeComparison();
}

void RunsController::compareSelected() {
    setError({});
    a_.reset();
    b_.reset();
    if (run_a_ < 0 || run_b_ < 0 || run_a_ == run_b_) {
        computeComparison();
        return;
    }
    const RunRow ra = table_.rows()[static_cast<size_t>(run_a_)];
    const RunRow rb = table_.rows()[static_cast<size_t>(run_b_)];
    struct Pair {
        std::shared_ptr<prof::Run> a, b;
    };
    auto pair = std::make_shared<Pair>();
    const int a_row = run_a_, b_row = run_b_;
    runner_.start(
        [ra, rb, pair](TaskContext& ctx) {
            pair->a = std::make_shared<prof::Run>(
                prof::TraceFile::open(ra.file.toStdString()).read_run(ra.header.config.name));
            ctx.check_cancelled();
            pair->b = std::make_shared<prof::Run>(
                prof::TraceFile::open(rb.file.toStdString()).read_run(rb.header.config.name));
        },
        {.done =
             [this, pair, a_row, b_row] {
                 if (a_row == run_a_ && b_row == run_b_) {  // still the selection
                     a_ = pair->a;
                     b_ = pair->b;
                     computeComparison();
                 }
                 checkIdle();
             },
         .failed =
             [this](const QString& m) {
                 setError(m);
                 emit failed(m);
                 checkIdle();
             },
         .cancelled = [this] { checkIdle(); },
         .progress = {}});
}

void RunsController::computeComparison() {
    comparison_.clear();
    std::vector<prof::CompareRow> kinds, layers;
    if (a_ && b_ && (a_->ops.empty() || b_->ops.empty())) {
        setError(tr("%1 has no ops to compare (an eval run measures accuracy, not time): pick two profiled runs")
                     .arg(QString::fromStdString((a_->ops.empty() ? a_ : b_)->config.name)));
    } else if (a_ && b_) {
        try {
            const prof::RunComparison c = prof::compare_runs(*a_, *b_, static_cast<Phase>(phase_));
            kinds = c.by_kind;
            kinds.push_back(c.total);
            layers = c.by_layer;
            layers.push_back(c.outside_layers);
            comparison_ = {{"a", QString::fromStdString(a_->config.name)},
                           {"b", QString::fromStdString(b_->config.name)},
                           {"aTokens", c.a_tokens},
                           {"bTokens", c.b_tokens},
                           {"totalA", c.total.a_ms},
                           {"totalB", c.total.b_ms},
                           {"delta", c.total.delta_ms()},
                           {"ratio", c.total.ratio()}};
        } catch (const std::exception& e) {
            setError(QString::fromUtf8(e.what()));
        }
    }
    kind_compare_.setRows(std::move(kinds));
    layer_compare_.setRows(std::move(layers));
    emit comparisonChanged();
}

void RunsController::updatePoints() {
    points_ = model_points(table_.rows());
    emit pointsChanged();
}

QVariantList RunsController::pointsVariant() const {
    QVariantList out;
    for (const ModelPoint& p : points_)
        out << QVariantMap{{"label", p.label},         {"size", p.size_bytes}, {"tokensPerS", p.tokens_per_s},
                           {"ppl", p.ppl},             {"runs", p.runs},       {"front", p.front}};
    return out;
}

void RunsController::showInProfile(int row) {
    if (row < 0 || row >= table_.count()) return;
    const RunRow& r = table_.rows()[static_cast<size_t>(row)];
    emit profileRunRequested(r.file, QString::fromStdString(r.header.config.name));
}

}  // namespace pareto::gui

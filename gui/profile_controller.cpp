#include "gui/profile_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QUrl>

#include <algorithm>
#include <map>

#include "model/model.h"
#include "profiler/profile.h"
#include "profiler/trace_store.h"
#include "util/error.h"

namespace pareto::gui {

QString local_path(const QString& path_or_url) {
    const QString s = path_or_url.trimmed();
    return s.startsWith(QStringLiteral("file:")) ? QUrl(s).toLocalFile() : s;
}

ProfileController::ProfileController(QObject* parent)
    : QObject(parent), trace_path_(defaultTracePath()), runner_(QStringLiteral("profiler")) {
    connect(&runner_, &TaskRunner::busyChanged, this, &ProfileController::busyChanged);
}

ProfileController::~ProfileController() = default;

QString ProfileController::defaultTracePath() {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir.isEmpty() ? QDir::homePath() : dir).filePath(QStringLiteral("traces.h5"));
}

void ProfileController::setModel(LoadedModelPtr model) {
    if (model == model_) return;
    if (busy() && model_ != model) runner_.cancel();
    model_ = std::move(model);
    emit modelChanged();
}

void ProfileController::setPrompt(const QString& p) {
    if (p == prompt_) return;
    prompt_ = p;
    emit settingsChanged();
}

void ProfileController::setNTokens(int n) {
    n = std::clamp(n, 1, 4096);
    if (n == n_tokens_) return;
    n_tokens_ = n;
    emit settingsChanged();
}

void ProfileController::setThreads(int n) {
    n = std::clamp(n, 0, 1024);
    if (n == threads_) return;
    threads_ = n;
    emit settingsChanged();
}

void ProfileController::setAppendToTrace(bool on) {
    if (on == append_) return;
    append_ = on;
    emit settingsChanged();
}

void ProfileController::setTracePath(const QString& path_or_url) {
    const QString p = local_path(path_or_url);
    if (p == trace_path_) return;
    trace_path_ = p;
    emit settingsChanged();
}

void ProfileController::setError(const QString& e) {
    if (e == error_) return;
    error_ = e;
    emit errorChanged();
}

void ProfileController::setNotice(const QString& n) {
    if (n == notice_) return;
    notice_ = n;
    emit noticeChanged();
}

void ProfileController::clearError() { setError({}); }

bool ProfileController::profile() {
    if (busy()) {
        setError(tr("A profile is already running"));
        return false;
    }
    if (!model_) {
        setError(tr("No model is loaded: load one on the Model page to profile it"));
        return false;
    }
    if (prompt_.trimmed().isEmpty()) {
        setError(tr("The prompt is empty: type some text to profile"));
        return false;
    }
    setError({});
    setNotice({});
    progress_ = 0;
    stage_ = tr("Profiling");
    emit progressChanged();

    prof::ProfileParams params = prof::profile_default_params();
    params.prompt = prompt_.toStdString();
    params.generate.n_predict = n_tokens_;
    params.n_threads = threads_;
    const QString trace = append_ ? trace_path_ : QString();
    struct Result {
        std::shared_ptr<prof::Run> run;
        QString stored_as;
    };
    auto result = std::make_shared<Result>();
    runner_.start(
        [model = model_, params, trace, result, n = n_tokens_](TaskContext& ctx) mutable {
            int produced = 0;
            params.on_token = [&](TokenId) {
                ++produced;
                ctx.progress(std::min(1.0, static_cast<double>(produced) / n),
                             QStringLiteral("Token %1 of %2").arg(produced).arg(n));
                return !ctx.cancelled();
            };
            auto run = std::make_shared<prof::Run>(prof::profile_generation(*model->model, params));
            ctx.check_cancelled();
            if (!trace.isEmpty()) {
                ctx.progress(-1, QStringLiteral("Writing the trace"));
                QDir().mkpath(QFileInfo(trace).absolutePath());
                const std::string name = prof::append_run(trace.toStdString(), *run);
                run->config.name = name;
                result->stored_as = QString::fromStdString(name);
            }
            result->run = std::move(run);
        },
        {.done =
             [this, result, trace] {
                 setRun(result->run, trace);
                 if (!trace.isEmpty()) {
                     setNotice(tr("Stored as %1 in %2").arg(result->stored_as, trace));
                     emit traceWritten(trace, result->stored_as);
                 }
                 emit finished();
             },
         .failed =
             [this](const QString& m) {
                 setError(tr("Profiling failed: %1").arg(m));
                 emit failed(error_);
             },
         .cancelled = [this] { setNotice(tr("Profiling cancelled")); },
         .progress =
             [this](double f, const QString& s) {
                 progress_ = f;
                 stage_ = s;
                 emit progressChanged();
             }});
    return true;
}

void ProfileController::cancel() { runner_.cancel(); }

void ProfileController::openRun(const QString& path_or_url, const QString& name) {
    const QString path = local_path(path_or_url);
    setError({});
    setNotice({});
    progress_ = -1;
    stage_ = tr("Reading %1").arg(QFileInfo(path).fileName());
    emit progressChanged();
    auto result = std::make_shared<std::shared_ptr<prof::Run>>();
    runner_.start(
        [path, name, result](TaskContext&) {
            const prof::TraceFile file = prof::TraceFile::open(path.toStdString());
            std::string which = name.toStdString();
            if (which.empty()) {
                const auto runs = file.runs();
                if (runs.empty()) fail(path.toStdString() + ": the trace holds no runs");
                which = runs.back().config.name;
            }
            *result = std::make_shared<prof::Run>(file.read_run(which));
        },
        {.done =
             [this, result, path] {
                 setRun(*result, path);
                 emit finished();
             },
         .failed =
             [this](const QString& m) {
                 setError(m);
                 emit failed(m);
             },
         .cancelled = [] {},
         .progress = {}});
}

void ProfileController::setRun(std::shared_ptr<const prof::Run> run, const QString& source) {
    run_ = std::move(run);
    source_ = source;
    summary_ = run_ ? prof::summarize(*run_) : prof::RunSummary{};
    // Decode unless the run has none (an eval run, a prompt only).
    phase_ = summary_.total[static_cast<int>(Phase::Decode)].count > 0 ? 1 : 0;
    emit phaseChanged();
    selected_step_ = -1;
    if (run_ && !run_->tokens.empty()) selected_step_ = run_->tokens.size() > 1 ? 1 : 0;
    updateBars();
    emit runChanged();
    emit selectedStepChanged();
}

void ProfileController::setPhase(int p) {
    p = std::clamp(p, 0, 1);
    if (p == phase_) return;
    phase_ = p;
    updateBars();
    emit phaseChanged();
}

void ProfileController::updateBars() {
    const Phase phase = static_cast<Phase>(phase_);
    kind_bars_.setBars(run_ ? bars_by_kind(summary_, phase) : std::vector<OpBar>{});
    layer_bars_.setBars(run_ ? bars_by_layer(summary_, phase) : std::vector<OpBar>{});
}

void ProfileController::setSelectedStep(int step) {
    if (!run_ || run_->tokens.empty()) return;
    step = std::clamp(step, 0, stepCount() - 1);
    if (step == selected_step_) return;
    selected_step_ = step;
    emit selectedStepChanged();
}

QVariantMap ProfileController::selectedStepInfo() const {
    if (!run_ || selected_step_ < 0 || selected_step_ >= stepCount()) return {};
    const prof::TokenRecord& t = run_->tokens[static_cast<size_t>(selected_step_)];
    int64_t n_ops = 0;
    for (const prof::OpRecord& op : run_->ops) n_ops += op.step == t.step;
    return {{"step", t.step},
            {"phase", QString::fromLatin1(phase_name(t.phase).data())},
            {"tokens", t.n_tokens},
            {"pos", static_cast<qlonglong>(t.pos)},
            {"tokenId", t.token_id},
            {"ms", t.duration_ns() * 1e-6},
            {"ops", static_cast<qlonglong>(n_ops)}};
}

QVariantMap ProfileController::runInfo() const {
    if (!run_) return {};
    const prof::RunConfig& c = run_->config;
    return {{"name", QString::fromStdString(c.name)},
            {"kind", QString::fromStdString(c.kind)},
            {"created", QString::fromStdString(c.created)},
            {"model", QString::fromStdString(c.model_name.empty() ? c.model_path : c.model_name)},
            {"type", QString::fromStdString(c.model_type)},
            {"weightBytes", static_cast<double>(c.weight_bytes)},
            {"threads", c.threads},
            {"simd", QString::fromStdString(c.simd)},
            {"cpu", QString::fromStdString(c.cpu_model)},
            {"prompt", QString::fromStdString(c.prompt)},
            {"nPrompt", static_cast<qlonglong>(c.n_prompt)},
            {"nGenerated", static_cast<qlonglong>(c.n_generated)},
            {"source", source_}};
}

QVariantMap ProfileController::latency() const {
    if (!run_) return {};
    const prof::LatencyStats& l = summary_.latency;
    return {{"ttftMs", l.ttft_ms},
            {"tpotP50Ms", l.tpot_p50_ms},
            {"tpotP90Ms", l.tpot_p90_ms},
            {"tpotP99Ms", l.tpot_p99_ms},
            {"tpotMeanMs", l.tpot_mean_ms},
            {"prefillTps", l.prefill_tokens_per_s},
            {"decodeTps", l.decode_tokens_per_s},
            {"nPrompt", static_cast<qlonglong>(l.n_prompt)},
            {"nDecode", static_cast<qlonglong>(l.n_decode)},
            {"accounted", summary_.accounted},
            {"accountedWorst", summary_.accounted_worst_step},
            {"wallMs", summary_.wall_ns * 1e-6}};
}

QVariantList ProfileController::memory() const {
    QVariantList out;
    if (!run_) return out;
    std::map<std::string, uint64_t> weights_by_type;
    uint64_t kv = 0, scratch = 0;
    for (const prof::MemoryEntry& e : run_->memory_breakdown) {
        switch (e.category) {
        case prof::MemoryEntry::Category::Weights: weights_by_type[e.type] += e.bytes; break;
        case prof::MemoryEntry::Category::KvCache: kv += e.bytes; break;
        case prof::MemoryEntry::Category::Scratch: scratch += e.bytes; break;
        }
    }
    std::vector<std::pair<std::string, uint64_t>> w(weights_by_type.begin(), weights_by_type.end());
    std::sort(w.begin(), w.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [type, bytes] : w)
        out << QVariantMap{{"label", tr("weights %1").arg(QString::fromStdString(type))},
                           {"category", "weights"}, {"type", QString::fromStdString(type)},
                           {"bytes", static_cast<double>(bytes)}};
    out << QVariantMap{{"label", tr("KV cache")}, {"category", "kv"}, {"type", ""}, {"bytes", static_cast<double>(kv)}};
    out << QVariantMap{{"label", tr("scratch")}, {"category", "scratch"}, {"type", ""}, {"bytes", static_cast<double>(scratch)}};
    uint64_t peak = 0;
    for (const prof::MemorySample& s : run_->memory) peak = std::max(peak, s.peak_rss_bytes);
    out << QVariantMap{{"label", tr("peak RSS")}, {"category", "rss"}, {"type", ""}, {"bytes", static_cast<double>(peak)}};
    return out;
}

QVariantMap ProfileController::accuracy() const {
    if (!run_ || !run_->accuracy) return {};
    const prof::AccuracyRecord& a = *run_->accuracy;
    QVariantMap m{{"text", QString::fromStdString(a.text)},
                  {"ctx", static_cast<qlonglong>(a.n_ctx)},
                  {"chunks", static_cast<qlonglong>(a.n_chunks)},
                  {"scored", static_cast<qlonglong>(a.n_scored)},
                  {"ppl", a.ppl},
                  {"pplError", a.ppl_error},
                  {"hasBaseline", a.has_baseline}};
    if (a.has_baseline) {
        m.insert({{"baseModel", QString::fromStdString(a.base_model)},
                  {"basePpl", a.base_ppl},
                  {"klMean", a.kl_mean},
                  {"klP99", a.kl_p99},
                  {"klMax", a.kl_max},
                  {"sameTop", a.same_top_rate},
                  {"deltaPRms", a.delta_p_rms}});
    }
    return m;
}

}  // namespace pareto::gui

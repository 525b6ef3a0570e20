#include "gui/model_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

#include <algorithm>
#include <unistd.h>

#include "gui/format.h"
#include "model/model.h"
#include "model/session.h"
#include "util/memory.h"

namespace pareto::gui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

const char* rope_order_name(RopeOrder o) { return o == RopeOrder::NeoX ? "NeoX halves" : "pairs"; }
const char* rope_scaling_name(RopeScaling s) {
    switch (s) {
    case RopeScaling::None: return "none";
    case RopeScaling::Linear: return "linear";
    case RopeScaling::Yarn: return "YaRN";
    }
    return "";
}

SessionParams session_params(int n_ctx, int threads) {
    SessionParams p = session_default_params();
    p.n_ctx = n_ctx;
    p.n_threads = threads;
    return p;
}

// Reads one byte of every page of the weights, so that the first token does not
// pay for page faults (the file is memory-mapped), with progress and Cancel.
void page_in(const Model& model, const TaskContext& ctx) {
    const long page = std::max(4096L, ::sysconf(_SC_PAGESIZE));
    const uint64_t total = model.weight_bytes();
    uint64_t done = 0;
    if (total == 0) return;
    uint64_t next_report = 0;
    unsigned sink = 0;
    for (const GgufTensor& t : model.tensors().tensors()) {
        const volatile uint8_t* p = t.data;
        for (size_t off = 0; off < t.n_bytes; off += static_cast<size_t>(page)) {
            sink += p[off];
            done += std::min<uint64_t>(static_cast<uint64_t>(page), t.n_bytes - off);
            if (done >= next_report) {
                ctx.check_cancelled();
                ctx.progress(static_cast<double>(done) / static_cast<double>(total),
                             QObject::tr("Paging in weights (%1 of %2)")
                                 .arg(format_bytes(static_cast<double>(done)), format_bytes(static_cast<double>(total))));
                next_report = done + total / 100;
            }
        }
    }
    // The reads must not be optimised away.
    asm volatile("" : : "r"(sink) : "memory");
}

}  // namespace

ModelController::ModelController(QObject* parent) : QObject(parent) {}
ModelController::~ModelController() = default;

QString ModelController::localPath(const QString& path_or_url) {
    QString s = path_or_url.trimmed();
    if (s.startsWith(QStringLiteral("file:"))) s = QUrl(s).toLocalFile();
    // Absolute and without "..": the path is shown, kept in the recent list and compared.
    return s.isEmpty() ? s : QDir::cleanPath(QFileInfo(s).absoluteFilePath());
}

void ModelController::setState(State s) {
    if (state_ == s) return;
    state_ = s;
    emit stateChanged();
}

void ModelController::setError(const QString& e) {
    if (error_ == e) return;
    error_ = e;
    emit errorChanged();
}

void ModelController::setNotice(const QString& n) {
    if (notice_ == n) return;
    notice_ = n;
    emit noticeChanged();
}

void ModelController::clearError() { setError({}); }

void ModelController::setProgress(double fraction, const QString& stage) {
    progress_ = fraction;
    stage_ = stage;
    emit progressChanged();
}

QString ModelController::path() const { return info_ ? qs(info_->path) : QString(); }
QString ModelController::fileName() const { return info_ ? QFileInfo(path()).fileName() : QString(); }
QString ModelController::displayName() const {
    if (!info_) return {};
    // general.name is often just the architecture ("llama"): the file says more then.
    const std::string& name = info_->config.name;
    return name.empty() || name == info_->config.arch_name ? fileName() : qs(name);
}
qint64 ModelController::fileBytes() const { return info_ ? static_cast<qint64>(info_->file_bytes) : 0; }
qint64 ModelController::weightBytes() const { return info_ ? static_cast<qint64>(info_->weight_bytes) : 0; }
qint64 ModelController::paramCount() const { return info_ ? static_cast<qint64>(info_->n_params) : 0; }

QVariantMap ModelController::architecture() const {
    if (!info_) return {};
    const ModelConfig& c = info_->config;
    return {
        {"arch", qs(c.arch_name)},
        {"name", qs(c.name)},
        {"layers", static_cast<qint64>(c.n_layer)},
        {"hidden", static_cast<qint64>(c.n_embd)},
        {"heads", static_cast<qint64>(c.n_head)},
        {"kvHeads", static_cast<qint64>(c.n_head_kv)},
        {"headDim", static_cast<qint64>(c.head_dim)},
        {"ffn", static_cast<qint64>(c.n_ff)},
        {"vocab", static_cast<qint64>(c.n_vocab)},
        {"context", static_cast<qint64>(c.n_ctx_train)},
        {"rope", QStringLiteral("%1, %2 dims, base %3")
                     .arg(QString::fromLatin1(rope_order_name(c.rope_order)))
                     .arg(c.rope_dim)
                     .arg(static_cast<double>(c.rope_theta))},
        {"ropeScaling", QString::fromLatin1(rope_scaling_name(c.rope_scaling))},
        {"rmsEps", static_cast<double>(c.rms_eps)},
        {"qkvBias", c.has_qkv_bias},
        {"tiedOutput", c.tied_output},
        {"gqa", c.n_head_kv > 0 && c.n_head_kv < c.n_head},
        {"ggufVersion", info_->gguf_version},
    };
}

QVariantMap ModelController::tokenizer() const {
    if (!info_) return {};
    return {
        {"model", qs(info_->tokenizer_model)},
        {"kind", info_->tokenizer_model == "llama" ? tr("SentencePiece BPE") : tr("byte-level BPE")},
        {"pre", qs(info_->tokenizer_pre)},
        {"vocab", static_cast<qint64>(info_->vocab_size)},
        {"bos", qs(info_->bos)},
        {"eos", qs(info_->eos)},
    };
}

QVariantList ModelController::layerBytes() const {
    QVariantList list;
    if (!info_) return list;
    for (const TensorGroup& g : info_->groups)
        if (g.layer >= 0) list.append(static_cast<double>(g.n_bytes));
    return list;
}

QVariantList ModelController::weightTypes() const {
    QVariantList list;
    if (!info_) return list;
    for (const TypeShare& t : info_->types)
        list.append(QVariantMap{
            {"type", qs(t.type)},
            {"tensors", static_cast<qint64>(t.n_tensors)},
            {"bytes", static_cast<qint64>(t.n_bytes)},
            {"share", info_->weight_bytes ? static_cast<double>(t.n_bytes) / static_cast<double>(info_->weight_bytes) : 0.0},
        });
    return list;
}

int ModelController::contextMax() const {
    if (!info_) return kDefaultContext;
    return static_cast<int>(std::clamp<int64_t>(info_->config.n_ctx_train, kMinContext, 1 << 20));
}

void ModelController::setContextLength(int n) {
    n = std::clamp(n, kMinContext, contextMax());
    if (n == context_) return;
    context_ = n;
    emit contextLengthChanged();
    emit memoryChanged();
}

void ModelController::setThreads(int n) {
    n = std::max(0, n);
    if (n == threads_) return;
    threads_ = n;
    emit threadsChanged();
    emit memoryChanged();
}

QVariantMap ModelController::memory() const {
    if (!info_) return {};
    const SessionFootprint f = session_footprint(info_->config, session_params(context_, threads_));
    const auto weights = static_cast<double>(info_->weight_bytes);
    const double total = weights + static_cast<double>(f.kv_cache_bytes) + static_cast<double>(f.scratch_bytes);
    const auto available = static_cast<double>(available_memory_bytes());
    // Weights already resident (this model, loaded) count as available.
    const double resident = loaded_ ? weights : 0;
    return {
        {"weights", weights},
        {"kvCache", static_cast<double>(f.kv_cache_bytes)},
        {"scratch", static_cast<double>(f.scratch_bytes)},
        {"total", total},
        {"available", available},
        {"fits", available <= 0 || total <= available + resident},
        {"context", static_cast<qint64>(f.n_ctx)},
        {"threads", f.n_threads},
    };
}

void ModelController::open(const QString& path_or_url, bool load_after) {
    const QString path = localPath(path_or_url);
    if (path.isEmpty()) return;
    runner_.cancel();  // a load in progress is superseded
    const int op = ++op_;
    pending_path_ = path;
    setError({});
    setNotice({});
    setProgress(-1, tr("Reading %1").arg(QFileInfo(path).fileName()));
    setState(Inspecting);

    auto result = std::make_shared<std::shared_ptr<const ModelInfo>>();
    runner_.start(
        [result, p = path.toStdString()](TaskContext&) { *result = std::make_shared<ModelInfo>(inspect_model(p)); },
        {.done =
             [this, op, result, load_after] {
                 if (op != op_) return;
                 if (loaded_) {
                     loaded_.reset();
                     emit modelUnloaded();
                 }
                 info_ = *result;
                 pending_path_.clear();
                 tensors_.setGroups(info_->groups);
                 context_ = static_cast<int>(session_footprint(info_->config, session_default_params()).n_ctx);
                 emit infoChanged();
                 emit contextLengthChanged();
                 emit memoryChanged();
                 setState(Ready);
                 emit opened(this->path());
                 if (load_after) load();
             },
         .failed =
             [this, op](const QString& message) {
                 if (op != op_) return;
                 pending_path_.clear();
                 setError(message);
                 setState(info_ ? (loaded_ ? Loaded : Ready) : Failed);
                 emit failed(message);
             },
         .cancelled =
             [this, op] {
                 if (op != op_) return;
                 pending_path_.clear();
                 setState(info_ ? (loaded_ ? Loaded : Ready) : Empty);
             }});
}

void ModelController::load() {
    if (!info_ || busy()) return;
    setError({});
    setNotice({});
    if (loaded_ && loaded_->model && loaded_->path == path()) {  // only the context changes
        if (loaded_->n_ctx != context_) publish(loaded_->model);
        return;
    }
    setProgress(-1, tr("Reading %1").arg(fileName()));
    setState(Loading);
    const int op = ++op_;
    auto result = std::make_shared<std::shared_ptr<const Model>>();
    runner_.start(
        [result, p = info_->path](TaskContext& ctx) {
            std::shared_ptr<const Model> m = Model::load(p);
            ctx.check_cancelled();
            page_in(*m, ctx);
            *result = std::move(m);
        },
        {.done =
             [this, op, result] {
                 if (op != op_) return;
                 setState(Loaded);  // before publishing: listeners see a loaded controller
                 publish(*result);
             },
         .failed =
             [this, op](const QString& message) {
                 if (op != op_) return;
                 setError(message);
                 setState(Ready);
                 emit failed(message);
             },
         .cancelled =
             [this, op] {
                 if (op != op_) return;
                 setNotice(tr("Loading cancelled"));
                 setState(Ready);
             },
         .progress = [this](double f, const QString& s) { setProgress(f, s); }});
}

void ModelController::publish(std::shared_ptr<const Model> model) {
    auto lm = std::make_shared<LoadedModel>();
    lm->model = std::move(model);
    lm->path = path();
    lm->name = displayName();
    lm->n_ctx = context_;
    loaded_ = std::move(lm);
    setState(Loaded);
    emit stateChanged();  // loadedContext
    emit memoryChanged();
    emit modelLoaded();
}

void ModelController::cancel() {
    if (!busy()) return;
    runner_.cancel();
}

void ModelController::unload() {
    if (busy()) {
        ++op_;
        runner_.cancel();
        pending_path_.clear();
    }
    const bool had_model = loaded_ != nullptr;
    loaded_.reset();
    setState(info_ ? Ready : Empty);
    emit memoryChanged();
    if (had_model) emit modelUnloaded();
}

void ModelController::close() {
    ++op_;
    runner_.cancel();
    const bool had_model = loaded_ != nullptr;
    loaded_.reset();
    info_.reset();
    tensors_.clear();
    pending_path_.clear();
    setError({});
    setNotice({});
    setState(Empty);
    emit infoChanged();
    emit memoryChanged();
    if (had_model) emit modelUnloaded();
}

}  // namespace pareto::gui

#include "gui/compress_controller.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>

#include "compress/compressor.h"
#include "compress/export.h"
#include "compress/sensitivity.h"
#include "eval/kl_divergence.h"
#include "gui/profile_controller.h"  // local_path
#include "model/model.h"
#include "model/tensor_set.h"
#include "util/error.h"

namespace pareto::gui {

namespace {

struct ApplyOutcome {
    std::shared_ptr<const Model> model;
    uint32_t file_type = 0;
    size_t bytes_before = 0, bytes_after = 0;
    bool evaluated = false;
    double base_ppl = 0, ppl = 0, kl = 0, same_top = 0;
    std::vector<std::string> warnings;
};

std::string read_text(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        fail(path.toStdString() + ": cannot read the calibration text (" + f.errorString().toStdString() + ")");
    const QByteArray bytes = f.readAll();
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

}  // namespace

CompressController::CompressController(QObject* parent) : QObject(parent) {}

CompressController::~CompressController() = default;

void CompressController::setModel(LoadedModelPtr model) {
    if (model == model_) return;
    runner_.cancel();
    ++generation_;
    model_ = std::move(model);
    grid_.setModel(model_);
    result_.reset();
    evaluated_ = false;
    error_.clear();
    emit modelChanged();
    emit resultChanged();
    emit stateChanged();
}

QStringList CompressController::pruneMethods() const {
    return {QStringLiteral("none"), QStringLiteral("magnitude"), QStringLiteral("wanda"), QStringLiteral("sparsegpt")};
}

void CompressController::setPruneMethod(const QString& m) {
    if (m == prune_method_ || !pruneMethods().contains(m)) return;
    prune_method_ = m;
    emit settingsChanged();
    emit stateChanged();
}

void CompressController::setSparsity(double s) {
    s = std::clamp(s, 0.0, 0.95);
    if (s == sparsity_) return;
    sparsity_ = s;
    emit settingsChanged();
}

void CompressController::setTwoFour(bool on) {
    if (on == two_four_) return;
    two_four_ = on;
    emit settingsChanged();
}

void CompressController::setCalibrationPath(const QString& path_or_url) {
    const QString p = local_path(path_or_url);
    if (p == calibration_path_) return;
    calibration_path_ = p;
    emit settingsChanged();
    emit stateChanged();
}

void CompressController::setEvalChunks(int n) {
    n = std::clamp(n, 1, 64);
    if (n == eval_chunks_) return;
    eval_chunks_ = n;
    emit settingsChanged();
}

bool CompressController::needsCalibration() const {
    return prune_method_ == QLatin1String("wanda") || prune_method_ == QLatin1String("sparsegpt");
}

bool CompressController::canApply() const {
    return model_ && !busy_ && (!needsCalibration() || !calibration_path_.isEmpty());
}

CompressionPlan CompressController::plan() const {
    CompressionPlan p = grid_.plan();
    if (prune_method_ != QLatin1String("none")) {
        PruneRule r;
        r.match = std::string(kBlockMatrices);
        r.method = prune_method_ == QLatin1String("magnitude") ? PruneMethod::Magnitude
                   : prune_method_ == QLatin1String("wanda")   ? PruneMethod::Wanda
                                                               : PruneMethod::SparseGpt;
        if (two_four_) {
            r.target.n = 2;
            r.target.m = 4;
        } else {
            r.target.sparsity = sparsity_;
        }
        p.prune.push_back(std::move(r));
    }
    p.calibration.text = calibration_path_.toStdString();
    return p;
}

void CompressController::setBusy(bool on) {
    busy_ = on;
    emit stateChanged();
}

void CompressController::fail(const QString& message) {
    error_ = message;
    setBusy(false);
    emit failed(message);
}

void CompressController::apply() {
    if (!canApply()) return;
    const CompressionPlan p = plan();
    const std::shared_ptr<const Model> base = model_->model;
    const QString text_path = calibration_path_;
    const int chunks = eval_chunks_, threads = threads_, gen = ++generation_;
    const QString base_name = model_->name;
    const QString plan_name = QString::fromStdString(p.name) +
                              (prune_method_ == QLatin1String("none")
                                   ? QString()
                                   : QStringLiteral(" + %1 %2").arg(prune_method_, two_four_ ? QStringLiteral("2:4")
                                                                                             : QStringLiteral("%1%").arg(std::lround(sparsity_ * 100))));
    error_.clear();
    progress_ = 0;
    stage_ = tr("Starting");
    emit progressChanged();
    setBusy(true);

    runner_.start(
        [this, p, base, text_path, chunks, threads, gen, base_name, plan_name](TaskContext& ctx) {
            CompressOptions o;
            o.n_threads = threads;
            // Compression is the first 80 % of the bar when an evaluation follows.
            const double share = text_path.isEmpty() ? 1.0 : 0.8;
            o.progress = [&ctx, share](const CompressProgress& pr) {
                if (ctx.cancelled()) return false;
                const double f = pr.total > 0 ? static_cast<double>(pr.done) / static_cast<double>(pr.total) : 0;
                ctx.progress(share * f, QStringLiteral("%1 %2").arg(QString::fromUtf8(pr.stage.data(), static_cast<qsizetype>(pr.stage.size())),
                                                                     QString::fromUtf8(pr.detail.data(), static_cast<qsizetype>(pr.detail.size()))));
                return true;
            };
            CompressResult r = compress_model(*base, p, o);
            auto out = std::make_shared<ApplyOutcome>();
            out->file_type = r.file_type;
            out->bytes_before = base->tensors().total_bytes();
            out->bytes_after = r.model->tensors().total_bytes();
            out->warnings = r.warnings;
            out->model = std::shared_ptr<const Model>(std::move(r.model));
            if (!text_path.isEmpty()) {
                const std::string text = read_text(text_path);
                KlParams kp = kl_default_params();
                kp.max_chunks = chunks;
                kp.n_threads = threads;
                kp.n_ctx = std::min<int64_t>(kp.n_ctx, base->config().n_ctx_train > 0 ? base->config().n_ctx_train : kp.n_ctx);
                kp.progress = [&ctx](int64_t done, int64_t total) {
                    if (ctx.cancelled()) return false;
                    ctx.progress(0.8 + 0.2 * static_cast<double>(done) / static_cast<double>(std::max<int64_t>(1, total)),
                                 QStringLiteral("evaluate chunk %1 of %2").arg(done).arg(total));
                    return true;
                };
                const KlResult kl = evaluate_against_baseline(*out->model, *base, text, kp);
                out->evaluated = true;
                out->base_ppl = kl.base.ppl;
                out->ppl = kl.model.ppl;
                out->kl = kl.kl_mean;
                out->same_top = kl.same_top_rate;
            }
            ctx.post([this, out, gen, base_name, plan_name] {
                if (gen != generation_) return;
                auto lm = std::make_shared<LoadedModel>();
                lm->model = out->model;
                lm->name = QStringLiteral("%1 (%2)").arg(base_name, plan_name);
                lm->n_ctx = model_ ? model_->n_ctx : 0;
                result_ = std::move(lm);
                result_file_type_ = out->file_type;
                base_bytes_ = static_cast<double>(out->bytes_before);
                result_bytes_ = static_cast<double>(out->bytes_after);
                evaluated_ = out->evaluated;
                base_ppl_ = out->base_ppl;
                result_ppl_ = out->ppl;
                kl_mean_ = out->kl;
                same_top_ = out->same_top;
                result_plan_ = plan_name;
                warnings_.clear();
                for (const auto& w : out->warnings) warnings_ << QString::fromStdString(w);
                emit resultChanged();
                emit applied();
            });
        },
        {.done = [this] { setBusy(false); },
         .failed = [this](const QString& m) { fail(m); },
         .cancelled =
             [this] {
                 stage_ = tr("Cancelled");
                 emit progressChanged();
                 setBusy(false);
             },
         .progress =
             [this](double f, const QString& s) {
                 progress_ = f;
                 stage_ = s;
                 emit progressChanged();
             }});
}

void CompressController::setScanType(const QString& t) {
    const auto choice = parse_type_choice(t.toStdString());
    if (!choice || choice->keep || t == scan_type_) return;
    scan_type_ = QString::fromUtf8(dtype_name(choice->type).data());
    emit settingsChanged();
}

void CompressController::scanSensitivity() {
    if (!canScan()) return;
    const std::shared_ptr<const Model> base = model_->model;
    const QString text_path = calibration_path_;
    const auto type = parse_type_choice(scan_type_.toStdString());
    const int chunks = eval_chunks_, threads = threads_, gen = generation_;
    grid_.clearSensitivity();
    error_.clear();
    progress_ = 0;
    stage_ = tr("Sensitivity: %1 per group").arg(scan_type_);
    emit progressChanged();
    setBusy(true);
    runner_.start(
        [this, base, text_path, type, chunks, threads, gen](TaskContext& ctx) {
            const std::string text = read_text(text_path);
            SensitivityParams sp;
            sp.probe.type = type;
            sp.kl.max_chunks = chunks;
            sp.kl.n_threads = threads;
            if (base->config().n_ctx_train > 0) sp.kl.n_ctx = std::min<int64_t>(sp.kl.n_ctx, base->config().n_ctx_train);
            sp.n_threads = threads;
            sp.progress = [&ctx, this, gen](int64_t done, int64_t total, const SensitivityRow& row) {
                if (ctx.cancelled()) return false;
                std::vector<std::pair<std::string, double>> kl;
                for (const auto& t : row.group.tensors) kl.emplace_back(t, row.kl.kl_mean);
                ctx.post([this, gen, kl] {
                    if (gen == generation_) grid_.setSensitivity(kl);
                });
                ctx.progress(static_cast<double>(done) / static_cast<double>(std::max<int64_t>(1, total)),
                             QStringLiteral("sensitivity: %1 of %2 groups").arg(done).arg(total));
                return true;
            };
            sensitivity_scan(*base, text, sp);
        },
        {.done =
             [this] {
                 setBusy(false);
                 emit scanned();
             },
         .failed = [this](const QString& m) { fail(m); },
         .cancelled =
             [this] {
                 stage_ = tr("Cancelled");
                 emit progressChanged();
                 setBusy(false);
             },
         .progress =
             [this](double f, const QString& s) {
                 progress_ = f;
                 stage_ = s;
                 emit progressChanged();
             }});
}

void CompressController::cancel() { runner_.cancel(); }

void CompressController::exportTo(const QString& path_or_url) {
    if (!result_ || busy_) return;
    const QString path = local_path(path_or_url);
    const std::shared_ptr<const Model> m = result_->model;
    const uint32_t ft = result_file_type_;
    error_.clear();
    stage_ = tr("Writing %1").arg(QFileInfo(path).fileName());
    progress_ = -1;
    emit progressChanged();
    setBusy(true);
    runner_.start([m, ft, path](TaskContext&) { write_model_gguf(*m, path.toStdString(), ft); },
                  {.done =
                       [this, path] {
                           setBusy(false);
                           emit exported(path);
                       },
                   .failed = [this](const QString& msg) { fail(msg); },
                   .cancelled = [this] { setBusy(false); }});
}

}  // namespace pareto::gui

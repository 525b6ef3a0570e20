#include "gui/compress_grid_model.h"

#include <array>

#include "model/model.h"
#include "model/tensor_set.h"
#include "util/error.h"

namespace pareto::gui {

namespace {

constexpr std::array<const char*, CompressGridModel::kColumns> kKinds = {
    "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
constexpr std::array<const char*, 2> kGlobal = {"token_embd", "output"};
// What a click cycles through: largest first.
constexpr std::array<DType, 9> kCycle = {DType::F32,  DType::F16,  DType::Q8_0, DType::Q6_K, DType::Q5_K,
                                         DType::Q4_K, DType::Q4_0, DType::Q3_K, DType::Q2_K};

// The PCRE2 pattern matching exactly this tensor name.
std::string exact_pattern(const std::string& name) {
    std::string p;
    for (char c : name) {
        if (c == '.') p += '\\';
        p += c;
    }
    return p;
}

size_t estimate_bytes(const GgufTensor& t, DType type) {
    const auto row = dtype_row_bytes(type, t.dim(0));
    if (!row) return t.n_bytes;
    return *row * static_cast<size_t>(t.n_elements / std::max<uint64_t>(1, t.dim(0)));
}

}  // namespace

CompressGridModel::CompressGridModel(QObject* parent) : QAbstractTableModel(parent) {}

void CompressGridModel::setModel(LoadedModelPtr model) {
    beginResetModel();
    model_ = std::move(model);
    cells_.clear();
    n_layer_ = 0;
    current_bytes_ = estimated_bytes_ = 0;
    max_sensitivity_ = -1;
    if (model_ && model_->model) {
        const Model& m = *model_->model;
        const TensorSet& ts = m.tensors();
        n_layer_ = static_cast<int>(m.config().n_layer);
        cells_.assign(static_cast<size_t>(n_layer_ + 1) * kColumns, Cell{});
        const auto place = [&](Cell& c, const std::string& name) {
            const GgufTensor* t = ts.find(name);
            if (!t || !is_plan_matrix(t->name, t->shape.size())) return;
            c.tensor = name;
            c.source = c.target = t->type;
            c.bytes_before = c.bytes_after = t->n_bytes;
        };
        for (size_t g = 0; g < kGlobal.size(); ++g) place(cells_[g], std::string(kGlobal[g]) + ".weight");
        for (int l = 0; l < n_layer_; ++l)
            for (int k = 0; k < kColumns; ++k)
                place(cells_[static_cast<size_t>(l + 1) * kColumns + k],
                      "blk." + std::to_string(l) + "." + kKinds[static_cast<size_t>(k)] + ".weight");
        current_bytes_ = ts.total_bytes();
    }
    endResetModel();
    if (model_ && !applyPreset(QStringLiteral("q8_0"))) resolve();
    emit changed();
}

int CompressGridModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !model_ ? 0 : n_layer_ + 1;
}
int CompressGridModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumns;
}

CompressGridModel::Cell* CompressGridModel::cell(int row, int column) {
    if (row < 0 || row > n_layer_ || column < 0 || column >= kColumns || cells_.empty()) return nullptr;
    return &cells_[static_cast<size_t>(row) * kColumns + static_cast<size_t>(column)];
}
const CompressGridModel::Cell* CompressGridModel::cell(int row, int column) const {
    return const_cast<CompressGridModel*>(this)->cell(row, column);
}

QVariant CompressGridModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.model() != this) return {};
    const Cell* c = cell(index.row(), index.column());
    if (!c) return {};
    const bool present = !c->tensor.empty();
    switch (role) {
    case Qt::DisplayRole:
    case TargetTypeRole: return present ? QString::fromUtf8(dtype_name(c->target).data()) : QString();
    case TensorNameRole: return QString::fromStdString(c->tensor);
    case SourceTypeRole: return present ? QString::fromUtf8(dtype_name(c->source).data()) : QString();
    case WantedTypeRole: return present ? QString::fromStdString(c->wanted.name()) : QString();
    case FallbackRole: return present && c->wanted.resolve(c->source) != c->target;
    case BytesBeforeRole: return static_cast<double>(c->bytes_before);
    case BytesAfterRole: return static_cast<double>(c->bytes_after);
    case PresentRole: return present;
    case SensitivityRole: return c->sensitivity;
    case HeatRole:
        return c->sensitivity < 0 || max_sensitivity_ < 0 ? -1.0
               : max_sensitivity_ > 0                      ? c->sensitivity / max_sensitivity_
                                                           : 0.0;
    case Qt::ToolTipRole:
        return present ? QStringLiteral("%1: %2 → %3")
                             .arg(QString::fromStdString(c->tensor), QString::fromUtf8(dtype_name(c->source).data()),
                                  QString::fromUtf8(dtype_name(c->target).data()))
                       : QString();
    default: return {};
    }
}

QVariant CompressGridModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return {};
    if (orientation == Qt::Horizontal)
        return section >= 0 && section < kColumns ? QString::fromUtf8(kKinds[static_cast<size_t>(section)]) : QVariant();
    if (section < 0 || section > n_layer_) return {};
    return section == 0 ? QStringLiteral("global") : QString::number(section - 1);
}

Qt::ItemFlags CompressGridModel::flags(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this) return Qt::NoItemFlags;
    const Cell* c = cell(index.row(), index.column());
    return c && !c->tensor.empty() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable : Qt::NoItemFlags;
}

QHash<int, QByteArray> CompressGridModel::roleNames() const {
    auto names = QAbstractTableModel::roleNames();
    names.insert(TensorNameRole, "tensorName");
    names.insert(SourceTypeRole, "sourceType");
    names.insert(WantedTypeRole, "wantedType");
    names.insert(TargetTypeRole, "targetType");
    names.insert(FallbackRole, "fallback");
    names.insert(BytesBeforeRole, "bytesBefore");
    names.insert(BytesAfterRole, "bytesAfter");
    names.insert(PresentRole, "present");
    names.insert(SensitivityRole, "sensitivity");
    names.insert(HeatRole, "heat");
    return names;
}

QStringList CompressGridModel::presetNames() const {
    QStringList out;
    for (auto n : preset_names()) out << QString::fromUtf8(n.data(), static_cast<qsizetype>(n.size()));
    return out;
}

QStringList CompressGridModel::typeNames() const {
    QStringList out;
    for (DType t : kCycle) out << QString::fromUtf8(dtype_name(t).data());
    out << QStringLiteral("keep");
    return out;
}

QStringList CompressGridModel::rowLabels() const {
    QStringList out;
    for (int r = 0; r <= n_layer_ && model_; ++r) out << headerData(r, Qt::Vertical).toString();
    return out;
}

QStringList CompressGridModel::columnLabels() const {
    QStringList out;
    for (const char* k : kKinds) out << QString::fromUtf8(k);
    return out;
}

bool CompressGridModel::applyPreset(const QString& name) {
    if (!model_) return false;
    CompressionPlan p;
    try {
        p = preset_plan(name.toStdString(), model_->model->config());
        const PlanResolution res = resolve_plan(p, model_->model->tensors(), model_->model->config());
        // What each tensor asked for: the preset's rule for it, else its default.
        for (const TensorDecision& d : res.tensors) {
            const auto at = cellOf(d.name);
            if (!at) continue;
            Cell* c = cell(at->first, at->second);
            c->wanted = d.quant_rule >= 0 && p.rules[static_cast<size_t>(d.quant_rule)].type
                            ? *p.rules[static_cast<size_t>(d.quant_rule)].type
                            : p.default_type;
        }
    } catch (const Error&) {
        return false;
    }
    resolve();
    preset_ = name;
    emit changed();
    return true;
}

bool CompressGridModel::setType(int row, int column, const QString& type) {
    Cell* c = cell(row, column);
    if (!c || c->tensor.empty()) return false;
    const auto choice = parse_type_choice(type.toStdString());
    if (!choice) return false;
    c->wanted = *choice;
    resolve();
    preset_.clear();
    emit changed();
    return true;
}

bool CompressGridModel::cycleType(int row, int column) {
    const Cell* c = cell(row, column);
    if (!c || c->tensor.empty()) return false;
    const QStringList types = typeNames();
    const QString now = QString::fromStdString(c->wanted.name());
    qsizetype i = types.size() - 1;  // "keep" and anything unknown continue at the first
    for (qsizetype j = 0; j < types.size(); ++j)
        if (types[j].compare(now, Qt::CaseInsensitive) == 0) i = j;
    return setType(row, column, types[(i + 1) % types.size()]);
}

QString CompressGridModel::wantedType(int row, int column) const {
    const Cell* c = cell(row, column);
    return c && !c->tensor.empty() ? QString::fromStdString(c->wanted.name()) : QString();
}

bool CompressGridModel::setColumnType(int column, const QString& type) {
    const auto choice = parse_type_choice(type.toStdString());
    if (!choice || column < 0 || column >= kColumns || !model_) return false;
    for (int r = 1; r <= n_layer_; ++r)
        if (Cell* c = cell(r, column); c && !c->tensor.empty()) c->wanted = *choice;
    resolve();
    preset_.clear();
    emit changed();
    return true;
}

void CompressGridModel::setSensitivity(const std::vector<std::pair<std::string, double>>& kl_by_tensor) {
    for (const auto& [name, kl] : kl_by_tensor) {
        const auto at = cellOf(name);
        if (!at) continue;
        cell(at->first, at->second)->sensitivity = kl;
        max_sensitivity_ = std::max(max_sensitivity_, kl);
    }
    if (!cells_.empty()) emit dataChanged(index(0, 0), index(n_layer_, kColumns - 1), {SensitivityRole, HeatRole});
    emit changed();
}

void CompressGridModel::clearSensitivity() {
    for (Cell& c : cells_) c.sensitivity = -1;
    max_sensitivity_ = -1;
    if (!cells_.empty()) emit dataChanged(index(0, 0), index(n_layer_, kColumns - 1), {SensitivityRole, HeatRole});
    emit changed();
}

CompressionPlan CompressGridModel::plan() const {
    CompressionPlan p;
    p.name = preset_.isEmpty() ? "custom" : preset_.toStdString();
    p.description = "from the workbench's Compress grid";
    p.default_type = TypeChoice::keep_type();
    for (const Cell& c : cells_) {
        if (c.tensor.empty()) continue;
        QuantRule r;
        r.match = exact_pattern(c.tensor);
        r.type = c.wanted;
        p.rules.push_back(std::move(r));
    }
    return p;
}

std::optional<std::pair<int, int>> CompressGridModel::cellOf(const std::string& tensor) const {
    for (size_t i = 0; i < cells_.size(); ++i)
        if (!cells_[i].tensor.empty() && cells_[i].tensor == tensor)
            return std::pair{static_cast<int>(i / kColumns), static_cast<int>(i % kColumns)};
    return std::nullopt;
}

void CompressGridModel::resolve() {
    if (!model_) return;
    const TensorSet& ts = model_->model->tensors();
    try {
        const PlanResolution res = resolve_plan(plan(), ts, model_->model->config());
        for (const TensorDecision& d : res.tensors) {
            const auto at = cellOf(d.name);
            if (!at) continue;
            Cell* c = cell(at->first, at->second);
            c->target = d.target_type;
        }
    } catch (const Error&) {
        // A plan of exact names and types only cannot fail to resolve; if it ever
        // does, the cells keep what they asked for.
        for (Cell& c : cells_) c.target = c.wanted.resolve(c.source);
    }
    estimated_bytes_ = current_bytes_;
    for (Cell& c : cells_) {
        if (c.tensor.empty()) continue;
        c.bytes_after = c.target == c.source ? c.bytes_before : estimate_bytes(*ts.find(c.tensor), c.target);
        estimated_bytes_ = estimated_bytes_ - c.bytes_before + c.bytes_after;
    }
    if (!cells_.empty())
        emit dataChanged(index(0, 0), index(n_layer_, kColumns - 1));
}

}  // namespace pareto::gui

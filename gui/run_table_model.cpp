#include "gui/run_table_model.h"

#include <algorithm>

#include "gui/format.h"

namespace pareto::gui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

void RunTableModel::setFileRuns(const QString& file, const std::vector<prof::RunHeader>& runs) {
    // Keep the file's place: its old rows are replaced where they were.
    auto first = std::find_if(rows_.begin(), rows_.end(), [&](const RunRow& r) { return r.file == file; });
    const int at = static_cast<int>(first - rows_.begin());
    removeFile(file);
    if (runs.empty()) return;
    beginInsertRows({}, at, at + static_cast<int>(runs.size()) - 1);
    std::vector<RunRow> add;
    for (const prof::RunHeader& h : runs) add.push_back({file, h});
    rows_.insert(rows_.begin() + at, add.begin(), add.end());
    endInsertRows();
    emit countChanged();
}

void RunTableModel::removeFile(const QString& file) {
    for (int i = count() - 1; i >= 0; --i) {
        if (rows_[static_cast<size_t>(i)].file != file) continue;
        int j = i;
        while (j > 0 && rows_[static_cast<size_t>(j - 1)].file == file) --j;
        beginRemoveRows({}, j, i);
        rows_.erase(rows_.begin() + j, rows_.begin() + i + 1);
        endRemoveRows();
        i = j;
    }
    emit countChanged();
}

QString RunTableModel::columnTitle(int column) const {
    static const char* titles[ColumnCount] = {"Run", "Kind", "Created", "Model", "Type", "Size", "TTFT", "Decode t/s", "PPL", "KL"};
    return column >= 0 && column < ColumnCount ? tr(titles[column]) : QString();
}

int RunTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }
int RunTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const RunRow& row = rows_[static_cast<size_t>(index.row())];
    const prof::RunHeader& h = row.header;
    const prof::RunConfig& c = h.config;
    const bool profiled = h.n_ops > 0;
    if (role == FileRole) return row.file;
    if (role == RunNameRole) return qs(c.name);
    if (role == ColumnRole) return index.column();
    const bool text = role == Qt::DisplayRole;
    if (!text && role != ValueRole) return {};
    switch (index.column()) {
    case Name: return qs(c.name);
    case Kind: return qs(c.kind);
    case Created: return text ? qs(c.created).replace('T', ' ').remove('Z') : qs(c.created);
    case Model: return qs(c.model_name.empty() ? c.model_path : c.model_name);
    case Type: return qs(c.model_type);
    case Size: return text ? format_bytes(static_cast<double>(c.weight_bytes)) : QVariant(static_cast<double>(c.weight_bytes));
    case Ttft:
        if (!profiled) return text ? QStringLiteral("–") : QVariant();
        return text ? Fmt().ms(h.latency.ttft_ms) : QVariant(h.latency.ttft_ms);
    case DecodeTps:
        if (!profiled || h.latency.decode_tokens_per_s <= 0) return text ? QStringLiteral("–") : QVariant();
        return text ? Fmt().rate(h.latency.decode_tokens_per_s) : QVariant(h.latency.decode_tokens_per_s);
    case Ppl:
        if (!h.accuracy) return text ? QStringLiteral("–") : QVariant();
        return text ? QString::number(h.accuracy->ppl, 'f', 3) : QVariant(h.accuracy->ppl);
    case Kl:
        if (!h.accuracy || !h.accuracy->has_baseline) return text ? QStringLiteral("–") : QVariant();
        return text ? QString::number(h.accuracy->kl_mean, 'g', 3) : QVariant(h.accuracy->kl_mean);
    default: return {};
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    return columnTitle(section);
}

QHash<int, QByteArray> RunTableModel::roleNames() const {
    return {{Qt::DisplayRole, "display"}, {ValueRole, "value"}, {FileRole, "file"}, {RunNameRole, "runName"}, {ColumnRole, "column"}};
}

}  // namespace pareto::gui

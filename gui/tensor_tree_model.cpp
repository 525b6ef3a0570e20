#include "gui/tensor_tree_model.h"

#include <algorithm>
#include <map>

#include "gui/format.h"

namespace pareto::gui {

TensorTreeModel::TensorTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void TensorTreeModel::setGroups(std::vector<TensorGroup> groups) {
    beginResetModel();
    groups_ = std::move(groups);
    group_types_.clear();
    max_tensor_bytes_.clear();
    total_bytes_ = max_group_bytes_ = 0;
    for (const TensorGroup& g : groups_) {
        std::map<std::string, uint64_t> type_bytes;
        uint64_t max_bytes = 0;
        for (const TensorEntry& t : g.tensors) {
            type_bytes[t.type] += t.n_bytes;
            max_bytes = std::max(max_bytes, t.n_bytes);
        }
        max_tensor_bytes_.push_back(max_bytes);
        // Layers are compared with layers; the global group (embeddings) would dwarf them.
        if (g.layer >= 0) max_group_bytes_ = std::max(max_group_bytes_, g.n_bytes);
        // The types that hold most of the group's bytes first.
        std::vector<std::pair<uint64_t, std::string>> by_bytes;
        for (const auto& [type, bytes] : type_bytes) by_bytes.emplace_back(bytes, type);
        std::stable_sort(by_bytes.begin(), by_bytes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        QString joined;
        for (const auto& [bytes, t] : by_bytes) joined += (joined.isEmpty() ? "" : ", ") + QString::fromStdString(t);
        group_types_.push_back(joined);
        total_bytes_ += g.n_bytes;
    }
    endResetModel();
    emit layoutReset();
}

int TensorTreeModel::tensorCount() const {
    int n = 0;
    for (const TensorGroup& g : groups_) n += static_cast<int>(g.tensors.size());
    return n;
}

QModelIndex TensorTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) return {};
    if (!parent.isValid()) {
        if (row >= groupCount()) return {};
        return createIndex(row, column, quintptr{0});
    }
    // Only group rows (id 0, column 0) have children.
    if (parent.internalId() != 0 || parent.column() != 0 || parent.row() >= groupCount()) return {};
    const auto& g = groups_[static_cast<size_t>(parent.row())];
    if (row >= static_cast<int>(g.tensors.size())) return {};
    return createIndex(row, column, static_cast<quintptr>(parent.row()) + 1);
}

QModelIndex TensorTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == 0) return {};
    return createIndex(static_cast<int>(child.internalId() - 1), 0, quintptr{0});
}

int TensorTreeModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return groupCount();
    if (parent.internalId() != 0 || parent.column() != 0) return 0;
    return static_cast<int>(groups_[static_cast<size_t>(parent.row())].tensors.size());
}

int TensorTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant TensorTreeModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const bool is_group = index.internalId() == 0;
    const size_t gi = is_group ? static_cast<size_t>(index.row()) : static_cast<size_t>(index.internalId() - 1);
    const TensorGroup& g = groups_[gi];
    const TensorEntry* t = is_group ? nullptr : &g.tensors[static_cast<size_t>(index.row())];
    const uint64_t bytes = is_group ? g.n_bytes : t->n_bytes;

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return is_group ? QString::fromStdString(g.title) : QString::fromStdString(t->name);
        case TypeColumn:
            return is_group ? group_types_[gi] : QString::fromStdString(t->type);
        case ShapeColumn:
            return is_group ? QStringLiteral("%1 tensors").arg(g.tensors.size()) : format_shape(t->shape);
        case ParamsColumn:
            return format_count(static_cast<double>(is_group ? g.n_params : t->n_params));
        case BytesColumn:
            return format_bytes(static_cast<double>(bytes));
        }
        return {};
    case Qt::ToolTipRole:
        return is_group ? QString::fromStdString(g.title) : QString::fromStdString(t->name);
    case BytesRole:
        return static_cast<qint64>(bytes);
    case ShareRole:
        return total_bytes_ ? static_cast<double>(bytes) / static_cast<double>(total_bytes_) : 0.0;
    case IsGroupRole:
        return is_group;
    case TypeRole:
        return is_group ? (group_types_[gi].contains(',') ? QString() : group_types_[gi])
                        : QString::fromStdString(t->type);
    case LayerRole:
        return static_cast<int>(g.layer);
    case RelativeRole: {
        const uint64_t max = is_group ? max_group_bytes_ : max_tensor_bytes_[gi];
        return max ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(max)) : 1.0;
    }
    }
    return {};
}

QVariant TensorTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn: return tr("Tensor");
    case TypeColumn: return tr("Type");
    case ShapeColumn: return tr("Shape");
    case ParamsColumn: return tr("Parameters");
    case BytesColumn: return tr("Bytes");
    }
    return {};
}

QHash<int, QByteArray> TensorTreeModel::roleNames() const {
    QHash<int, QByteArray> names = QAbstractItemModel::roleNames();
    names[BytesRole] = "bytes";
    names[ShareRole] = "share";
    names[IsGroupRole] = "isGroup";
    names[TypeRole] = "typeName";
    names[LayerRole] = "layer";
    names[RelativeRole] = "relative";
    return names;
}

}  // namespace pareto::gui

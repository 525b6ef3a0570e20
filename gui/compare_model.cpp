#include "gui/compare_model.h"

#include <algorithm>

#include "gui/format.h"

namespace pareto::gui {

void CompareModel::setRows(std::vector<prof::CompareRow> rows) {
    beginResetModel();
    rows_ = std::move(rows);
    max_ms_ = 0;
    for (const prof::CompareRow& r : rows_) max_ms_ = std::max({max_ms_, r.a_ms, r.b_ms});
    endResetModel();
    emit countChanged();
}

QString CompareModel::columnTitle(int column) const {
    static const char* titles[ColumnCount] = {"", "A", "B", "B − A", "B / A"};
    return column >= 0 && column < ColumnCount ? tr(titles[column]) : QString();
}

int CompareModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }
int CompareModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant CompareModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const prof::CompareRow& r = rows_[static_cast<size_t>(index.row())];
    switch (role) {
    case ColumnRole: return index.column();
    case RatioRole: return r.ratio();
    case ShareARole: return max_ms_ > 0 ? r.a_ms / max_ms_ : 0.0;
    case ShareBRole: return max_ms_ > 0 ? r.b_ms / max_ms_ : 0.0;
    case Qt::DisplayRole:
        switch (index.column()) {
        case Label: return QString::fromStdString(r.label);
        case A: return QString::number(r.a_ms, 'f', 4);
        case B: return QString::number(r.b_ms, 'f', 4);
        case Delta: return (r.delta_ms() >= 0 ? QStringLiteral("+") : QString()) + QString::number(r.delta_ms(), 'f', 4);
        case Ratio: return r.a_ms > 0 ? QString::number(r.ratio(), 'f', 2) + QStringLiteral("×") : QStringLiteral("–");
        default: return {};
        }
    case ValueRole:
        switch (index.column()) {
        case Label: return QString::fromStdString(r.label);
        case A: return r.a_ms;
        case B: return r.b_ms;
        case Delta: return r.delta_ms();
        case Ratio: return r.ratio();
        default: return {};
        }
    default: return {};
    }
}

QVariant CompareModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    return columnTitle(section);
}

QHash<int, QByteArray> CompareModel::roleNames() const {
    return {{Qt::DisplayRole, "display"}, {ValueRole, "value"}, {RatioRole, "ratio"},
            {ColumnRole, "column"},       {ShareARole, "shareA"}, {ShareBRole, "shareB"}};
}

}  // namespace pareto::gui

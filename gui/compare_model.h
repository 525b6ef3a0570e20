#pragma once
// Two runs compared, one table: rows are op kinds (or layers) and the total,
// columns the time per token in run A and run B, B - A, and B / A.
#include <QAbstractTableModel>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "profiler/compare.h"

namespace pareto::gui {

class CompareModel : public QAbstractTableModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the RunsController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Column { Label, A, B, Delta, Ratio, ColumnCount };
    enum Role { ValueRole = Qt::UserRole + 1, RatioRole, ColumnRole, ShareARole, ShareBRole };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<prof::CompareRow> rows);
    const std::vector<prof::CompareRow>& rows() const { return rows_; }
    int count() const { return static_cast<int>(rows_.size()); }
    Q_INVOKABLE QString columnTitle(int column) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void countChanged();

private:
    std::vector<prof::CompareRow> rows_;
    double max_ms_ = 0;
};

}  // namespace pareto::gui

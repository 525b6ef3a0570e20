#pragma once
// The runs of the open trace files, one row each: name, kind, created, model,
// type, size, TTFT, decode tokens/s, perplexity, KL divergence. DisplayRole is the
// text shown; ValueRole the number (or text) to sort and plot by.
#include <QAbstractTableModel>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "profiler/trace_store.h"

namespace pareto::gui {

struct RunRow {
    QString file;          // the trace it is stored in
    prof::RunHeader header;
};

class RunTableModel : public QAbstractTableModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the RunsController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Column { Name, Kind, Created, Model, Type, Size, Ttft, DecodeTps, Ppl, Kl, ColumnCount };
    enum Role { ValueRole = Qt::UserRole + 1, FileRole, RunNameRole, ColumnRole };
    using QAbstractTableModel::QAbstractTableModel;

    // Replaces the rows of `file` by `runs` (appended at the end when new).
    void setFileRuns(const QString& file, const std::vector<prof::RunHeader>& runs);
    void removeFile(const QString& file);
    const std::vector<RunRow>& rows() const { return rows_; }
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
    std::vector<RunRow> rows_;
};

}  // namespace pareto::gui

#pragma once
// The tensors of a model as a two-level tree for the Model page's TreeView: one
// row per group (the global tensors, then each layer) with its totals, and under
// it one row per tensor. Columns: name, type, shape, parameters, bytes.
#include <QAbstractItemModel>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "gui/model_info.h"

namespace pareto::gui {

class TensorTreeModel : public QAbstractItemModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("the Model page's tensors come from ModelController.tensors")
    Q_PROPERTY(int groupCount READ groupCount NOTIFY layoutReset)
    Q_PROPERTY(int tensorCount READ tensorCount NOTIFY layoutReset)

public:
    enum Column { NameColumn, TypeColumn, ShapeColumn, ParamsColumn, BytesColumn, ColumnCount };
    enum Role {
        BytesRole = Qt::UserRole + 1,  // qint64, for bars and sorting
        ShareRole,                     // double: this row's bytes / the model's bytes
        IsGroupRole,                   // bool
        TypeRole,                      // the type name ("" for a group of mixed types)
        LayerRole,                     // int; -1 for global tensors
        RelativeRole,                  // double in [0, 1]: bytes / the largest sibling layer's or tensor's (for bars)
    };
    Q_ENUM(Column)

    explicit TensorTreeModel(QObject* parent = nullptr);

    void setGroups(std::vector<TensorGroup> groups);
    void clear() { setGroups({}); }
    int groupCount() const { return static_cast<int>(groups_.size()); }
    int tensorCount() const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void layoutReset();

private:
    // A group row's internal id is 0; a tensor row's is its group's index + 1.
    std::vector<TensorGroup> groups_;
    std::vector<QString> group_types_;  // per group: "Q4_K", or "Q4_K, Q6_K, F32" (most bytes first)
    std::vector<uint64_t> max_tensor_bytes_;  // per group
    uint64_t total_bytes_ = 0, max_group_bytes_ = 0;
};

}  // namespace pareto::gui

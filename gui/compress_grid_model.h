#pragma once
// The Compress page's grid: what each weight matrix of the loaded model becomes.
// Rows are the decoder layers, after a first "global" row holding the token
// embedding (column 0) and the output matrix (column 1, absent when tied); columns
// are the seven matrix kinds of a block. A preset (compress/plan.h) fills it, a cell
// is set or cycled through the types by hand, and the grid becomes a CompressionPlan
// with one rule per tensor. Each cell shows the type the compressor will really
// write: the plan is resolved (resolve_plan) after every change, so a type a row
// length cannot take (K-quants need rows of 256) shows its fallback.
#include <QAbstractTableModel>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

#include <optional>
#include <string>
#include <vector>

#include "compress/plan.h"
#include "gui/loaded_model.h"

namespace pareto::gui {

class CompressGridModel : public QAbstractTableModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the workbench")
    Q_PROPERTY(bool hasModel READ hasModel NOTIFY changed)
    Q_PROPERTY(double currentBytes READ currentBytes NOTIFY changed)
    Q_PROPERTY(double estimatedBytes READ estimatedBytes NOTIFY changed)
    Q_PROPERTY(QString preset READ preset NOTIFY changed)
    Q_PROPERTY(QStringList presetNames READ presetNames CONSTANT)
    Q_PROPERTY(QStringList typeNames READ typeNames CONSTANT)
    Q_PROPERTY(QStringList rowLabels READ rowLabels NOTIFY changed)
    Q_PROPERTY(QStringList columnLabels READ columnLabels CONSTANT)
    Q_PROPERTY(bool hasSensitivity READ hasSensitivity NOTIFY changed)
    Q_PROPERTY(double maxSensitivity READ maxSensitivity NOTIFY changed)

public:
    enum Role {
        TensorNameRole = Qt::UserRole + 1,  // "blk.3.attn_q.weight", "" when the cell holds none
        SourceTypeRole,                     // the base model's type
        WantedTypeRole,                     // what the cell asks for ("keep" or a type)
        TargetTypeRole,                     // what the compressor writes (after fallbacks)
        FallbackRole,                       // the target differs from what was asked
        BytesBeforeRole,
        BytesAfterRole,
        PresentRole,
        SensitivityRole,                    // KL (nats) of the cell's group in the last scan, -1 = none
        HeatRole,                           // that KL over the largest in the scan, [0, 1]; -1 = none
    };
    static constexpr int kColumns = 7;

    explicit CompressGridModel(QObject* parent = nullptr);

    // The model whose matrices the grid shows (nullptr: empty). Starts at "q8_0".
    void setModel(LoadedModelPtr model);
    const LoadedModelPtr& model() const { return model_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool hasModel() const { return model_ != nullptr; }
    double currentBytes() const { return static_cast<double>(current_bytes_); }
    double estimatedBytes() const { return static_cast<double>(estimated_bytes_); }
    QString preset() const { return preset_; }  // "" once a cell was changed by hand
    QStringList presetNames() const;
    QStringList typeNames() const;  // the types a cell cycles through, largest first, then "keep"
    QStringList rowLabels() const;
    QStringList columnLabels() const;

    // Fills the grid from a preset's plan; false (grid unchanged) for an unknown name.
    Q_INVOKABLE bool applyPreset(const QString& name);
    // Sets a cell ("Q4_0", "keep"); false for an empty cell or an unknown type.
    Q_INVOKABLE bool setType(int row, int column, const QString& type);
    // Moves a cell to the next of typeNames().
    Q_INVOKABLE bool cycleType(int row, int column);
    // The type a cell asks for ("" : no tensor there): what a drag paints.
    Q_INVOKABLE QString wantedType(int row, int column) const;
    // Sets every cell of a column (a matrix kind) at once.
    Q_INVOKABLE bool setColumnType(int column, const QString& type);

    // A sensitivity scan's result: the KL of each tensor's group (tensor name -> KL).
    void setSensitivity(const std::vector<std::pair<std::string, double>>& kl_by_tensor);
    void clearSensitivity();
    bool hasSensitivity() const { return max_sensitivity_ >= 0; }
    double maxSensitivity() const { return max_sensitivity_; }

    // The grid as a plan: one rule per tensor (its exact name), default "keep".
    CompressionPlan plan() const;
    // The cell of a tensor name, or nullopt.
    std::optional<std::pair<int, int>> cellOf(const std::string& tensor) const;

signals:
    void changed();

private:
    struct Cell {
        std::string tensor;  // "" = no tensor here
        DType source = DType::F32;
        TypeChoice wanted;
        DType target = DType::F32;
        size_t bytes_before = 0, bytes_after = 0;
        double sensitivity = -1;
    };
    Cell* cell(int row, int column);
    const Cell* cell(int row, int column) const;
    void resolve();  // targets and sizes from the plan the grid makes

    LoadedModelPtr model_;
    int n_layer_ = 0;
    std::vector<Cell> cells_;  // (n_layer_ + 1) x kColumns, row-major
    size_t current_bytes_ = 0, estimated_bytes_ = 0;
    QString preset_;
    double max_sensitivity_ = -1;
};

}  // namespace pareto::gui

#pragma once
// Where a run's time goes, as bars: one row per op kind or per layer, with its time
// per token, its share of the phase's total, and its bandwidth. The Profile page
// shows two (by kind, by layer) for the phase chosen (prefill or decode).
#include <QAbstractListModel>
#include <QColor>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "profiler/summary.h"

namespace pareto::gui {

struct OpBar {
    QString label;          // "q", "layer 3", "outside layers"
    double ms_per_token = 0;
    double share = 0;       // of the phase's op time, 0..1
    double gb_per_s = 0;
    qint64 count = 0;       // ops
    QColor color;
};

// Bars of `summary` for `phase`; times per token of that phase (prefill: per prompt
// token; decode: per generated token). Kinds with no ops are left out.
std::vector<OpBar> bars_by_kind(const prof::RunSummary& summary, Phase phase);
std::vector<OpBar> bars_by_layer(const prof::RunSummary& summary, Phase phase);

class OpBarModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the ProfileController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(double maxShare READ maxShare NOTIFY countChanged)

public:
    enum Role { LabelRole = Qt::UserRole + 1, MsRole, ShareRole, GbPerSRole, CountRole, ColorRole, FractionRole };
    using QAbstractListModel::QAbstractListModel;

    void setBars(std::vector<OpBar> bars);
    const std::vector<OpBar>& bars() const { return bars_; }
    int count() const { return static_cast<int>(bars_.size()); }
    double maxShare() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void countChanged();

private:
    std::vector<OpBar> bars_;
};

}  // namespace pareto::gui

#include "gui/op_bar_model.h"

#include <algorithm>

#include "gui/op_colors.h"

namespace pareto::gui {
namespace {

double tokens_of(const prof::RunSummary& s, Phase phase) {
    const double n = phase == Phase::Prefill ? static_cast<double>(s.latency.n_prompt) : static_cast<double>(s.latency.n_decode);
    return n > 0 ? n : 1;
}

OpBar make_bar(const QString& label, const prof::OpStats& st, double tokens, double total_ns, QColor color) {
    OpBar b;
    b.label = label;
    b.ms_per_token = st.ms() / tokens;
    b.share = total_ns > 0 ? static_cast<double>(st.total_ns) / total_ns : 0;
    b.gb_per_s = st.gb_per_s();
    b.count = st.count;
    b.color = color;
    return b;
}

}  // namespace

std::vector<OpBar> bars_by_kind(const prof::RunSummary& summary, Phase phase) {
    const int p = static_cast<int>(phase);
    const double tokens = tokens_of(summary, phase);
    const double total = static_cast<double>(summary.total[p].total_ns);
    std::vector<OpBar> out;
    for (int k = 0; k < kOpKindCount; ++k) {
        const prof::OpStats& st = summary.by_kind[p][k];
        if (st.count == 0) continue;
        const auto kind = static_cast<OpKind>(k);
        out.push_back(make_bar(QString::fromLatin1(op_kind_name(kind).data(), static_cast<qsizetype>(op_kind_name(kind).size())),
                               st, tokens, total, op_kind_color(kind)));
    }
    return out;
}

std::vector<OpBar> bars_by_layer(const prof::RunSummary& summary, Phase phase) {
    const int p = static_cast<int>(phase);
    const double tokens = tokens_of(summary, phase);
    const double total = static_cast<double>(summary.total[p].total_ns);
    std::vector<OpBar> out;
    for (size_t l = 0; l < summary.by_layer.size(); ++l) {
        const prof::OpStats& st = summary.by_layer[l][p];
        if (st.count == 0) continue;
        out.push_back(make_bar(QStringLiteral("layer %1").arg(l), st, tokens, total, QColor("#7b8cff")));
    }
    if (summary.outside_layers[p].count > 0)
        out.push_back(make_bar(QStringLiteral("outside layers"), summary.outside_layers[p], tokens, total, QColor("#8e99ad")));
    return out;
}

void OpBarModel::setBars(std::vector<OpBar> bars) {
    beginResetModel();
    bars_ = std::move(bars);
    endResetModel();
    emit countChanged();
}

double OpBarModel::maxShare() const {
    double m = 0;
    for (const OpBar& b : bars_) m = std::max(m, b.share);
    return m;
}

int OpBarModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant OpBarModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const OpBar& b = bars_[static_cast<size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case LabelRole: return b.label;
    case MsRole: return b.ms_per_token;
    case ShareRole: return b.share;
    case GbPerSRole: return b.gb_per_s;
    case CountRole: return b.count;
    case ColorRole: return b.color;
    case FractionRole: {  // bar length: share relative to the largest bar
        const double m = maxShare();
        return m > 0 ? b.share / m : 0.0;
    }
    default: return {};
    }
}

QHash<int, QByteArray> OpBarModel::roleNames() const {
    return {{LabelRole, "label"}, {MsRole, "ms"},       {ShareRole, "share"},      {GbPerSRole, "gbPerS"},
            {CountRole, "count"}, {ColorRole, "barColor"}, {FractionRole, "fraction"}};
}

}  // namespace pareto::gui

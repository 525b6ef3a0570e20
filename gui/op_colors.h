#pragma once
// One colour per op kind, the same in the timeline, the flame view and the bars.
#include <QColor>

#include "observer.h"

namespace pareto::gui {

inline QColor op_kind_color(OpKind kind) {
    // Grouped by block: embedding/head greys, attention blues and violets, FFN
    // greens and ambers, norms muted.
    static const QColor colors[kOpKindCount] = {
        QColor("#8e99ad"),  // Embed
        QColor("#5c6a80"),  // AttnNorm
        QColor("#62a4fa"),  // QKV
        QColor("#6fb3ff"),  // Q
        QColor("#5a96f0"),  // K
        QColor("#4a7ad8"),  // V
        QColor("#a48cff"),  // Rope
        QColor("#c77dff"),  // Attention
        QColor("#7b8cff"),  // O
        QColor("#5f7364"),  // FfnNorm
        QColor("#4cd38a"),  // GateUp
        QColor("#3fd0a8"),  // Gate
        QColor("#7fd35b"),  // Up
        QColor("#d7d04a"),  // Activation
        QColor("#f3a64a"),  // Down
        QColor("#77808f"),  // OutputNorm
        QColor("#f0646e"),  // LmHead
        QColor("#e7eaf0"),  // Sampling
    };
    const int i = static_cast<int>(kind);
    return i >= 0 && i < kOpKindCount ? colors[i] : QColor("#6c7586");
}

}  // namespace pareto::gui

#include "gui/scatter_item.h"

#include "gui/kiosk_controller.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

#include "gui/format.h"
#include "gui/runs_controller.h"

namespace pareto::gui {
namespace {

const QColor kBg("#161a21"), kGrid("#262d38"), kText("#a0a8b8"), kFaint("#6c7586"), kAccent("#7b8cff"), kTip("#232936");
constexpr double kLeft = 58, kRight = 18, kTop = 14, kBottom = 36;

// Perplexity as a colour: teal for the lowest of the set, through amber, to red.
QColor ppl_color(double ppl, double lo, double hi) {
    if (ppl <= 0) return QColor("#6c7586");
    const double t = hi > lo ? std::clamp((ppl - lo) / (hi - lo), 0.0, 1.0) : 0.0;
    const QColor a("#3fd0a8"), b("#f3b54a"), c("#f0646e");
    const QColor& from = t < 0.5 ? a : b;
    const QColor& to = t < 0.5 ? b : c;
    const double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    return QColor::fromRgbF(static_cast<float>(from.redF() + (to.redF() - from.redF()) * u),
                            static_cast<float>(from.greenF() + (to.greenF() - from.greenF()) * u),
                            static_cast<float>(from.blueF() + (to.blueF() - from.blueF()) * u));
}

}  // namespace

ScatterItem::ScatterItem(QQuickItem* parent) : QQuickPaintedItem(parent) {
    setAcceptHoverEvents(true);
    setAntialiasing(true);
    setFillColor(kBg);
}

void ScatterItem::setController(RunsController* c) {
    if (c == controller_) return;
    if (controller_) disconnect(controller_, nullptr, this, nullptr);
    controller_ = c;
    if (controller_) connect(controller_, &RunsController::pointsChanged, this, [this] { update(); });
    emit controllerChanged();
    update();
}

void ScatterItem::setKiosk(KioskController* k) {
    if (k == kiosk_) return;
    if (kiosk_) disconnect(kiosk_, nullptr, this, nullptr);
    kiosk_ = k;
    if (kiosk_) connect(kiosk_, &KioskController::pointsChanged, this, [this] { update(); });
    emit controllerChanged();
    update();
}

const std::vector<ModelPoint>& ScatterItem::points() const {
    static const std::vector<ModelPoint> none;
    return controller_ ? controller_->points() : kiosk_ ? kiosk_->points() : none;
}

void ScatterItem::setMetric(const QString& m) {
    if (m == metric_) return;
    metric_ = m;
    emit metricChanged();
    update();
}

double ScatterItem::yValue(int index) const {
    const ModelPoint& p = points()[static_cast<size_t>(index)];
    return metric_ == QLatin1String("ppl") ? p.ppl : p.tokens_per_s;
}

std::vector<ScatterItem::Placed> ScatterItem::place() const {
    std::vector<Placed> out;
    const auto& pts = points();
    double xmin = 1e300, xmax = 0, ymax = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        if (yValue(static_cast<int>(i)) <= 0 || pts[i].size_bytes <= 0) continue;
        xmin = std::min(xmin, pts[i].size_bytes);
        xmax = std::max(xmax, pts[i].size_bytes);
        ymax = std::max(ymax, yValue(static_cast<int>(i)));
    }
    if (ymax <= 0) return out;
    const bool log_x = xmax / xmin > 10;
    auto fx = [&](double v) { return log_x ? std::log10(v) : v; };
    double x0 = fx(xmin), x1 = fx(xmax);
    const double pad = x1 > x0 ? (x1 - x0) * 0.08 : (log_x ? 0.5 : std::max(1.0, x0 * 0.2));
    x0 -= pad;
    x1 += pad;
    const double w = width() - kLeft - kRight, h = height() - kTop - kBottom;
    for (size_t i = 0; i < pts.size(); ++i) {
        const double y = yValue(static_cast<int>(i));
        if (y <= 0 || pts[i].size_bytes <= 0) continue;
        out.push_back({QPointF(kLeft + (fx(pts[i].size_bytes) - x0) / (x1 - x0) * w, kTop + h - y / (ymax * 1.12) * h),
                       static_cast<int>(i)});
    }
    return out;
}

void ScatterItem::paint(QPainter* p) {
    const double w = width(), h = height();
    p->fillRect(QRectF(0, 0, w, h), kBg);
    QFont font = p->font();
    font.setPixelSize(11);
    p->setFont(font);
    p->setRenderHint(QPainter::Antialiasing, true);
    const std::vector<Placed> placed = place();
    if (plotted_ != static_cast<int>(placed.size())) {
        plotted_ = static_cast<int>(placed.size());
        emit plottedChanged();
    }
    const bool ppl_axis = metric_ == QLatin1String("ppl");
    const QRectF plot(kLeft, kTop, w - kLeft - kRight, h - kTop - kBottom);
    p->setPen(kGrid);
    for (int i = 0; i <= 4; ++i) {
        const double y = plot.top() + plot.height() * i / 4.0;
        p->drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
    }
    p->drawLine(plot.bottomLeft(), plot.bottomRight());
    p->setPen(kFaint);
    p->drawText(QRectF(plot.left(), plot.bottom() + 16, plot.width(), 18), Qt::AlignCenter, tr("weights size →"));
    p->save();
    p->translate(14, plot.center().y());
    p->rotate(-90);
    p->drawText(QRectF(-plot.height() / 2, -8, plot.height(), 16), Qt::AlignCenter,
                ppl_axis ? tr("perplexity ↓") : tr("decode tokens/s ↑"));
    p->restore();
    if (placed.empty()) {
        p->drawText(plot, Qt::AlignCenter,
                    kiosk_     ? tr("Each preset appears here once it has run")
                    : ppl_axis ? tr("No run with a perplexity yet:\npareto-cli eval --trace adds one")
                               : tr("No profiled run yet"));
        return;
    }
    const auto& pts = points();
    double lo = 1e300, hi = 0;
    for (const ModelPoint& m : pts)
        if (m.ppl > 0) {
            lo = std::min(lo, m.ppl);
            hi = std::max(hi, m.ppl);
        }
    // Axis values at the extremes.
    double ymax = 0;
    for (const Placed& pl : placed) ymax = std::max(ymax, yValue(pl.index));
    for (int i = 0; i <= 4; ++i) {
        const double v = ymax * 1.12 * (4 - i) / 4.0;
        p->drawText(QRectF(0, plot.top() + plot.height() * i / 4.0 - 8, kLeft - 6, 16), Qt::AlignRight | Qt::AlignVCenter,
                    v > 0 ? Fmt().rate(v) : QStringLiteral("0"));
    }
    double smin = 1e300, smax = 0;
    for (const Placed& pl : placed) {
        smin = std::min(smin, pts[static_cast<size_t>(pl.index)].size_bytes);
        smax = std::max(smax, pts[static_cast<size_t>(pl.index)].size_bytes);
    }
    p->drawText(QRectF(plot.left(), plot.bottom() + 2, 120, 14), Qt::AlignLeft, format_bytes(smin));
    if (smax > smin) p->drawText(QRectF(plot.right() - 120, plot.bottom() + 2, 120, 14), Qt::AlignRight, format_bytes(smax));

    // The front, joined in size order.
    std::vector<Placed> front;
    for (const Placed& pl : placed)
        if (pts[static_cast<size_t>(pl.index)].front) front.push_back(pl);
    std::sort(front.begin(), front.end(), [](const Placed& a, const Placed& b) { return a.at.x() < b.at.x(); });
    if (front.size() > 1) {
        QPen pen(kAccent, 1.5, Qt::DashLine);
        p->setPen(pen);
        for (size_t i = 1; i < front.size(); ++i) p->drawLine(front[i - 1].at, front[i].at);
    }
    // Front labels alternate above and below their points, so neighbours stay legible.
    std::vector<int> label_below(pts.size(), 0);
    for (size_t i = 0; i < front.size(); ++i) label_below[static_cast<size_t>(front[i].index)] = static_cast<int>(i % 2);
    for (const Placed& pl : placed) {
        const ModelPoint& m = pts[static_cast<size_t>(pl.index)];
        const QColor c = ppl_axis ? QColor("#7b8cff") : ppl_color(m.ppl, lo, hi);
        p->setPen(Qt::NoPen);
        p->setBrush(c);
        p->drawEllipse(pl.at, m.front ? 6.5 : 5, m.front ? 6.5 : 5);
        if (m.front) {
            p->setBrush(Qt::NoBrush);
            p->setPen(QPen(QColor("#e7eaf0"), 1.5));
            p->drawEllipse(pl.at, 10, 10);
            p->setPen(kText);
            const double dy = label_below[static_cast<size_t>(pl.index)] ? 5 : -18;
            p->drawText(QRectF(pl.at.x() + 13, pl.at.y() + dy, 220, 14), Qt::AlignLeft, m.label);
        }
    }
    if (!hover_text_.isEmpty()) {
        const QFontMetricsF fm(font);
        const QStringList lines = hover_text_.split('\n');
        double tw = 0;
        for (const QString& l : lines) tw = std::max(tw, fm.horizontalAdvance(l));
        QRectF box(hover_pos_.x() + 14, hover_pos_.y() + 14, tw + 16, fm.height() * static_cast<double>(lines.size()) + 10);
        if (box.right() > w) box.moveRight(hover_pos_.x() - 8);
        if (box.bottom() > h) box.moveBottom(hover_pos_.y() - 8);
        p->setPen(kGrid);
        p->setBrush(kTip);
        p->drawRoundedRect(box, 6, 6);
        p->setPen(QColor("#e7eaf0"));
        p->drawText(box.adjusted(8, 5, -8, -5), Qt::AlignLeft | Qt::AlignTop, hover_text_);
    }
}

void ScatterItem::hoverMoveEvent(QHoverEvent* e) {
    QString text;
    for (const Placed& pl : place()) {
        const QPointF off = pl.at - e->position();
        if (off.x() * off.x() + off.y() * off.y() > 100) continue;
        const ModelPoint& m = points()[static_cast<size_t>(pl.index)];
        text = tr("%1\n%2 · %3 tokens/s · PPL %4\n%5 run(s)%6")
                   .arg(m.label, format_bytes(m.size_bytes), m.tokens_per_s > 0 ? Fmt().rate(m.tokens_per_s) : QStringLiteral("–"),
                        m.ppl > 0 ? QString::number(m.ppl, 'f', 3) : QStringLiteral("–"))
                   .arg(m.runs)
                   .arg(m.front ? tr(" · on the Pareto front") : QString());
        break;
    }
    hover_pos_ = e->position();
    if (text != hover_text_) {
        hover_text_ = text;
        emit hoverChanged();
    }
    update();
}

void ScatterItem::hoverLeaveEvent(QHoverEvent*) {
    hover_text_.clear();
    emit hoverChanged();
    update();
}

}  // namespace pareto::gui

#include "gui/timeline_item.h"

#include <QCursor>
#include <QFontMetricsF>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "gui/format.h"
#include "gui/op_colors.h"
#include "gui/profile_controller.h"

namespace pareto::gui {
namespace {

constexpr double kTokenLane = 26;
const QColor kBg("#161a21"), kLaneAlt("#1a1f27"), kGrid("#262d38"), kText("#a0a8b8"), kFaint("#6c7586"),
    kAccent("#7b8cff"), kTip("#232936");

// The timeline's lane of an op kind: 0 attention, 1 feed-forward, 2 outside the blocks.
int timeline_lane(OpKind k) {
    switch (k) {
    case OpKind::AttnNorm: case OpKind::QKV: case OpKind::Q: case OpKind::K: case OpKind::V: case OpKind::Rope:
    case OpKind::Attention: case OpKind::O: return 0;
    case OpKind::FfnNorm: case OpKind::GateUp: case OpKind::Gate: case OpKind::Up: case OpKind::Activation: case OpKind::Down: return 1;
    default: return 2;
    }
}

QString kind_name(OpKind k) { return QString::fromLatin1(op_kind_name(k).data(), static_cast<qsizetype>(op_kind_name(k).size())); }

// A round step for axis ticks: 1, 2 or 5 times a power of ten, about `target` ns.
double nice_step(double target) {
    const double p = std::pow(10.0, std::floor(std::log10(std::max(target, 1.0))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= target) return m * p;
    return 10 * p;
}

QString time_label(double ns) {
    if (ns >= 1e9) return QString::number(ns * 1e-9, 'g', 4) + " s";
    if (ns >= 1e6) return QString::number(ns * 1e-6, 'g', 4) + " ms";
    return QString::number(ns * 1e-3, 'g', 4) + " µs";
}

}  // namespace

TimelineItem::TimelineItem(QQuickItem* parent) : QQuickPaintedItem(parent) {
    setAcceptHoverEvents(true);
    setAcceptedMouseButtons(Qt::LeftButton);
    setOpaquePainting(true);
    setFillColor(kBg);
}

void TimelineItem::setController(ProfileController* c) {
    if (c == controller_) return;
    if (controller_) disconnect(controller_, nullptr, this, nullptr);
    controller_ = c;
    if (controller_) {
        connect(controller_, &ProfileController::runChanged, this, [this] { setRun(controller_->run()); });
        // The timeline outlines the selected step.
        connect(controller_, &ProfileController::selectedStepChanged, this, [this] { update(); });
        setRun(controller_->run());
    }
    emit controllerChanged();
}

void TimelineItem::setStep(int s) {
    if (s == step_) return;
    step_ = s;
    rebuild();
    emit stepChanged();
}

void TimelineItem::setRun(std::shared_ptr<const prof::Run> run) {
    run_ = std::move(run);
    rebuild();
}

void TimelineItem::rebuild() {
    lanes_.clear();
    t0_ = 0;
    t1_ = 1;
    if (run_ && !run_->ops.empty()) {
        const auto& ops = run_->ops;
        if (step_ < 0) {
            // Three lanes, in the order a token runs through them: attention, the
            // feed-forward block, and the rest (embedding, output norm, head, sampling).
            lanes_ = {{tr("attention"), {}}, {tr("feed-forward"), {}}, {tr("embed · head"), {}}};
            for (uint32_t i = 0; i < ops.size(); ++i) lanes_[static_cast<size_t>(timeline_lane(ops[i].kind))].ops.push_back(i);
            t0_ = ops.front().t_begin_ns;
            t1_ = ops.back().t_end_ns;
            for (const prof::TokenRecord& t : run_->tokens) {
                t0_ = std::min(t0_, t.t_begin_ns);
                t1_ = std::max(t1_, t.t_end_ns);
            }
        } else {
            int n_layer = 0;
            for (const prof::OpRecord& op : ops) n_layer = std::max(n_layer, op.layer + 1);
            lanes_.push_back({QStringLiteral("model"), {}});
            for (int l = 0; l < n_layer; ++l) lanes_.push_back({QStringLiteral("layer %1").arg(l), {}});
            bool any = false;
            for (uint32_t i = 0; i < ops.size(); ++i) {
                if (ops[i].step != step_) continue;
                lanes_[static_cast<size_t>(ops[i].layer + 1)].ops.push_back(i);
                if (!any) t0_ = ops[i].t_begin_ns;
                t1_ = ops[i].t_end_ns;
                any = true;
            }
            for (const prof::TokenRecord& t : run_->tokens)
                if (t.step == step_) {
                    t0_ = any ? std::min(t0_, t.t_begin_ns) : t.t_begin_ns;
                    t1_ = any ? std::max(t1_, t.t_end_ns) : t.t_end_ns;
                }
        }
        if (t1_ <= t0_) t1_ = t0_ + 1;
    }
    v0_ = t0_;
    v1_ = t1_;
    emit lanesChanged();
    emit viewChanged();
    setHover({}, {});
    update();
}

double TimelineItem::laneHeight() const {
    const double top = kAxis + (step_ < 0 ? kTokenLane : 0);
    return lanes_.empty() ? 0 : std::max(4.0, (height() - top) / static_cast<double>(lanes_.size()));
}

double TimelineItem::xOf(int64_t t) const {
    return kGutter + static_cast<double>(t - v0_) / static_cast<double>(v1_ - v0_) * plotWidth();
}

int64_t TimelineItem::timeAt(double x) const {
    return v0_ + static_cast<int64_t>((x - kGutter) / plotWidth() * static_cast<double>(v1_ - v0_));
}

int TimelineItem::laneAt(double y) const {
    if (y < kAxis || lanes_.empty()) return -2;
    double top = kAxis;
    if (step_ < 0) {
        if (y < kAxis + kTokenLane) return -1;
        top += kTokenLane;
    }
    const int i = static_cast<int>((y - top) / laneHeight());
    return i >= 0 && i < laneCount() ? i : -2;
}

void TimelineItem::zoom(double factor, double at_x) {
    if (!run_) return;
    const int64_t at = timeAt(std::clamp(at_x, kGutter, width()));
    const double span = std::clamp(static_cast<double>(v1_ - v0_) * factor, kMinSpanNs, static_cast<double>(t1_ - t0_));
    const double left = static_cast<double>(at - v0_) / static_cast<double>(v1_ - v0_);
    int64_t a = at - static_cast<int64_t>(left * span);
    a = std::clamp<int64_t>(a, t0_, t1_ - static_cast<int64_t>(span));
    v0_ = a;
    v1_ = a + static_cast<int64_t>(span);
    emit viewChanged();
    update();
}

void TimelineItem::panPixels(double dx) {
    const int64_t span = v1_ - v0_;
    const int64_t shift = static_cast<int64_t>(-dx / plotWidth() * static_cast<double>(span));
    v0_ = std::clamp<int64_t>(v0_ + shift, t0_, t1_ - span);
    v1_ = v0_ + span;
    emit viewChanged();
    update();
}

void TimelineItem::resetView() {
    v0_ = t0_;
    v1_ = t1_;
    emit viewChanged();
    update();
}

const prof::OpRecord* TimelineItem::opAt(double x, double y) const {
    const int lane = laneAt(y);
    if (!run_ || lane < 0 || x < kGutter) return nullptr;
    const auto& ops = run_->ops;
    const std::vector<uint32_t>& idx = lanes_[static_cast<size_t>(lane)].ops;
    // An op within a pixel either side counts: sub-pixel ops are still findable.
    const int64_t lo = timeAt(x - 1), hi = timeAt(x + 1), t = timeAt(x);
    auto it = std::lower_bound(idx.begin(), idx.end(), lo, [&](uint32_t i, int64_t v) { return ops[i].t_end_ns < v; });
    const prof::OpRecord* best = nullptr;
    int64_t best_d = 0;
    for (; it != idx.end() && ops[*it].t_begin_ns <= hi; ++it) {
        const prof::OpRecord& op = ops[*it];
        const int64_t gap = t < op.t_begin_ns ? op.t_begin_ns - t : (t > op.t_end_ns ? t - op.t_end_ns : 0);
        if (!best || gap < best_d) {
            best = &op;
            best_d = gap;
        }
    }
    return best;
}

const prof::TokenRecord* TimelineItem::tokenAt(double x) const {
    if (!run_ || x < kGutter) return nullptr;
    const int64_t t = timeAt(x);
    const auto& toks = run_->tokens;
    auto it = std::lower_bound(toks.begin(), toks.end(), t, [](const prof::TokenRecord& r, int64_t v) { return r.t_end_ns < v; });
    return it != toks.end() && it->t_begin_ns <= t ? &*it : nullptr;
}

QString TimelineItem::describeAt(double x, double y) const {
    if (laneAt(y) == -1) {
        const prof::TokenRecord* tok = tokenAt(x);
        if (!tok) return {};
        return tr("step %1 · %2 · %3 token(s) at %4\n%5")
            .arg(tok->step)
            .arg(QString::fromLatin1(phase_name(tok->phase).data()))
            .arg(tok->n_tokens)
            .arg(tok->pos)
            .arg(Fmt().ms(tok->duration_ns() * 1e-6));
    }
    const prof::OpRecord* op = opAt(x, y);
    if (!op) return {};
    const double ns = static_cast<double>(op->duration_ns());
    return tr("%1 · %2 · step %3 (%4)\n%5 · %6 GB/s · %7 token(s)")
        .arg(kind_name(op->kind))
        .arg(op->layer < 0 ? tr("outside layers") : tr("layer %1").arg(op->layer))
        .arg(op->step)
        .arg(QString::fromLatin1(phase_name(op->phase).data()))
        .arg(Fmt().ms(ns * 1e-6))
        .arg(ns > 0 ? static_cast<double>(op->bytes_read) / ns : 0.0, 0, 'f', 2)
        .arg(op->n_tokens);
}

void TimelineItem::paint(QPainter* p) {
    last_rects_ = 0;
    const double w = width(), h = height();
    p->fillRect(QRectF(0, 0, w, h), kBg);
    QFont font = p->font();
    font.setPixelSize(11);
    p->setFont(font);
    if (!run_ || lanes_.empty()) {
        p->setPen(kFaint);
        p->drawText(QRectF(0, 0, w, h), Qt::AlignCenter, run_ ? tr("No ops in this step") : tr("No run"));
        return;
    }
    const auto& ops = run_->ops;
    const double span = static_cast<double>(v1_ - v0_);
    const double pw = plotWidth();
    const double lh = laneHeight();
    const double lanes_top = kAxis + (step_ < 0 ? kTokenLane : 0);

    // Axis and grid.
    const double tick = nice_step(span / std::max(2.0, pw / 110));
    p->setPen(kGrid);
    p->drawLine(QPointF(kGutter, kAxis - 0.5), QPointF(w, kAxis - 0.5));
    const double first = std::ceil(static_cast<double>(v0_ - t0_) / tick) * tick;
    for (double t = first; t <= static_cast<double>(v1_ - t0_); t += tick) {
        const double x = xOf(t0_ + static_cast<int64_t>(t));
        p->setPen(kGrid);
        p->drawLine(QPointF(x, kAxis), QPointF(x, h));
        p->setPen(kFaint);
        p->drawText(QRectF(x + 3, 2, 100, kAxis - 4), Qt::AlignLeft | Qt::AlignVCenter, time_label(t));
    }

    // Lane backgrounds and labels.
    for (size_t i = 0; i < lanes_.size(); ++i) {
        const double y = lanes_top + static_cast<double>(i) * lh;
        if (i % 2) p->fillRect(QRectF(0, y, w, lh), kLaneAlt);
        if (lh >= 9) {
            p->setPen(kText);
            p->drawText(QRectF(8, y, kGutter - 12, lh), Qt::AlignLeft | Qt::AlignVCenter, lanes_[i].label);
        }
    }

    p->setClipRect(QRectF(kGutter, 0, pw, h));
    // Token steps (timeline only): alternating shades, the selected one outlined.
    if (step_ < 0) {
        p->setPen(kText);
        const auto& toks = run_->tokens;
        auto it = std::lower_bound(toks.begin(), toks.end(), v0_, [](const prof::TokenRecord& r, int64_t v) { return r.t_end_ns < v; });
        double last_px = -1;
        const int selected = controller_ ? controller_->selectedStep() : -1;
        for (; it != toks.end() && it->t_begin_ns <= v1_; ++it) {
            double x0 = xOf(it->t_begin_ns), x1 = xOf(it->t_end_ns);
            if (x1 < last_px + 1 && it->step != selected) continue;  // sub-pixel: one per pixel
            x1 = std::max(x1, x0 + 1);
            const QRectF r(x0, kAxis + 3, x1 - x0, kTokenLane - 6);
            const QColor c = it->phase == Phase::Prefill ? QColor("#3a4470") : (it->step % 2 ? QColor("#2a3160") : QColor("#323a6e"));
            p->fillRect(r, it->step == selected ? kAccent : c);
            ++last_rects_;
            if (r.width() > 28) {
                p->setPen(it->step == selected ? QColor("#0e1015") : kText);
                p->drawText(r.adjusted(4, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter,
                            it->phase == Phase::Prefill ? tr("prompt") : QStringLiteral("#%1").arg(it->step));
            }
            last_px = x1;
        }
    }

    // Ops. In each lane, skip whatever falls inside a pixel already drawn.
    const double px_ns = span / pw;
    for (size_t li = 0; li < lanes_.size(); ++li) {
        const std::vector<uint32_t>& idx = lanes_[li].ops;
        const double y = lanes_top + static_cast<double>(li) * lh + 2;
        const double rh = std::max(2.0, lh - 4);
        auto it = std::lower_bound(idx.begin(), idx.end(), v0_, [&](uint32_t i, int64_t v) { return ops[i].t_end_ns < v; });
        double last_px = -1;  // the last pixel column drawn in this lane
        while (it != idx.end()) {
            const prof::OpRecord& op = ops[*it];
            if (op.t_begin_ns > v1_) break;
            const double x0 = xOf(op.t_begin_ns), x1 = xOf(op.t_end_ns);
            const QColor c = op_kind_color(op.kind);
            if (x1 - x0 < 1) {
                // Sub-pixel: an op shows as one pixel column, the first not drawn yet
                // that it touches; then jump to the first op ending past that column.
                double px = std::floor(x0);
                if (px <= last_px) px = std::floor(x1);
                if (px > last_px) {
                    p->fillRect(QRectF(px, y, 1, rh), c);
                    ++last_rects_;
                    last_px = px;
                }
                const int64_t next = v0_ + static_cast<int64_t>((last_px + 1 - kGutter) * px_ns) + 1;
                it = std::lower_bound(it + 1, idx.end(), next, [&](uint32_t i, int64_t v) { return ops[i].t_end_ns < v; });
                continue;
            }
            const QRectF r(x0, y, x1 - x0, rh);
            p->fillRect(r, c);
            ++last_rects_;
            last_px = std::ceil(x1) - 1;
            if (r.width() > 3) {
                p->setPen(QColor(14, 16, 21, 150));
                p->drawLine(QPointF(x1 - 0.5, y), QPointF(x1 - 0.5, y + rh));
            }
            if (step_ >= 0 && r.width() > 34 && rh >= 12) {
                p->setPen(QColor("#0e1015"));
                p->drawText(r.adjusted(3, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter, kind_name(op.kind));
            }
            ++it;
        }
    }
    p->setClipping(false);

    // Hover: a tooltip drawn here, on top of the lanes.
    if (!hover_text_.isEmpty() && !dragging_) {
        const QFontMetricsF fm(font);
        const QStringList lines = hover_text_.split('\n');
        double tw = 0;
        for (const QString& l : lines) tw = std::max(tw, fm.horizontalAdvance(l));
        const double th = fm.height() * static_cast<double>(lines.size()) + 10;
        QRectF box(hover_pos_.x() + 14, hover_pos_.y() + 14, tw + 16, th);
        if (box.right() > w) box.moveRight(hover_pos_.x() - 8);
        if (box.bottom() > h) box.moveBottom(hover_pos_.y() - 8);
        p->setRenderHint(QPainter::Antialiasing, true);
        p->setPen(kGrid);
        p->setBrush(kTip);
        p->drawRoundedRect(box, 6, 6);
        p->setPen(QColor("#e7eaf0"));
        p->drawText(box.adjusted(8, 5, -8, -5), Qt::AlignLeft | Qt::AlignTop, hover_text_);
        p->setRenderHint(QPainter::Antialiasing, false);
    }
}

void TimelineItem::setHover(const QString& text, QPointF pos) {
    const bool changed = text != hover_text_;
    hover_text_ = text;
    hover_pos_ = pos;
    if (changed) emit hoverChanged();
    update();
}

void TimelineItem::wheelEvent(QWheelEvent* e) {
    const double steps = e->angleDelta().y() / 120.0;
    if (steps == 0) return e->ignore();
    zoom(std::pow(0.8, steps), e->position().x());
    e->accept();
}

void TimelineItem::mousePressEvent(QMouseEvent* e) {
    press_pos_ = e->position();
    dragging_ = false;
    e->accept();
}

void TimelineItem::mouseMoveEvent(QMouseEvent* e) {
    const double dx = e->position().x() - press_pos_.x();
    if (!dragging_ && std::abs(dx) < 3) return;
    dragging_ = true;
    setCursor(Qt::ClosedHandCursor);
    panPixels(dx);
    press_pos_ = e->position();
}

void TimelineItem::mouseReleaseEvent(QMouseEvent* e) {
    if (dragging_) {
        dragging_ = false;
        unsetCursor();
        return;
    }
    // A click on the timeline picks the step under it for the flame view.
    if (step_ < 0 && run_) {
        if (const prof::OpRecord* op = opAt(e->position().x(), e->position().y())) emit stepClicked(op->step);
        else if (const prof::TokenRecord* tok = tokenAt(e->position().x())) emit stepClicked(tok->step);
    }
}

void TimelineItem::mouseDoubleClickEvent(QMouseEvent*) { resetView(); }

void TimelineItem::hoverMoveEvent(QHoverEvent* e) { setHover(describeAt(e->position().x(), e->position().y()), e->position()); }

void TimelineItem::hoverLeaveEvent(QHoverEvent*) { setHover({}, {}); }

}  // namespace pareto::gui

#pragma once
// The op timeline of a profiled run, painted with QPainter. Two views of one run:
//   step = -1  the timeline: every token step (top lane) and every op, in three lanes
//              (attention, feed-forward, embedding and head) coloured by kind;
//   step >= 0  the flame view of that step: one lane per layer (and one for the
//              ops outside the layers), the layer's ops side by side within it.
// Smooth with 100k ops: each lane's ops are in time order, so a paint finds the
// first visible op by binary search, and an op narrower than a pixel is drawn as
// that pixel, after which the next op is searched past it: the work per paint is
// bounded by the visible pixels, not by the ops. Wheel zooms around the cursor,
// dragging pans, a double click shows everything; hovering names the op (kind,
// layer, step, duration, GB/s); a click on the timeline selects a step.
#include <QPointF>
#include <QQuickPaintedItem>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <vector>

#include "profiler/run.h"

namespace pareto::gui {

class ProfileController;

class TimelineItem : public QQuickPaintedItem {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(ProfileController* controller READ controller WRITE setController NOTIFY controllerChanged)
    Q_PROPERTY(int step READ step WRITE setStep NOTIFY stepChanged)
    Q_PROPERTY(QString hoverText READ hoverText NOTIFY hoverChanged)
    Q_PROPERTY(int laneCount READ laneCount NOTIFY lanesChanged)
    Q_PROPERTY(double viewStartMs READ viewStartMs NOTIFY viewChanged)
    Q_PROPERTY(double viewSpanMs READ viewSpanMs NOTIFY viewChanged)
    Q_PROPERTY(double fullSpanMs READ fullSpanMs NOTIFY lanesChanged)

public:
    static constexpr double kGutter = 96;     // lane labels
    static constexpr double kAxis = 22;       // time axis
    static constexpr double kMinSpanNs = 2000;

    explicit TimelineItem(QQuickItem* parent = nullptr);

    ProfileController* controller() const { return controller_; }
    void setController(ProfileController* c);
    int step() const { return step_; }
    void setStep(int s);
    // The run shown; set by the controller, or directly (tests).
    void setRun(std::shared_ptr<const prof::Run> run);

    QString hoverText() const { return hover_text_; }
    int laneCount() const { return static_cast<int>(lanes_.size()); }
    double viewStartMs() const { return (v0_ - t0_) * 1e-6; }
    double viewSpanMs() const { return (v1_ - v0_) * 1e-6; }
    double fullSpanMs() const { return (t1_ - t0_) * 1e-6; }

    // The visible time range in ns since the run's start (zoom, pan).
    Q_INVOKABLE void zoom(double factor, double at_x);
    Q_INVOKABLE void panPixels(double dx);
    Q_INVOKABLE void resetView();
    // The op under (x, y), as hoverText() would name it ("" : none).
    Q_INVOKABLE QString describeAt(double x, double y) const;

    void paint(QPainter* painter) override;
    // Rectangles the last paint drew (for tests: bounded by pixels, not ops).
    int lastPaintRects() const { return last_rects_; }

signals:
    void controllerChanged();
    void stepChanged();
    void hoverChanged();
    void lanesChanged();
    void viewChanged();
    void stepClicked(int step);

protected:
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void hoverMoveEvent(QHoverEvent* e) override;
    void hoverLeaveEvent(QHoverEvent* e) override;

private:
    struct Lane {
        QString label;
        std::vector<uint32_t> ops;  // indices into run->ops, in time order
    };
    void rebuild();
    double plotWidth() const { return std::max(1.0, width() - kGutter); }
    double laneHeight() const;
    double xOf(int64_t t) const;
    int64_t timeAt(double x) const;
    int laneAt(double y) const;  // -2 none, -1 the token lane, else a lane index
    const prof::OpRecord* opAt(double x, double y) const;
    const prof::TokenRecord* tokenAt(double x) const;
    void setHover(const QString& text, QPointF pos);

    ProfileController* controller_ = nullptr;
    std::shared_ptr<const prof::Run> run_;
    int step_ = -1;
    std::vector<Lane> lanes_;
    int64_t t0_ = 0, t1_ = 1;  // the whole: the run, or the step
    int64_t v0_ = 0, v1_ = 1;  // what is visible
    QString hover_text_;
    QPointF hover_pos_;
    QPointF press_pos_;
    bool dragging_ = false;
    int last_rects_ = 0;
};

}  // namespace pareto::gui

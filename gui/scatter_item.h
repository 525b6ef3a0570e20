#pragma once
// The Runs page's (and the kiosk's) trade-off chart, painted with QPainter: one point per model,
// size across (log scale when sizes span a decade), decode tokens per second up
// (metric "speed", coloured by perplexity) or perplexity up (metric "ppl"). Points on
// the Pareto front are ringed, labelled and joined; hovering names a point.
#include <QPointF>
#include <QQuickPaintedItem>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <vector>

namespace pareto::gui {

class KioskController;
class RunsController;
struct ModelPoint;

class ScatterItem : public QQuickPaintedItem {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(RunsController* controller READ controller WRITE setController NOTIFY controllerChanged)
    // Or the kiosk's presets (one of the two).
    Q_PROPERTY(KioskController* kiosk READ kiosk WRITE setKiosk NOTIFY controllerChanged)
    Q_PROPERTY(QString metric READ metric WRITE setMetric NOTIFY metricChanged)
    Q_PROPERTY(int plotted READ plotted NOTIFY plottedChanged)
    Q_PROPERTY(QString hoverText READ hoverText NOTIFY hoverChanged)

public:
    explicit ScatterItem(QQuickItem* parent = nullptr);
    RunsController* controller() const { return controller_; }
    void setController(RunsController* c);
    KioskController* kiosk() const { return kiosk_; }
    void setKiosk(KioskController* k);
    QString metric() const { return metric_; }
    void setMetric(const QString& m);
    int plotted() const { return plotted_; }
    QString hoverText() const { return hover_text_; }

    void paint(QPainter* painter) override;

signals:
    void controllerChanged();
    void metricChanged();
    void plottedChanged();
    void hoverChanged();

protected:
    void hoverMoveEvent(QHoverEvent* e) override;
    void hoverLeaveEvent(QHoverEvent* e) override;

private:
    struct Placed {
        QPointF at;
        int index;
    };
    std::vector<Placed> place() const;
    double yValue(int index) const;
    const std::vector<ModelPoint>& points() const;

    RunsController* controller_ = nullptr;
    KioskController* kiosk_ = nullptr;
    QString metric_ = QStringLiteral("speed");
    int plotted_ = 0;
    QString hover_text_;
    QPointF hover_pos_;
};

}  // namespace pareto::gui

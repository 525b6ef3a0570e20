#pragma once
// What the status bar shows about the machine and the process: the SIMD kernels
// in use, threads, and memory (resident, peak, available), sampled once a second.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace pareto::gui {

class SystemStatus : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(QString simd READ simd CONSTANT)
    Q_PROPERTY(QStringList simdLevels READ simdLevels CONSTANT)
    Q_PROPERTY(int hardwareThreads READ hardwareThreads CONSTANT)
    Q_PROPERTY(QString cpu READ cpu CONSTANT)
    Q_PROPERTY(double rssBytes READ rssBytes NOTIFY sampled)
    Q_PROPERTY(double peakRssBytes READ peakRssBytes NOTIFY sampled)
    Q_PROPERTY(double availableBytes READ availableBytes NOTIFY sampled)

public:
    explicit SystemStatus(QObject* parent = nullptr);

    QString simd() const { return simd_; }              // the kernels in use ("avx2")
    QStringList simdLevels() const { return levels_; }  // every level this CPU and build support
    int hardwareThreads() const;
    QString cpu() const { return cpu_; }                 // "AMD EPYC 7B13", "" when unknown
    double rssBytes() const { return rss_; }
    double peakRssBytes() const { return peak_; }
    double availableBytes() const { return available_; }

    Q_INVOKABLE void sample();

signals:
    void sampled();

private:
    QString simd_, cpu_;
    QStringList levels_;
    double rss_ = 0, peak_ = 0, available_ = 0;
    QTimer timer_;
};

}  // namespace pareto::gui

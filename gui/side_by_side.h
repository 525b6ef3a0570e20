#pragma once
// The Playground's side-by-side comparison: one prompt on the loaded model (the
// baseline) and on the Compress page's in-memory result, each in its own Generator
// with its own live TTFT and tokens/s, with one seed and the same sampler settings.
// On a machine with few cores the two run one after the other (the default), so
// neither's speed is measured while the other takes the cores; Cancel stops both.
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace pareto::gui {

class Generator;

class SideBySide : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(bool available READ available NOTIFY availableChanged)  // a compressed model exists
    Q_PROPERTY(bool enabled READ enabled WRITE setEnabled NOTIFY enabledChanged)  // the Playground shows two panes
    Q_PROPERTY(bool sequential READ sequential WRITE setSequential NOTIFY sequentialChanged)
    Q_PROPERTY(bool running READ running NOTIFY runningChanged)

public:
    SideBySide(Generator* baseline, Generator* compressed, QObject* parent = nullptr);

    bool available() const;
    bool enabled() const { return enabled_; }
    void setEnabled(bool on);
    bool sequential() const { return sequential_; }
    void setSequential(bool on);
    bool running() const;

    // Starts the prompt on the baseline and, at once or when it is done, on the
    // compressed model (without one: the baseline alone). False when either cannot
    // start (its error says why).
    Q_INVOKABLE bool start(const QString& prompt);
    Q_INVOKABLE void cancel();

signals:
    void availableChanged();
    void enabledChanged();
    void sequentialChanged();
    void runningChanged();
    void finished();  // both are done (or stopped)

private:
    void onBaselineFinished();
    void onCompressedFinished();
    void checkDone();  // emits finished() once neither runs nor waits

    Generator* baseline_;
    Generator* compressed_;
    bool enabled_ = false, sequential_ = true;
    QString queued_prompt_;  // sequential: the prompt the compressed model runs next
    qint64 queued_seed_ = -1;
    bool active_ = false;    // a comparison started and not yet finished
    bool waiting_ = false;   // sequential: the compressed model's turn is still to come
};

}  // namespace pareto::gui

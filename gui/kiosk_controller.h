#pragma once
// The unattended demo of kiosk mode: make sure a model is loaded, then generate from
// the sample prompts in turn, pausing on each result, forever. Whatever goes wrong
// (a file that will not load, a failed or stuck generation) is shown for a moment
// and then recovered from by itself: the model is reloaded when it is not loaded,
// and the loop moves on to the next prompt. Waits grow after repeated errors (up to
// a minute), so a broken setup does not spin.
//
// With a CompressController, each cycle also moves to the next compression preset
// (base, q8_0, q4_0, q4_k_m by default): the loaded model is compressed in memory
// (once per preset; the results are kept while the base model stays) and the prompt
// runs on the result. Each preset becomes a point of size against tokens/s with the
// Pareto front marked (ScatterItem draws them); a compression that fails is an
// error like any other and the loop moves on to the next preset.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <map>
#include <vector>

#include "gui/loaded_model.h"
#include "gui/runs_controller.h"  // ModelPoint

namespace pareto::gui {

class CompressController;
class ModelController;
class Generator;
class DemoModelController;
class RecentModels;

class KioskController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool active READ active NOTIFY stateChanged)
    Q_PROPERTY(bool paused READ paused NOTIFY stateChanged)
    Q_PROPERTY(QString message READ message NOTIFY stateChanged)
    Q_PROPERTY(QString prompt READ prompt NOTIFY promptChanged)
    Q_PROPERTY(int promptIndex READ promptIndex NOTIFY promptChanged)
    Q_PROPERTY(QStringList prompts READ prompts WRITE setPrompts NOTIFY promptsChanged)
    Q_PROPERTY(int cycles READ cycles NOTIFY cyclesChanged)
    Q_PROPERTY(int errors READ errors NOTIFY errorsChanged)
    Q_PROPERTY(int pauseMs READ pauseMs WRITE setPauseMs NOTIFY timingChanged)
    Q_PROPERTY(int waitMs READ waitMs NOTIFY stateChanged)
    Q_PROPERTY(QStringList presets READ presets WRITE setPresets NOTIFY presetsChanged)
    Q_PROPERTY(int presetIndex READ presetIndex NOTIFY presetChanged)
    Q_PROPERTY(QString preset READ preset NOTIFY presetChanged)
    Q_PROPERTY(double modelBytes READ modelBytes NOTIFY presetChanged)  // the weights being run
    Q_PROPERTY(int pointCount READ pointCount NOTIFY pointsChanged)

public:
    enum State {
        Idle,        // kiosk mode not started
        Preparing,   // opening / loading / creating the model
        Generating,
        Showing,     // a result stays on screen for pauseMs
        Recovering,  // after an error, waiting before the next attempt
        Compressing, // making the next preset's model
    };
    Q_ENUM(State)

    // Without `compress` the loop runs the loaded model only.
    KioskController(ModelController* model, Generator* generator, DemoModelController* demo, RecentModels* recent,
                    CompressController* compress = nullptr, QObject* parent = nullptr);

    static QStringList defaultPrompts();
    static QStringList defaultPresets();  // "base" (the loaded model), then Compress page presets

    State state() const { return state_; }
    bool active() const { return state_ != Idle; }
    bool paused() const { return paused_; }
    QString message() const { return message_; }
    QString prompt() const { return prompt_index_ >= 0 ? prompts_.value(prompt_index_) : QString(); }
    int promptIndex() const { return prompt_index_; }
    QStringList prompts() const { return prompts_; }
    void setPrompts(const QStringList& p);
    int cycles() const { return cycles_; }
    int errors() const { return errors_; }
    int pauseMs() const { return pause_ms_; }
    void setPauseMs(int ms);
    int waitMs() const { return wait_ms_; }             // of the current Showing / Recovering wait
    void setRetryMs(int ms) { retry_ms_ = ms; }          // first wait after an error
    void setGenerationTimeoutMs(int ms) { generation_timeout_ms_ = ms; }
    QStringList presets() const { return presets_; }
    void setPresets(const QStringList& p);
    int presetIndex() const { return preset_index_; }
    QString preset() const { return preset_index_ >= 0 ? presets_.value(preset_index_) : QString(); }
    double modelBytes() const { return model_bytes_; }
    // One point per preset measured: its size, its best decode tokens/s; `front` set.
    const std::vector<ModelPoint>& points() const { return points_; }
    int pointCount() const { return static_cast<int>(points_.size()); }

    // Starts the loop with `model_path` ("" : the loaded model, else the most recent
    // one that exists, else a demo model created for the purpose).
    Q_INVOKABLE void start(const QString& model_path = {});
    Q_INVOKABLE void stop();
    Q_INVOKABLE void pause();
    Q_INVOKABLE void resume();
    Q_INVOKABLE void next();  // skip the wait (or the generation) and go to the next prompt

signals:
    void stateChanged();
    void promptChanged();
    void promptsChanged();
    void cyclesChanged();
    void errorsChanged();
    void timingChanged();
    void cycleFinished(int cycles);
    void presetsChanged();
    void presetChanged();
    void pointsChanged();
    void recovered(int errors, const QString& what);  // an error the loop moved past

private:
    void setState(State s, const QString& message = {});
    void prepareModel();
    void generateNext();
    void runPreset();                                  // the current preset's model, then generate
    void generateOn(LoadedModelPtr model, double bytes);
    void onCompressed();
    void recordPoint();
    void recover(const QString& what);
    void onModelLoaded();
    void onModelFailed(const QString& message);
    void onGenerationFinished();
    void onGenerationFailed(const QString& message);
    void onDemoCreated(const QString& path);
    void wait(int ms, State s, const QString& message);
    void afterWait();

    ModelController* model_;
    Generator* generator_;
    DemoModelController* demo_;
    RecentModels* recent_;
    CompressController* compress_;
    QStringList presets_ = defaultPresets();
    int preset_index_ = -1;
    double model_bytes_ = 0;
    std::map<QString, std::pair<LoadedModelPtr, double>> compressed_;  // preset -> model, bytes
    std::vector<ModelPoint> points_;
    State state_ = Idle;
    bool paused_ = false;
    bool skip_wait_ = false;
    QString message_, model_path_;
    QStringList prompts_ = defaultPrompts();
    int prompt_index_ = -1;
    int cycles_ = 0, errors_ = 0, consecutive_errors_ = 0;
    int pause_ms_ = 5000, retry_ms_ = 3000, wait_ms_ = 0;
    int generation_timeout_ms_ = 120000;
    QTimer wait_timer_, watchdog_;
};

}  // namespace pareto::gui

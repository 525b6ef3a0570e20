#pragma once
// One model generating from a prompt, for the Playground and the kiosk: the
// engine's generate() runs in this object's worker thread with its own Session;
// tokens stream back to the UI thread at the display's pace (the worker appends to
// a buffer, a UI-thread timer takes what is there ~30 times a second), together with
// live time to first token and tokens per second. Cancel stops at the next token
// (the token callback returns false).
//
// One Generator per model being run: the side-by-side comparison of a baseline and
// its compressed model (issue 6) is two Generators given the same prompt.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <string_view>
#include <vector>

#include "gui/chat_model.h"
#include "gui/loaded_model.h"
#include "gui/task_runner.h"
#include "model/sampler.h"

namespace pareto::gui {

// The length of the longest prefix of `bytes` that does not end inside a UTF-8
// sequence: a token may carry only the first bytes of a character.
size_t utf8_complete_prefix(std::string_view bytes);

// Decode tokens per second along a run, from the time each token arrived (ms from
// the start): at most `max_points` values, each over an equal number of tokens.
QVariantList rate_history(const std::vector<double>& token_ms, size_t max_points = 60);

class Generator : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")

    Q_PROPERTY(bool hasModel READ hasModel NOTIFY modelChanged)
    Q_PROPERTY(QString modelName READ modelName NOTIFY modelChanged)
    Q_PROPERTY(int contextLength READ contextLength NOTIFY modelChanged)
    Q_PROPERTY(int threads READ threads WRITE setThreads NOTIFY threadsChanged)
    Q_PROPERTY(bool running READ running NOTIFY runningChanged)
    Q_PROPERTY(QString draft READ draft WRITE setDraft NOTIFY draftChanged)
    Q_PROPERTY(QString promptText READ promptText NOTIFY textChanged)
    Q_PROPERTY(QString text READ text NOTIFY textChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString stopReason READ stopReason NOTIFY statsChanged)

    Q_PROPERTY(double temperature READ temperature WRITE setTemperature NOTIFY samplerChanged)
    Q_PROPERTY(int topK READ topK WRITE setTopK NOTIFY samplerChanged)
    Q_PROPERTY(double topP READ topP WRITE setTopP NOTIFY samplerChanged)
    Q_PROPERTY(double minP READ minP WRITE setMinP NOTIFY samplerChanged)
    Q_PROPERTY(double repeatPenalty READ repeatPenalty WRITE setRepeatPenalty NOTIFY samplerChanged)
    Q_PROPERTY(int repeatLastN READ repeatLastN WRITE setRepeatLastN NOTIFY samplerChanged)
    Q_PROPERTY(qint64 seed READ seed WRITE setSeed NOTIFY samplerChanged)
    Q_PROPERTY(bool randomSeed READ randomSeed WRITE setRandomSeed NOTIFY samplerChanged)
    Q_PROPERTY(int nPredict READ nPredict WRITE setNPredict NOTIFY samplerChanged)
    Q_PROPERTY(qint64 lastSeed READ lastSeed NOTIFY statsChanged)

    // Chat mode: the conversation rendered with a chat template (prompt_format.h).
    Q_PROPERTY(bool chatMode READ chatMode WRITE setChatMode NOTIFY chatChanged)
    Q_PROPERTY(QStringList chatTemplates READ chatTemplates NOTIFY modelChanged)
    Q_PROPERTY(int chatTemplate READ chatTemplate WRITE setChatTemplate NOTIFY chatChanged)
    Q_PROPERTY(bool chatAvailable READ chatAvailable NOTIFY chatChanged)
    Q_PROPERTY(QString chatInfo READ chatInfo NOTIFY chatChanged)  // the template, or why there is none
    Q_PROPERTY(ChatModel* conversation READ conversation CONSTANT)

    Q_PROPERTY(int promptTokens READ promptTokens NOTIFY statsChanged)
    Q_PROPERTY(int generatedTokens READ generatedTokens NOTIFY statsChanged)
    Q_PROPERTY(double ttftMs READ ttftMs NOTIFY statsChanged)
    Q_PROPERTY(double tokensPerSecond READ tokensPerSecond NOTIFY statsChanged)
    Q_PROPERTY(double promptTokensPerSecond READ promptTokensPerSecond NOTIFY statsChanged)
    Q_PROPERTY(double elapsedMs READ elapsedMs NOTIFY statsChanged)
    Q_PROPERTY(QVariantList rateHistory READ rateHistory NOTIFY statsChanged)
    Q_PROPERTY(int runs READ runs NOTIFY statsChanged)

public:
    static constexpr int kMaxPredict = 1 << 16;
    static constexpr int kMaxSeed = 2147483647;  // seeds the UI can type and show exactly

    explicit Generator(QObject* parent = nullptr);
    ~Generator() override;

    // The model to run (null: none). A run in progress is cancelled.
    void setModel(LoadedModelPtr model);
    LoadedModelPtr model() const { return model_; }
    bool hasModel() const { return model_ != nullptr; }
    QString modelName() const { return model_ ? model_->name : QString(); }
    int contextLength() const { return model_ ? static_cast<int>(model_->n_ctx) : 0; }
    int threads() const { return threads_; }
    void setThreads(int n);

    bool running() const { return running_; }
    // The text in the prompt box (kept here so it survives page switches and can be
    // given on the command line).
    QString draft() const { return draft_; }
    void setDraft(const QString& d);
    QString promptText() const { return prompt_text_; }
    QString text() const { return text_; }
    QString error() const { return error_; }
    QString stopReason() const { return stop_reason_; }

    double temperature() const { return sampler_.temperature; }
    int topK() const { return sampler_.top_k; }
    double topP() const { return sampler_.top_p; }
    double minP() const { return sampler_.min_p; }
    double repeatPenalty() const { return sampler_.repeat_penalty; }
    int repeatLastN() const { return sampler_.repeat_last_n; }
    qint64 seed() const { return seed_; }
    bool randomSeed() const { return random_seed_; }
    int nPredict() const { return n_predict_; }
    qint64 lastSeed() const { return last_seed_; }
    void setTemperature(double v);
    void setTopK(int v);
    void setTopP(double v);
    void setMinP(double v);
    void setRepeatPenalty(double v);
    void setRepeatLastN(int v);
    void setSeed(qint64 v);
    void setRandomSeed(bool v);
    void setNPredict(int v);

    bool chatMode() const { return chat_mode_; }
    // On a model without a usable template chat mode stays off and chatInfo says why.
    void setChatMode(bool on);
    QStringList chatTemplates() const;
    int chatTemplate() const { return chat_template_; }
    void setChatTemplate(int i);
    // Selects a template by name ("" : the model's own): --chat-template.
    bool setChatTemplateName(const QString& name);
    bool chatAvailable() const { return chat_available_; }
    QString chatInfo() const { return chat_info_; }
    ChatModel* conversation() { return &conversation_; }

    int promptTokens() const { return prompt_tokens_; }
    int generatedTokens() const { return generated_tokens_; }
    double ttftMs() const { return ttft_ms_; }
    double tokensPerSecond() const { return tokens_per_s_; }
    double promptTokensPerSecond() const { return prompt_tokens_per_s_; }
    double elapsedMs() const { return elapsed_ms_; }
    QVariantList rateHistory() const { return rate_history_; }
    int runs() const { return runs_; }

    // Prompt mode: starts generating a continuation of `prompt` (the session starts
    // empty each time). Chat mode: `prompt` is the user's next message; the whole
    // conversation is rendered with the template and the session keeps the tokens
    // it shares with the last turn. False, with `error` set, when there is no model,
    // no template or a run is going on.
    Q_INVOKABLE bool start(const QString& prompt) { return start(prompt, -1); }
    // The same with this seed whatever the sampler says (side by side: one seed for both).
    bool start(const QString& prompt, qint64 seed);
    // Prompt mode's sampler settings and length from `other` (side by side).
    void copySettings(const Generator& other);
    // A new conversation (chat mode).
    Q_INVOKABLE void newChat();
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void resetSampler();
    Q_INVOKABLE void clear();

signals:
    void modelChanged();
    void threadsChanged();
    void runningChanged();
    void draftChanged();
    void textChanged();
    void errorChanged();
    void samplerChanged();
    void chatChanged();
    void statsChanged();
    void started();
    void finished();                   // ended normally or by cancel (stopReason says which)
    void failed(const QString& message);

private:
    struct Stream;  // what the worker hands to the UI thread
    struct Engine;  // the worker's: session and the model it is over
    void drain();   // takes what the worker streamed so far (UI thread)
    void setError(const QString& e);
    void finish(const QString& stop, double ttft_ms, double decode_tps, double prompt_tps);
    void updateChat();  // chatAvailable / chatInfo for the model and template chosen

    LoadedModelPtr model_;
    int threads_ = 0;
    bool running_ = false;
    QString draft_, prompt_text_, text_, error_, stop_reason_;
    SamplerParams sampler_ = sampler_default_params();
    qint64 seed_ = static_cast<qint64>(sampler_default_params().seed);
    bool random_seed_ = true;
    int n_predict_ = 256;
    qint64 last_seed_ = -1;
    bool chat_mode_ = false, chat_available_ = false;
    bool chat_run_ = false;  // the run going on is a chat reply
    int chat_template_ = 0;
    QString chat_info_;
    ChatModel conversation_;
    int prompt_tokens_ = 0, generated_tokens_ = 0, runs_ = 0;
    double ttft_ms_ = 0, tokens_per_s_ = 0, prompt_tokens_per_s_ = 0, elapsed_ms_ = 0;
    QVariantList rate_history_;
    std::vector<double> token_ms_;  // when each token of the run came
    QElapsedTimer clock_;
    QTimer drain_timer_;
    std::shared_ptr<Stream> stream_;
    std::shared_ptr<Engine> engine_;
    TaskRunner runner_{QStringLiteral("generator")};  // last: see task_runner.h
};

}  // namespace pareto::gui

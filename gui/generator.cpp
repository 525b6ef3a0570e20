#include "gui/generator.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

#include "gui/prompt_format.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto::gui {

size_t utf8_complete_prefix(std::string_view bytes) {
    // Look back at most 3 bytes for the lead byte of the last sequence.
    const size_t n = bytes.size();
    for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
        const auto c = static_cast<unsigned char>(bytes[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
        const size_t len = c < 0x80 ? 1 : utf8_sequence_length(c);
        return len > back ? n - back : n;  // the sequence is not complete yet
    }
    return n;  // only continuation bytes (malformed): let the decoder replace them
}

QVariantList rate_history(const std::vector<double>& token_ms, size_t max_points) {
    QVariantList rates;
    const size_t n = token_ms.size();
    if (n < 3 || max_points == 0) return rates;
    // The tokens after the first (whose time is the prompt's), in k equal buckets;
    // each point is the decode rate over its bucket.
    const size_t decoded = n - 1;
    const size_t k = std::min(max_points, decoded);
    for (size_t b = 0; b < k; ++b) {
        const size_t begin = 1 + b * decoded / k, end = 1 + (b + 1) * decoded / k;
        const double ms = token_ms[end - 1] - token_ms[begin - 1];
        if (ms > 0) rates.append(static_cast<double>(end - begin) * 1000.0 / ms);
    }
    return rates;
}

// Written by the worker, read by the UI thread's drain(); times in ms since the
// run's clock started (just before generate()).
struct Generator::Stream {
    std::mutex mutex;
    std::string prompt;         // the prompt as the model sees it (decoded tokens)
    bool has_prompt = false;
    std::string pending;        // complete UTF-8 not yet shown
    std::vector<double> token_ms;  // when each token came (not yet taken by drain())
    int64_t n_generated = 0;
    double first_token_ms = -1;
    double last_token_ms = -1;
};

// Lives on the worker thread (only jobs touch it).
struct Generator::Engine {
    LoadedModelPtr model;              // keeps the model alive while the session uses it
    int threads = -1;
    std::unique_ptr<Session> session;  // over *model->model
    std::vector<TokenId> cached;       // chat: the tokens the session holds, in order
};

Generator::Generator(QObject* parent) : QObject(parent), engine_(std::make_shared<Engine>()) {
    updateChat();
    drain_timer_.setInterval(33);
    connect(&drain_timer_, &QTimer::timeout, this, &Generator::drain);
}

Generator::~Generator() { runner_.cancel(); }

void Generator::setModel(LoadedModelPtr model) {
    if (model == model_) return;
    if (running_) cancel();
    model_ = std::move(model);
    if (!model_) {
        // Free the session (and with it the last hold on the model) in the worker,
        // after any run still unwinding.
        runner_.start([engine = engine_](TaskContext&) {
            engine->session.reset();
            engine->model.reset();
        });
    }
    conversation_.reset();  // a conversation belongs to the model that had it
    chat_template_ = 0;
    emit modelChanged();
    updateChat();
}

void Generator::setThreads(int n) {
    n = std::clamp(n, 0, 1024);
    if (n == threads_) return;
    threads_ = n;
    emit threadsChanged();
}

void Generator::setDraft(const QString& d) {
    if (d == draft_) return;
    draft_ = d;
    emit draftChanged();
}

void Generator::setError(const QString& e) {
    if (e == error_) return;
    error_ = e;
    emit errorChanged();
}

// ---- sampler settings ---------------------------------------------------------------

void Generator::setTemperature(double v) {
    v = std::clamp(v, 0.0, 5.0);
    if (static_cast<float>(v) == sampler_.temperature) return;
    sampler_.temperature = static_cast<float>(v);
    emit samplerChanged();
}
void Generator::setTopK(int v) {
    v = std::max(0, v);
    if (v == sampler_.top_k) return;
    sampler_.top_k = v;
    emit samplerChanged();
}
void Generator::setTopP(double v) {
    v = std::clamp(v, 0.0, 1.0);
    if (static_cast<float>(v) == sampler_.top_p) return;
    sampler_.top_p = static_cast<float>(v);
    emit samplerChanged();
}
void Generator::setMinP(double v) {
    v = std::clamp(v, 0.0, 1.0);
    if (static_cast<float>(v) == sampler_.min_p) return;
    sampler_.min_p = static_cast<float>(v);
    emit samplerChanged();
}
void Generator::setRepeatPenalty(double v) {
    v = std::clamp(v, 1.0, 3.0);
    if (static_cast<float>(v) == sampler_.repeat_penalty) return;
    sampler_.repeat_penalty = static_cast<float>(v);
    emit samplerChanged();
}
void Generator::setRepeatLastN(int v) {
    v = std::clamp(v, 0, 4096);
    if (v == sampler_.repeat_last_n) return;
    sampler_.repeat_last_n = v;
    emit samplerChanged();
}
void Generator::setSeed(qint64 v) {
    v = std::clamp<qint64>(v, 0, kMaxSeed);
    if (v == seed_) return;
    seed_ = v;
    emit samplerChanged();
}
void Generator::setRandomSeed(bool v) {
    if (v == random_seed_) return;
    random_seed_ = v;
    emit samplerChanged();
}
void Generator::setNPredict(int v) {
    v = std::clamp(v, 1, kMaxPredict);
    if (v == n_predict_) return;
    n_predict_ = v;
    emit samplerChanged();
}

void Generator::resetSampler() {
    sampler_ = sampler_default_params();
    seed_ = static_cast<qint64>(sampler_.seed);
    random_seed_ = true;
    n_predict_ = 256;
    emit samplerChanged();
}

// ---- chat ---------------------------------------------------------------------------

QStringList Generator::chatTemplates() const {
    QStringList labels;
    for (const ChatTemplateChoice& c : chat_template_choices(model_ ? model_->model.get() : nullptr)) labels << c.label;
    return labels;
}

void Generator::updateChat() {
    bool available = false;
    QString info;
    if (!model_) {
        info = tr("No model is loaded");
    } else {
        const auto choices = chat_template_choices(model_->model.get());
        try {
            const ChatTemplate t = chat_template_for(*model_->model, choices.at(static_cast<size_t>(chat_template_)).name);
            available = true;
            info = QString::fromStdString(t.description());
        } catch (const Error& e) {
            info = QString::fromUtf8(e.what());
        }
    }
    const bool mode = chat_mode_ && available;
    if (available == chat_available_ && info == chat_info_ && mode == chat_mode_) return;
    chat_available_ = available;
    chat_info_ = info;
    chat_mode_ = mode;
    emit chatChanged();
}

void Generator::setChatMode(bool on) {
    if (running_) return;
    if (on && !chat_available_) {
        // Say why and stay in prompt mode; the view shows chatInfo.
        emit chatChanged();
        return;
    }
    if (on == chat_mode_) return;
    chat_mode_ = on;
    emit chatChanged();
}

void Generator::setChatTemplate(int i) {
    const auto n = static_cast<int>(chat_template_choices(model_ ? model_->model.get() : nullptr).size());
    i = std::clamp(i, 0, n - 1);
    if (i == chat_template_ || running_) return;
    chat_template_ = i;
    emit chatChanged();
    updateChat();
}

bool Generator::setChatTemplateName(const QString& name) {
    const auto choices = chat_template_choices(model_ ? model_->model.get() : nullptr);
    for (size_t i = 0; i < choices.size(); ++i)
        if (choices[i].name == name) {
            setChatTemplate(static_cast<int>(i));
            return true;
        }
    return false;
}

void Generator::newChat() {
    if (running_) return;
    conversation_.clear();
    clear();
}

void Generator::copySettings(const Generator& other) {
    sampler_ = other.sampler_;
    seed_ = other.seed_;
    random_seed_ = other.random_seed_;
    n_predict_ = other.n_predict_;
    emit samplerChanged();
}

// ---- running ------------------------------------------------------------------------

void Generator::clear() {
    if (running_) return;
    prompt_text_.clear();
    text_.clear();
    stop_reason_.clear();
    prompt_tokens_ = generated_tokens_ = 0;
    ttft_ms_ = tokens_per_s_ = prompt_tokens_per_s_ = elapsed_ms_ = 0;
    rate_history_.clear();
    token_ms_.clear();
    setError({});
    emit textChanged();
    emit statsChanged();
}

bool Generator::start(const QString& prompt, qint64 seed) {
    if (running_) {
        setError(tr("A generation is already running"));
        return false;
    }
    if (!model_) {
        setError(tr("No model is loaded: open one on the Model page"));
        return false;
    }
    clear();
    setError({});
    // Chat: the conversation with the new message, rendered on the UI thread (a few
    // string operations) so that a template's refusal is an immediate message.
    std::string input = prompt.toStdString();
    chat_run_ = chat_mode_;
    if (chat_run_) {
        if (prompt.trimmed().isEmpty()) {
            setError(tr("Type a message first"));
            return false;
        }
        try {
            const ChatTemplate tpl = chat_template_for(
                *model_->model, chat_template_choices(model_->model.get()).at(static_cast<size_t>(chat_template_)).name);
            std::vector<ChatMessage> messages = conversation_.messages();
            messages.push_back({"user", input});
            input = tpl.apply(messages, /*add_generation_prompt=*/true);
        } catch (const Error& e) {
            setError(QString::fromUtf8(e.what()));
            return false;
        }
        conversation_.addUser(prompt);
        conversation_.beginAssistant(ChatModel::promptOpensReasoning(input));
    }
    last_seed_ = seed >= 0 ? std::min<qint64>(seed, kMaxSeed)
                 : random_seed_ ? static_cast<qint64>(std::random_device{}() & kMaxSeed)
                                : seed_;

    GenerateParams params = generate_default_params();
    params.n_predict = n_predict_;
    params.sampler = sampler_;
    params.sampler.seed = static_cast<uint64_t>(last_seed_);

    stream_ = std::make_shared<Stream>();
    running_ = true;
    ++runs_;
    clock_.start();
    drain_timer_.start();
    emit runningChanged();
    emit statsChanged();
    emit started();

    auto stats = std::make_shared<GenerateStats>();
    runner_.start(
        [engine = engine_, model = model_, threads = threads_, stream = stream_, stats, params, chat = chat_run_,
         text = std::move(input)](TaskContext& ctx) {
            if (engine->model != model || engine->threads != threads || !engine->session) {
                engine->session.reset();
                engine->model = model;
                engine->threads = threads;
                SessionParams sp = session_default_params();
                sp.n_ctx = model->n_ctx;
                sp.n_threads = threads;
                engine->session = std::make_unique<Session>(*model->model, sp);
            }
            Session& session = *engine->session;
            const Tokenizer& tok = model->model->tokenizer();
            std::vector<TokenId> tokens;
            if (chat) {
                tokens = encode_chat_prompt(tok, text);
            } else {
                TokenizeOptions topt;
                topt.add_bos = tok.add_bos_default();
                tokens = tok.encode(text, topt);
            }
            if (tokens.empty()) fail("the prompt is empty: type some text to continue");
            if (static_cast<int64_t>(tokens.size()) >= session.n_ctx())
                fail("the prompt has " + std::to_string(tokens.size()) + " tokens, more than the context of " +
                     std::to_string(session.n_ctx()) + " leaves room for: choose a longer context on the Model page");
            // Chat: keep what the session holds up to where the conversation's
            // tokens first differ (the template may rewrite earlier turns, as R1
            // drops their reasoning); prompt mode starts empty.
            size_t keep = 0;
            if (chat) {
                engine->cached.resize(std::min(engine->cached.size(), static_cast<size_t>(session.n_past())));
                while (keep < engine->cached.size() && keep < tokens.size() && engine->cached[keep] == tokens[keep])
                    ++keep;
                if (keep == tokens.size()) --keep;  // something must be evaluated to get logits
            }
            session.truncate(static_cast<int64_t>(keep));
            engine->cached.clear();
            {
                std::lock_guard lock(stream->mutex);
                stream->prompt = tok.decode(tokens);
                stream->has_prompt = true;
            }
            ctx.check_cancelled();
            std::vector<TokenId> generated;

            using Clock = std::chrono::steady_clock;
            const auto t0 = Clock::now();
            std::string carry;  // bytes of a character not yet complete
            const std::span<const TokenId> fresh(tokens.data() + keep, tokens.size() - keep);
            *stats = generate(session, fresh, params, [&](TokenId id) {
                const double now = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
                generated.push_back(id);
                // A chat reply's end-of-turn token is not part of its text.
                if (!(chat && tok.is_end_of_generation(id))) carry += tok.token_to_piece(id);
                const size_t n = utf8_complete_prefix(carry);
                {
                    std::lock_guard lock(stream->mutex);
                    stream->pending.append(carry, 0, n);
                    ++stream->n_generated;
                    stream->token_ms.push_back(now);
                    if (stream->first_token_ms < 0) stream->first_token_ms = now;
                    stream->last_token_ms = now;
                }
                carry.erase(0, n);
                return !ctx.cancelled();
            });
            if (!carry.empty()) {
                std::lock_guard lock(stream->mutex);
                stream->pending += carry;  // an incomplete character at the end: shown replaced
            }
            // The session holds the prompt and every generated token but the last.
            if (chat) {
                engine->cached = tokens;
                if (!generated.empty()) engine->cached.insert(engine->cached.end(), generated.begin(), generated.end() - 1);
            }
        },
        {.done =
             [this, stats] {
                 const char* stop = "";
                 switch (stats->stop) {
                 case StopReason::Length: stop = "length"; break;
                 case StopReason::EndOfGeneration: stop = "end of text"; break;
                 case StopReason::ContextFull: stop = "context full"; break;
                 case StopReason::Callback: stop = "stopped"; break;
                 }
                 prompt_tokens_ = static_cast<int>(stats->n_prompt);
                 finish(QString::fromLatin1(stop), stats->ttft_ms, stats->decode_tokens_per_s(),
                        stats->prompt_tokens_per_s());
             },
         .failed =
             [this](const QString& message) {
                 if (chat_run_ && generated_tokens_ == 0) {
                     // Nothing came: the message goes back to the input to be sent again.
                     const QString user = conversation_.dropFailedTurn();
                     if (!user.isEmpty()) setDraft(user);
                 }
                 finish(QStringLiteral("error"), ttft_ms_, tokens_per_s_, prompt_tokens_per_s_);
                 setError(message);
                 emit failed(message);
             },
         .cancelled = [this] { finish(QStringLiteral("stopped"), ttft_ms_, tokens_per_s_, prompt_tokens_per_s_); }});
    return true;
}

void Generator::cancel() {
    if (running_) runner_.cancel();
}

void Generator::drain() {
    if (!stream_) return;
    std::string chunk, prompt;
    bool has_prompt = false;
    int64_t n = 0;
    double first = -1, last = -1;
    {
        std::lock_guard lock(stream_->mutex);
        if (stream_->has_prompt) {
            prompt.swap(stream_->prompt);
            has_prompt = true;
            stream_->has_prompt = false;
        }
        chunk.swap(stream_->pending);
        token_ms_.insert(token_ms_.end(), stream_->token_ms.begin(), stream_->token_ms.end());
        stream_->token_ms.clear();
        n = stream_->n_generated;
        first = stream_->first_token_ms;
        last = stream_->last_token_ms;
    }
    elapsed_ms_ = static_cast<double>(clock_.elapsed());
    if (has_prompt) {
        prompt_text_ = QString::fromStdString(prompt);
        emit textChanged();
    }
    if (!chunk.empty()) {
        text_ += QString::fromUtf8(chunk.data(), static_cast<qsizetype>(chunk.size()));
        if (chat_run_) conversation_.appendAssistant(chunk);
        emit textChanged();
    }
    generated_tokens_ = static_cast<int>(n);
    if (first >= 0) ttft_ms_ = first;
    if (n >= 2 && last > first) tokens_per_s_ = static_cast<double>(n - 1) * 1000.0 / (last - first);
    rate_history_ = rate_history(token_ms_);
    emit statsChanged();
}

void Generator::finish(const QString& stop, double ttft_ms, double decode_tps, double prompt_tps) {
    drain();
    drain_timer_.stop();
    stream_.reset();
    stop_reason_ = stop;
    ttft_ms_ = ttft_ms;
    tokens_per_s_ = decode_tps;
    prompt_tokens_per_s_ = prompt_tps;
    running_ = false;
    if (chat_run_ && conversation_.streaming())
        conversation_.finishAssistant(tr("%1 tokens · %2 tok/s · %3")
                                          .arg(generated_tokens_)
                                          .arg(tokens_per_s_, 0, 'f', tokens_per_s_ < 100 ? 1 : 0)
                                          .arg(stop));
    emit textChanged();
    emit statsChanged();
    emit runningChanged();
    emit finished();
}

}  // namespace pareto::gui

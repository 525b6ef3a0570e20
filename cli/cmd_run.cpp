// pareto-cli run: stream a prompt and its continuation to stdout; timings to stderr.
// With --chat: the model's chat template around the prompt (or around each line read
// from stdin), the reply streamed, DeepSeek-R1's <think> reasoning dimmed or marked.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include "cli/commands.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/reasoning.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto::cli {
namespace {

struct RunOptions {
    std::string model;
    std::string prompt;
    int32_t n_predict = 128;
    int threads = 0;
    int64_t n_ctx = 0;
    SamplerParams sampler = sampler_default_params();
    std::optional<uint64_t> seed;
    bool chat = false;
    std::string system;
    std::string chat_template;  // a family name or a Jinja file; default: the model's
    bool hide_reasoning = false;
    int64_t repeat = 1;     // generations from the same prompt in one process
    double loop_s = 0;      // > 0: generate again until this many seconds have passed
};

void print_stats(const GenerateStats& st, double load_ms, const Model& model, Session& session, uint64_t seed) {
    const char* stop = st.stop == StopReason::EndOfGeneration ? "end of generation"
                       : st.stop == StopReason::ContextFull   ? "context full"
                                                              : "length";
    if (load_ms >= 0)
        std::fprintf(stderr, "\nload:    %9.2f ms  (%s, %d threads, n_ctx %lld, seed %llu)\n", load_ms,
                     model.path().c_str(), session.pool().size(), static_cast<long long>(session.n_ctx()),
                     static_cast<unsigned long long>(seed));
    std::fprintf(stderr, "prompt:  %9.2f ms  %5lld tokens  %9.2f tokens/s\n", st.prompt_ms,
                 static_cast<long long>(st.n_prompt), st.prompt_tokens_per_s());
    std::fprintf(stderr, "ttft:    %9.2f ms\n", st.ttft_ms);
    std::fprintf(stderr, "decode:  %9.2f ms  %5lld tokens  %9.2f tokens/s  (stopped: %s)\n", st.decode_ms,
                 static_cast<long long>(st.n_generated), st.decode_tokens_per_s(), stop);
}

// The chat template: a family name, a Jinja file, or the model's own.
ChatTemplate chat_template_for(const RunOptions& o, const Tokenizer& tok) {
    const std::string bos = tok.bos() ? tok.token_text(*tok.bos()) : "";
    const std::string eos = tok.eos() ? tok.token_text(*tok.eos()) : "";
    if (o.chat_template.empty()) {
        if (tok.chat_template().empty())
            fail("the model has no chat template: name one with --chat-template (" + ChatTemplate::known_names() +
                 ") or give a Jinja file");
        return ChatTemplate::for_tokenizer(tok);
    }
    std::error_code ec;
    if (std::filesystem::is_regular_file(o.chat_template, ec))
        return ChatTemplate::from_jinja(read_file_text(o.chat_template), bos, eos);
    return ChatTemplate::named(o.chat_template, bos, eos);
}

// Prints a reply as it streams: reasoning dimmed on a terminal, between <think> and
// </think> otherwise, or not at all; the answer as it is.
class ReplyPrinter {
public:
    ReplyPrinter(bool hide_reasoning, bool in_reasoning)
        : splitter_(in_reasoning), hide_(hide_reasoning), tty_(::isatty(STDOUT_FILENO) == 1) {}

    void feed(std::string_view piece) { print(splitter_.feed(piece)); }
    void finish() {
        print(splitter_.finish());
        if (open_ && !tty_) std::fputs("</think>", stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }

private:
    void print(const std::vector<ReasoningSplitter::Piece>& pieces) {
        for (const auto& p : pieces) {
            if (p.reasoning) {
                if (hide_) continue;
                if (!open_ && !tty_) std::fputs("<think>", stdout);
                open_ = true;
                if (tty_) std::fputs("\x1b[2m", stdout);
                std::fwrite(p.text.data(), 1, p.text.size(), stdout);
                if (tty_) std::fputs("\x1b[0m", stdout);
            } else {
                if (open_ && !tty_) std::fputs("</think>", stdout);
                open_ = false;
                std::string_view text = p.text;
                // Without the reasoning, the blank lines R1 puts after </think> go too.
                if (hide_ && !answered_) text.remove_prefix(std::min(text.size(), text.find_first_not_of("\r\n")));
                answered_ = answered_ || !text.empty();
                std::fwrite(text.data(), 1, text.size(), stdout);
            }
        }
        std::fflush(stdout);
    }

    ReasoningSplitter splitter_;
    bool hide_, tty_;
    bool open_ = false;      // inside printed reasoning
    bool answered_ = false;  // some answer text printed
};

int run_chat(RunOptions o) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const auto model = Model::load(o.model);
    SessionParams sp = session_default_params();
    sp.n_threads = o.threads;
    sp.n_ctx = o.n_ctx;
    Session session(*model, sp);
    double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    const Tokenizer& tok = model->tokenizer();
    const ChatTemplate tpl = chat_template_for(o, tok);
    std::fprintf(stderr, "chat template: %s\n", tpl.description().c_str());
    o.sampler.seed = o.seed ? *o.seed : std::random_device{}();
    const std::string bos = tok.bos() ? tok.token_text(*tok.bos()) : "";

    std::vector<ChatMessage> messages;
    if (!o.system.empty()) messages.push_back({"system", o.system});
    std::vector<TokenId> cached;  // the tokens the session holds, in order
    const bool interactive = o.prompt.empty();
    const bool prompt_user = interactive && ::isatty(STDIN_FILENO) == 1;
    std::string line;
    for (bool first = true;; first = false) {
        std::string user;
        if (!interactive) {
            if (!first) break;
            require_utf8(o.prompt, "the prompt");
            user = o.prompt;
        } else {
            if (prompt_user) std::fputs("> ", stderr);
            if (!std::getline(std::cin, line)) break;
            if (line.empty()) continue;
            require_utf8(line, "the message");
            user = line;
        }
        messages.push_back({"user", user});
        const std::string text = tpl.apply(messages, /*add_generation_prompt=*/true);
        // Templates that write BOS themselves must not get a second one.
        TokenizeOptions topt;
        topt.add_bos = tok.add_bos_default() && (bos.empty() || text.compare(0, bos.size(), bos) != 0);
        topt.parse_special = true;
        const std::vector<TokenId> ids = tok.encode(text, topt);
        // Reuse the cache up to where the conversation's tokens first differ (the
        // template may rewrite earlier turns, as R1 drops their reasoning).
        if (ids.empty()) fail("the chat template produced no tokens");
        size_t keep = 0;
        cached.resize(std::min(cached.size(), static_cast<size_t>(session.n_past())));
        while (keep < cached.size() && keep < ids.size() && cached[keep] == ids[keep]) ++keep;
        if (keep == ids.size()) --keep;  // something must be evaluated to get logits
        session.truncate(static_cast<int64_t>(keep));
        const std::span<const TokenId> fresh(ids.data() + keep, ids.size() - keep);

        ReplyPrinter printer(o.hide_reasoning, ReasoningSplitter::prompt_opens_reasoning(text));
        std::string reply;
        std::vector<TokenId> generated;
        GenerateParams gp = generate_default_params();
        gp.n_predict = o.n_predict;
        gp.sampler = o.sampler;
        const GenerateStats st = generate(session, fresh, gp, [&](TokenId id) {
            generated.push_back(id);
            if (tok.is_end_of_generation(id)) return true;
            const std::string piece = tok.token_to_piece(id);
            reply += piece;
            printer.feed(piece);
            return true;
        });
        printer.finish();
        // The session holds the prompt and every generated token but the last.
        cached = ids;
        if (!generated.empty()) cached.insert(cached.end(), generated.begin(), generated.end() - 1);
        messages.push_back({"assistant", reply});
        print_stats(st, load_ms, *model, session, o.sampler.seed);
        load_ms = -1;
        if (st.stop == StopReason::ContextFull) fail("the context is full; start again or raise -c");
    }
    return 0;
}

int run_run(RunOptions o) {
    if (o.chat && (o.repeat != 1 || o.loop_s > 0)) fail("--repeat and --loop do not apply to --chat");
    if (o.chat) return run_chat(std::move(o));
    if (o.prompt.empty()) fail("give a prompt with -p (or use --chat, which reads turns from stdin)");
    require_utf8(o.prompt, "the prompt");
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const auto model = Model::load(o.model);
    SessionParams sp = session_default_params();
    sp.n_threads = o.threads;
    sp.n_ctx = o.n_ctx;
    Session session(*model, sp);
    const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

    const Tokenizer& tok = model->tokenizer();
    TokenizeOptions topt;
    topt.add_bos = tok.add_bos_default();
    const auto prompt = tok.encode(o.prompt, topt);
    if (prompt.empty()) fail("the prompt is empty: give some text with -p");
    require_prompt_fits(prompt.size(), session.n_ctx());

    // A run is reproducible from its log: the seed used is always printed.
    o.sampler.seed = o.seed ? *o.seed : std::random_device{}();

    // --repeat / --loop: one long-lived process generating again and again (the soak
    // test watches its memory); each generation starts from an empty cache.
    const auto loop_end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.loop_s));
    int64_t n_runs = 0, n_tokens = 0;
    for (int64_t i = 0;; ++i) {
        if (o.loop_s > 0 ? Clock::now() >= loop_end && i > 0 : i >= o.repeat) break;
        session.clear();
        std::fputs(tok.decode(prompt).c_str(), stdout);
        std::fflush(stdout);
        GenerateParams gp = generate_default_params();
        gp.n_predict = o.n_predict;
        gp.sampler = o.sampler;
        if (i > 0) gp.sampler.seed = o.sampler.seed + static_cast<uint64_t>(i);
        const GenerateStats st = generate(session, prompt, gp, [&](TokenId id) {
            const std::string piece = tok.token_to_piece(id);
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        });
        std::fputc('\n', stdout);
        std::fflush(stdout);
        // A loop prints its first generation's numbers and a total, not every one.
        if (i == 0) print_stats(st, load_ms, *model, session, gp.sampler.seed);
        n_runs = i + 1;
        n_tokens += st.n_generated;
    }
    if (n_runs > 1)
        std::fprintf(stderr, "repeat:  %lld generations, %lld tokens in %.1f s\n", static_cast<long long>(n_runs),
                     static_cast<long long>(n_tokens), std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
}

}  // namespace

Command add_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* sub = app.add_subcommand("run", "Generate a continuation of a prompt");
    sub->add_option("-m,--model", o->model, "Model: a GGUF file or a HuggingFace folder")->required();
    sub->add_option("-p,--prompt", o->prompt, "Prompt text (with --chat: the user's message; without -p, lines from stdin)");
    sub->add_option("-n,--n-predict", o->n_predict, "Tokens to generate (-1: until end of text)")->capture_default_str();
    sub->add_option("--temp", o->sampler.temperature, "Temperature; 0 is greedy")->capture_default_str();
    sub->add_option("--top-k", o->sampler.top_k, "Keep the K most likely tokens (0: off)")->capture_default_str();
    sub->add_option("--top-p", o->sampler.top_p, "Keep the smallest set with probability >= P (1: off)")->capture_default_str();
    sub->add_option("--min-p", o->sampler.min_p, "Drop tokens below P times the best one's probability (0: off)")->capture_default_str();
    sub->add_option("--repeat-penalty", o->sampler.repeat_penalty, "Penalty for recent tokens (1: off)")->capture_default_str();
    sub->add_option("--repeat-last-n", o->sampler.repeat_last_n, "Window of the repeat penalty")->capture_default_str();
    sub->add_option("--seed", o->seed, "Sampling seed (default: random, printed)");
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_option("-c,--ctx-size", o->n_ctx, "Context length (0: the model's, at most 4096)")->capture_default_str();
    sub->add_flag("--chat", o->chat, "Chat: apply the model's chat template; print only the reply");
    sub->add_option("--system", o->system, "Chat: a system prompt");
    sub->add_option("--chat-template", o->chat_template,
                    "Chat: a template family (" + ChatTemplate::known_names() + ") or a Jinja file, instead of the model's");
    sub->add_flag("--hide-reasoning", o->hide_reasoning, "Chat: do not print <think> reasoning");
    sub->add_option("--repeat", o->repeat, "Generate this many times from the prompt in one process (seed + i)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
        ->capture_default_str();
    sub->add_option("--loop", o->loop_s, "Generate again and again for this many seconds (a soak test)")
        ->check(CLI::PositiveNumber);
    return [o] { return run_run(*o); };
}

}  // namespace pareto::cli

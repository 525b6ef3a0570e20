#include "profiler/recorder.h"

#include <algorithm>
#include <atomic>

namespace pareto::prof {
namespace {

std::atomic<uint64_t> g_next_recorder_id{1};

// The last recorder this thread recorded into, and its buffer there.
struct ThreadCache {
    uint64_t recorder = 0;
    void* buffer = nullptr;
};
thread_local ThreadCache t_cache;

}  // namespace

Recorder::Recorder() : id_(g_next_recorder_id.fetch_add(1)), t0_(Clock::now()) {}

Recorder::~Recorder() {
    if (t_cache.recorder == id_) t_cache = {};
}

Recorder::ThreadBuffer& Recorder::buffer() {
    if (t_cache.recorder == id_) return *static_cast<ThreadBuffer*>(t_cache.buffer);
    return register_thread();
}

Recorder::ThreadBuffer& Recorder::register_thread() {
    std::lock_guard lock(mutex_);
    auto buf = std::make_unique<ThreadBuffer>();
    buf->thread = static_cast<uint16_t>(threads_.size());
    threads_.push_back(std::move(buf));
    t_cache = {id_, threads_.back().get()};
    return *threads_.back();
}

void Recorder::reserve(size_t ops, size_t steps) {
    ThreadBuffer& b = buffer();
    b.ops.reserve(b.ops.size() + ops);
    b.tokens.reserve(b.tokens.size() + steps);
}

void Recorder::set_token(int32_t token_id) {
    ThreadBuffer& b = buffer();
    if (!b.tokens.empty()) b.tokens.back().token_id = token_id;
}

void Recorder::eval_begin(const EvalEvent& e) {
    const int64_t t = now_ns();
    ThreadBuffer& b = buffer();
    // A prompt evaluated in several batches is one step; a decode eval, or any eval
    // after a token was sampled, starts the next.
    const bool new_step = b.tokens.empty() || e.phase == Phase::Decode || b.step_sampled;
    if (new_step) {
        TokenRecord r;
        r.step = static_cast<int32_t>(b.tokens.size());
        r.phase = e.phase;
        r.n_tokens = e.n_tokens;
        r.pos = e.pos;
        r.t_begin_ns = t;
        r.t_end_ns = t;
        b.tokens.push_back(r);
        b.step_sampled = false;
    } else {
        b.tokens.back().n_tokens += e.n_tokens;
    }
}

void Recorder::eval_end(const EvalEvent&) {
    const int64_t t = now_ns();
    ThreadBuffer& b = buffer();
    if (!b.tokens.empty()) b.tokens.back().t_end_ns = t;
}

void Recorder::op_begin(const OpEvent& e) {
    ThreadBuffer& b = buffer();
    OpRecord r;
    r.pos = e.pos;
    r.bytes_read = e.bytes_read;
    r.flops = e.flops;
    r.step = b.tokens.empty() ? 0 : b.tokens.back().step;
    r.layer = e.layer;
    r.n_tokens = e.n_tokens;
    r.kind = e.kind;
    r.phase = e.phase;
    r.thread = b.thread;
    b.ops.push_back(r);
    // Last, so that the bookkeeping above is not inside the op's time.
    b.ops.back().t_begin_ns = now_ns();
}

void Recorder::op_end(const OpEvent& e) {
    const int64_t t = now_ns();
    ThreadBuffer& b = buffer();
    if (b.ops.empty()) return;
    b.ops.back().t_end_ns = t;
    if (e.kind == OpKind::Sampling && !b.tokens.empty()) {
        b.tokens.back().t_end_ns = t;
        b.step_sampled = true;
    }
}

void Recorder::take(Run& run) {
    std::lock_guard lock(mutex_);
    for (auto& b : threads_) {
        run.ops.insert(run.ops.end(), b->ops.begin(), b->ops.end());
        run.tokens.insert(run.tokens.end(), b->tokens.begin(), b->tokens.end());
        b->ops.clear();
        b->tokens.clear();
    }
    std::stable_sort(run.ops.begin(), run.ops.end(),
                     [](const OpRecord& a, const OpRecord& b) { return a.t_begin_ns < b.t_begin_ns; });
}

}  // namespace pareto::prof

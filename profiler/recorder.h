#pragma once
// The profiler's Observer: timestamps every op and eval on a monotonic clock into
// a buffer owned by the observing thread. The hot path takes no lock and, once
// reserve() has sized the buffers, allocates nothing.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "observer.h"
#include "profiler/run.h"

namespace pareto::prof {

class Recorder final : public Observer {
public:
    Recorder();
    ~Recorder() override;
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Sizes the calling thread's buffers for this many ops and token steps, so that
    // recording them allocates nothing.
    void reserve(size_t ops, size_t steps);
    // The token sampled at the end of the calling thread's current step.
    void set_token(int32_t token_id);
    // Nanoseconds since the recorder was made (the run's time origin).
    int64_t now_ns() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
    }
    // Moves what was recorded into `run` (ops of all threads in time order).
    void take(Run& run);

    void eval_begin(const EvalEvent& e) override;
    void eval_end(const EvalEvent& e) override;
    void op_begin(const OpEvent& e) override;
    void op_end(const OpEvent& e) override;

private:
    using Clock = std::chrono::steady_clock;
    struct ThreadBuffer {
        uint16_t thread = 0;
        std::vector<OpRecord> ops;
        std::vector<TokenRecord> tokens;
        bool step_sampled = false;  // the current step ended with a sampling op
    };
    ThreadBuffer& buffer();         // the calling thread's
    ThreadBuffer& register_thread();

    const uint64_t id_;             // tells recorders apart in the thread-local cache
    const Clock::time_point t0_;
    std::mutex mutex_;              // guards threads_ while a new thread registers
    std::vector<std::unique_ptr<ThreadBuffer>> threads_;
};

}  // namespace pareto::prof

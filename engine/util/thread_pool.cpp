#include "util/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PARETO_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define PARETO_CPU_RELAX() asm volatile("yield")
#else
#define PARETO_CPU_RELAX() ((void)0)
#endif

namespace pareto {
namespace {
// Decode issues a few hundred small jobs per token, so a waiting thread first spins
// (sub-microsecond hand-over between back-to-back jobs), then yields its core (the
// thread it waits for may be descheduled on a busy machine), then parks on a futex.
constexpr int kSpinIterations = 1 << 11;
constexpr int kYieldIterations = 64;

// Returns false once the caller should stop spinning and park.
inline bool backoff(int& spin) {
    if (spin < kSpinIterations) PARETO_CPU_RELAX();
    else if (spin < kSpinIterations + kYieldIterations) std::this_thread::yield();
    else return false;
    ++spin;
    return true;
}
}  // namespace

int ThreadPool::hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads > 0 ? n_threads : hardware_threads()), ranges_(new ChunkRange[n_threads_]) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    for (auto& t : workers_) t.join();
}

namespace {
constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kJoinedMask = kClosed - 1;
inline uint64_t join_word(uint64_t generation) { return (generation & 0xffffffffu) << 32; }
}  // namespace

void ThreadPool::run(const std::function<void(int, int)>& fn) { dispatch(fn, true); }

void ThreadPool::run_shared(const std::function<void(int, int)>& fn) { dispatch(fn, false); }

void ThreadPool::dispatch(const std::function<void(int, int)>& fn, bool everyone) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    job_ = &fn;
    done_.store(0, std::memory_order_relaxed);
    const uint64_t g = generation_.load(std::memory_order_relaxed) + 1;
    join_.store(join_word(g), std::memory_order_seq_cst);  // open before anyone can see g
    generation_.store(g, std::memory_order_seq_cst);
    generation_.notify_all();
    fn(0, n_threads_);
    // Everyone: wait for all workers. Shared: close the job to late workers and
    // wait only for those that joined.
    const int target = everyone ? n_threads_ - 1
                                : static_cast<int>(join_.fetch_or(kClosed, std::memory_order_seq_cst) & kJoinedMask);
    for (int spin = 0;;) {
        const int d = done_.load(std::memory_order_acquire);
        if (d >= target) break;
        if (!backoff(spin)) done_.wait(d, std::memory_order_acquire);
    }
    if (everyone) join_.fetch_or(kClosed, std::memory_order_seq_cst);
    job_ = nullptr;
}

void ThreadPool::worker_loop(int ith) {
    uint64_t seen = 0;
    for (;;) {
        uint64_t g = generation_.load(std::memory_order_acquire);
        for (int spin = 0; g == seen && backoff(spin);) g = generation_.load(std::memory_order_acquire);
        while (g == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            g = generation_.load(std::memory_order_acquire);
        }
        seen = g;
        if (stop_.load(std::memory_order_acquire)) return;
        // Join the job unless it has moved on or closed while this thread slept.
        bool joined = false;
        uint64_t s = join_.load(std::memory_order_seq_cst);
        while ((s & ~kJoinedMask & ~kClosed) == join_word(g) && !(s & kClosed)) {
            if (join_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst)) {
                joined = true;
                break;
            }
        }
        if (!joined) continue;
        (*job_)(ith, n_threads_);
        done_.fetch_add(1, std::memory_order_acq_rel);
        done_.notify_one();
    }
}

}  // namespace pareto

#pragma once
// The engine's own thread pool: workers are created once and parked between jobs,
// so an op costs a wake-up, never a thread creation. There is no queue and no
// per-task allocation: a job is one function the threads call with their index.
//
// parallel_for hands out chunks through an atomic counter to whichever threads
// have joined the job, and the caller stops waiting for workers that have not
// joined by the time it has taken the last chunk. On a busy machine (a GUI, other
// processes) a descheduled worker then delays nobody, where a fixed split would
// stall every op until it ran again.
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <type_traits>
#include <vector>

namespace pareto {

class ThreadPool {
public:
    // n_threads counts the calling thread; 0 means one per hardware thread.
    explicit ThreadPool(int n_threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Runs fn(ith, nth) once on every thread (the caller is thread 0) and returns
    // when all have finished: for work that must be done by each thread itself
    // (first-touching its own memory). Not reentrant.
    void run(const std::function<void(int ith, int nth)>& fn);

    // Calls fn(begin, end), or fn(begin, end, ith) when the body wants per-thread
    // scratch (ith < size()), on chunks covering [0, n) exactly once. `cost` is the
    // work of the whole range in rough multiply-adds: a job too small to repay
    // waking the workers runs on the calling thread alone. Results must not depend
    // on which thread takes which chunk. Not reentrant.
    template <typename F>
    void parallel_for(int64_t n, F&& fn, int64_t cost = INT64_MAX) {
        if (n <= 0) return;
        const int nth = threads_for(n, cost);
        auto call = [&](int64_t begin, int64_t end, int ith) {
            if constexpr (std::is_invocable_v<F, int64_t, int64_t, int>) fn(begin, end, ith);
            else fn(begin, end);
        };
        if (nth == 1) {
            call(int64_t{0}, n, 0);
            return;
        }
        // Up to kChunksPerThread chunks per thread: enough to even out a late or slow
        // thread, but none smaller than kMinCostPerChunk, since every chunk repeats
        // the kernel's per-call set-up (e.g. rearranging the activations).
        int64_t per_thread = cost / (int64_t{nth} * kMinCostPerChunk);
        per_thread = per_thread < 1 ? 1 : per_thread > kChunksPerThread ? kChunksPerThread : per_thread;
        const int64_t chunks = n < per_thread * nth ? n : per_thread * nth;
        std::atomic<int64_t> next{0};
        run_shared([&](int ith, int) {
            for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
                 c = next.fetch_add(1, std::memory_order_relaxed))
                call(n * c / chunks, n * (c + 1) / chunks, ith);
        });
    }
    static constexpr int kChunksPerThread = 4;
    // Below this many multiply-adds a chunk's set-up shows: qwen2-0.5b's 896 x 896
    // projections went from 8 chunks to 2 (q: 0.62 -> 0.56 ms per decoded token).
    static constexpr int64_t kMinCostPerChunk = 256 * 1024;

    // How many threads a job of n items and `cost` multiply-adds deserves.
    int threads_for(int64_t n, int64_t cost) const {
        const int64_t by_cost = cost / kMinCostPerThread;
        int64_t t = n_threads_;
        if (by_cost < t) t = by_cost;
        if (n < t) t = n;
        return t < 1 ? 1 : static_cast<int>(t);
    }

    // Below this many multiply-adds per thread (a few microseconds), waking a
    // worker costs more than it saves.
    static constexpr int64_t kMinCostPerThread = 32 * 1024;

    static int hardware_threads();

private:
    // Runs fn on the caller and on the workers that join before the caller has
    // returned from its own call; returns when those have finished.
    void run_shared(const std::function<void(int ith, int nth)>& fn);
    void dispatch(const std::function<void(int, int)>& fn, bool everyone);
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    const std::function<void(int, int)>* job_ = nullptr;
    std::atomic<uint64_t> generation_{0};  // bumped to start a job (workers wait on it)
    // Who may still join the current job: (generation << 32) | kClosed | joined workers.
    std::atomic<uint64_t> join_{0};
    std::atomic<int> done_{0};             // joined workers that have finished
    std::atomic<bool> stop_{false};
};

}  // namespace pareto

#pragma once
// The engine's own thread pool: workers are created once and parked between jobs,
// so an op costs a wake-up, never a thread creation. A job is a function called
// on every thread with (thread index, thread count); each thread takes its own
// slice of the work, so there is no queue and no per-task allocation.
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

    // Runs fn(ith, nth) on all threads (the caller is thread 0); returns when all finish.
    // Not reentrant: a job must not call run() on the same pool.
    void run(const std::function<void(int ith, int nth)>& fn);

    // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end), or
    // fn(begin, end, ith) when the body wants per-thread scratch. `cost`
    // is the work of the whole range in rough multiply-adds: a job too small to
    // repay waking the workers runs on the calling thread alone.
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
        run([&](int ith, int) {
            const int64_t per = (n + nth - 1) / nth;
            const int64_t begin = per * ith;
            const int64_t end = begin + per < n ? begin + per : n;
            if (begin < end) call(begin, end, ith);
        });
    }

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
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    const std::function<void(int, int)>* job_ = nullptr;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
};

}  // namespace pareto

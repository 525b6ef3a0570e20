#pragma once
// The engine's own thread pool: workers are created once and parked between jobs,
// so an op costs a wake-up, never a thread creation. There is no queue and no
// per-task allocation: a job is one function the threads call with their index.
//
// parallel_for gives each thread a contiguous range of chunks, which it works
// through front to back: one sequential stream of weights per thread, which DRAM
// serves faster than chunks dealt out in turn (qwen2-0.5b's 4864 x 896 Q4_0 gate,
// 2 threads: 25.8 -> 30.3 GB/s; a plain read gives 28.9). A thread that runs out
// takes chunks from the back of another's range, and the caller stops waiting for
// workers that have not joined by the time every chunk is taken. On a busy machine
// (a GUI, other processes) a descheduled worker then delays nobody, where a fixed
// split would stall every op until it ran again.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
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
        // thread, but at least kMinCostPerChunk per chunk on average (they halve
        // in size), since every chunk repeats the kernel's per-call set-up (e.g.
        // rearranging the activations).
        int64_t per_thread = cost / (int64_t{nth} * kMinCostPerChunk);
        per_thread = per_thread < 1 ? 1 : per_thread > kChunksPerThread ? kChunksPerThread : per_thread;
        for (int i = 0; i < nth; ++i) ranges_[i].reset(n * i / nth, n * (i + 1) / nth, per_thread);
        run_shared([&](int ith, int) {
            if (ith >= nth) return;  // a small job: fewer threads than the pool has
            auto run_chunk = [&](const ChunkRange& r, int64_t c) {
                const int64_t begin = r.chunk_begin(c), end = r.chunk_begin(c + 1);
                if (begin < end) call(begin, end, ith);
            };
            ChunkRange& own = ranges_[ith];
            for (int64_t c; (c = own.take_front()) >= 0;) run_chunk(own, c);
            for (int v = 1; v < nth; ++v) {
                ChunkRange& victim = ranges_[(ith + v) % nth];
                for (int64_t c; (c = victim.take_back()) >= 0;) run_chunk(victim, c);
            }
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
    // One thread's range of items [begin, end), cut into `chunks` chunks that halve
    // in size (1/2, 1/4, ... and the last two equal): the owner takes them from the
    // front, thieves from the back, so a thread that finishes first takes the
    // smallest pieces and the threads end within a small chunk of each other.
    // front and back are in one word so that the owner and a thief never take the
    // same chunk.
    struct alignas(64) ChunkRange {
        std::atomic<uint64_t> word{0};  // (back << 32) | front: chunks not yet taken
        int64_t begin = 0, end = 0, chunks = 1;

        void reset(int64_t b, int64_t e, int64_t k) {
            begin = b;
            end = e;
            chunks = k;
            word.store(static_cast<uint64_t>(k) << 32, std::memory_order_relaxed);
        }
        // First item of chunk c (c == chunks: end).
        int64_t chunk_begin(int64_t c) const {
            if (c >= chunks) return end;
            const int64_t len = end - begin;
            return begin + len - (len >> c);
        }
        int64_t take_front() {
            uint64_t w = word.load(std::memory_order_relaxed);
            for (;;) {
                const uint64_t front = w & 0xffffffffu, back = w >> 32;
                if (front >= back) return -1;
                if (word.compare_exchange_weak(w, w + 1, std::memory_order_relaxed)) return static_cast<int64_t>(front);
            }
        }
        int64_t take_back() {
            uint64_t w = word.load(std::memory_order_relaxed);
            for (;;) {
                const uint64_t front = w & 0xffffffffu, back = w >> 32;
                if (front >= back) return -1;
                if (word.compare_exchange_weak(w, w - (uint64_t{1} << 32), std::memory_order_relaxed))
                    return static_cast<int64_t>(back - 1);
            }
        }
    };

    // Runs fn on the caller and on the workers that join before the caller has
    // returned from its own call; returns when those have finished.
    void run_shared(const std::function<void(int ith, int nth)>& fn);
    void dispatch(const std::function<void(int, int)>& fn, bool everyone);
    void worker_loop(int ith);

    int n_threads_;
    std::unique_ptr<ChunkRange[]> ranges_;  // [n_threads]: parallel_for's current job
    std::vector<std::thread> workers_;
    const std::function<void(int, int)>* job_ = nullptr;
    std::atomic<uint64_t> generation_{0};  // bumped to start a job (workers wait on it)
    // Who may still join the current job: (generation << 32) | kClosed | joined workers.
    std::atomic<uint64_t> join_{0};
    std::atomic<int> done_{0};             // joined workers that have finished
    std::atomic<bool> stop_{false};
};

}  // namespace pareto

// The thread pool: every item of a parallel_for exactly once, whatever the thread
// count and however late the workers; run() on every thread; per-thread indices in
// range; and no lost wake-ups over many back-to-back jobs, with or without a
// competing load on the machine.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "util/thread_pool.h"

namespace pareto {
namespace {

TEST(ThreadPool, ParallelForCoversEveryItemOnce) {
    for (int threads : {1, 2, 3, 5, 8}) {
        ThreadPool pool(threads);
        for (int64_t n : {1, 2, 3, 7, 31, 64, 1000, 4099}) {
            std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
            std::atomic<int> bad_ith{0};
            pool.parallel_for(n, [&](int64_t b, int64_t e, int ith) {
                if (ith < 0 || ith >= pool.size()) bad_ith.fetch_add(1);
                for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
            });
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n << " " << i;
            EXPECT_EQ(bad_ith.load(), 0);
        }
    }
}

// Each thread works through its own contiguous range front to back (one sequential
// stream of weights per thread); one that runs out takes the rest of a slower
// thread's range from the back.
TEST(ThreadPool, ThreadsStreamTheirOwnRangeAndTheFastOneTakesTheRest) {
    ThreadPool pool(2);
    constexpr int64_t n = 1000;
    std::vector<int> owner(n, -1);
    std::vector<std::vector<std::pair<int64_t, int64_t>>> calls(2);
    pool.parallel_for(n, [&](int64_t b, int64_t e, int ith) {
        if (ith == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow worker
        for (int64_t i = b; i < e; ++i) owner[static_cast<size_t>(i)] = ith;
        calls[static_cast<size_t>(ith)].emplace_back(b, e);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_NE(owner[static_cast<size_t>(i)], -1) << i;
    // The caller's own half, in order from its start.
    ASSERT_FALSE(calls[0].empty());
    EXPECT_EQ(calls[0][0].first, 0);
    int64_t next = 0;
    size_t k = 0;
    for (; k < calls[0].size() && calls[0][k].first == next; ++k) next = calls[0][k].second;
    EXPECT_EQ(next, n / 2);
    // If the worker joined at all, it took its range from the front, and the caller
    // took what was left of it from the back: the worker's items end where the
    // caller's stolen ones begin.
    int64_t worker_end = n / 2;
    for (const auto& [b, e] : calls[1]) {
        EXPECT_EQ(b, worker_end);
        worker_end = e;
    }
    for (int64_t i = worker_end; i < n; ++i) EXPECT_EQ(owner[static_cast<size_t>(i)], 0) << i;
    EXPECT_LT(worker_end, n) << "the caller should have taken some of the slow worker's chunks";
}

TEST(ThreadPool, SmallJobsStayOnTheCallingThread) {
    ThreadPool pool(4);
    const auto caller = std::this_thread::get_id();
    bool elsewhere = false;
    pool.parallel_for(100, [&](int64_t, int64_t) { elsewhere |= std::this_thread::get_id() != caller; }, 1000);
    EXPECT_FALSE(elsewhere);
}

TEST(ThreadPool, RunCallsEveryThreadExactlyOnce) {
    ThreadPool pool(4);
    for (int rep = 0; rep < 200; ++rep) {
        std::vector<std::atomic<int>> calls(4);
        pool.run([&](int ith, int nth) {
            ASSERT_EQ(nth, 4);
            calls[static_cast<size_t>(ith)].fetch_add(1);
        });
        for (auto& c : calls) ASSERT_EQ(c.load(), 1);
    }
}

// Many tiny jobs back to back, interleaving run() and parallel_for, while other
// threads keep every core busy: the pool must neither lose a wake-up (hang) nor
// let a late worker touch a finished job (the sums would be off).
TEST(ThreadPool, BackToBackJobsUnderCompetingLoad) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> hogs;
    for (int i = 0; i < 3; ++i)
        hogs.emplace_back([&] {
            volatile uint64_t x = 0;
            while (!stop.load(std::memory_order_relaxed)) x = x + 1;
        });
    ThreadPool pool(3);
    int64_t expected = 0, total = 0;
    std::atomic<int64_t> sum{0};
    for (int job = 0; job < 4000; ++job) {
        const int64_t n = 1 + job % 97;
        if (job % 10 == 0) {
            pool.run([&](int, int) { sum.fetch_add(1, std::memory_order_relaxed); });
            expected += pool.size();
        } else {
            pool.parallel_for(n, [&](int64_t b, int64_t e) { sum.fetch_add(e - b, std::memory_order_relaxed); });
            expected += n;
        }
        total = sum.load();
        ASSERT_EQ(total, expected) << "job " << job;
    }
    stop = true;
    for (auto& h : hogs) h.join();
}

}  // namespace
}  // namespace pareto

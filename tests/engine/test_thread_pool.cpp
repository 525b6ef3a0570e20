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

// What the profiler adds to every op: an observer call pair (op_begin, op_end) into
// the recorder, as a Session makes it, against the same pair with no observer. The
// per-op cost times the ops of a token, over the token's time, bounds the tracing
// overhead on tokens/s without the noise of timing whole generations
// (docs/performance.md).
#include <benchmark/benchmark.h>

#include "observer.h"
#include "profiler/recorder.h"

namespace pareto::prof {
namespace {

OpEvent event(int i) {
    OpEvent e;
    e.kind = static_cast<OpKind>(i % (kOpKindCount - 1));
    e.phase = Phase::Decode;
    e.layer = i % 24;
    e.n_tokens = 1;
    e.pos = i;
    e.bytes_read = 1 << 20;
    e.flops = 1 << 21;
    return e;
}

// The engine's side: a possibly-null observer called around each op.
void around_op(Observer* obs, const OpEvent& e) {
    if (obs) obs->op_begin(e);
    benchmark::ClobberMemory();
    if (obs) obs->op_end(e);
}

void BM_op_without_observer(benchmark::State& state) {
    Observer* obs = nullptr;
    benchmark::DoNotOptimize(obs);
    int i = 0;
    for (auto _ : state) around_op(obs, event(i++));
}
BENCHMARK(BM_op_without_observer);

void BM_op_recorded(benchmark::State& state) {
    // One recorder per batch of ops, sized up front as profile_generation does.
    constexpr int kOps = 1 << 16;
    int i = 0;
    while (state.KeepRunningBatch(kOps)) {
        state.PauseTiming();
        auto rec = std::make_unique<Recorder>();
        rec->reserve(kOps, 1);
        rec->eval_begin({Phase::Decode, 0, 1});
        Observer* obs = rec.get();
        benchmark::DoNotOptimize(obs);
        state.ResumeTiming();
        for (int k = 0; k < kOps; ++k) around_op(obs, event(i++));
    }
}
BENCHMARK(BM_op_recorded);

}  // namespace
}  // namespace pareto::prof

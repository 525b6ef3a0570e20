// End-to-end op throughput as the engine calls them: matmul through the thread pool
// (activation conversion included) for each weight type and the shapes of the synth
// presets, and the float ops. Arguments: threads. Counters: GB/s of weights read,
// GFLOP/s (2 * rows * cols * tokens).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "tensor/kernels.h"
#include "tensor/ops.h"
#include "tensor/quant.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

struct Shape {
    const char* name;
    int64_t rows, cols;
};
// Qwen2.5-0.5B's FFN up (4864 x 896) and DeepSeek-R1-Distill-Qwen-1.5B's (8960 x 1536).
// And Qwen2.5-0.5B's attention q (896 x 896) and k (128 x 896): small matrices, where
// waking the second thread costs as much as it saves.
constexpr Shape kShapes[] = {{"qwen0.5b_ffn_up", 4864, 896}, {"r1q1.5b_ffn_up", 8960, 1536},
                             {"qwen0.5b_attn_q", 896, 896}, {"qwen0.5b_attn_k", 128, 896}};

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

void BM_matmul(benchmark::State& state, DType type, Shape shape, int64_t n_tok) {
    const int threads = static_cast<int>(state.range(0));
    const auto& info = dtype_info(type);
    const size_t row_bytes = static_cast<size_t>(shape.cols / info.block_elems) * info.block_bytes;
    std::vector<uint8_t> w(row_bytes * static_cast<size_t>(shape.rows));
    const auto src = random_floats(static_cast<size_t>(shape.cols), 1);
    for (int64_t r = 0; r < shape.rows; ++r) quantize_row_ref(type, src.data(), w.data() + r * row_bytes, shape.cols);
    WeightMatrix m{w.data(), type, shape.rows, shape.cols, row_bytes};
    const auto x = random_floats(static_cast<size_t>(shape.cols * n_tok), 2);
    std::vector<float> y(static_cast<size_t>(shape.rows * n_tok));
    ThreadPool pool(threads);
    MatmulInput in;
    in.reserve(act_format(type), n_tok, shape.cols);
    for (auto _ : state) {
        in.set(x.data(), n_tok, shape.cols);
        matmul(pool, m, in, y.data(), shape.rows);
        benchmark::DoNotOptimize(y.data());
    }
    const double iters = static_cast<double>(state.iterations());
    state.counters["GB/s"] = benchmark::Counter(iters * static_cast<double>(w.size()) / 1e9, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(
        iters * 2.0 * shape.rows * shape.cols * n_tok / 1e9, benchmark::Counter::kIsRate);
    state.SetLabel(std::string(simd_name(kernels().level)));
}

void register_matmuls() {
    const DType types[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1,
                           DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};
    for (const Shape& s : kShapes)
        for (DType t : types) {
            // K-quants need 256-value rows: qwen2-0.5b's 896 columns take another
            // type in a Q4_K_M file, as they would here.
            if (s.cols % dtype_info(t).block_elems != 0) continue;
            for (int64_t tok : {int64_t{1}, int64_t{512}}) {
                const std::string name = std::string("matmul/") + std::string(dtype_name(t)) + "/" + s.name +
                                         "/tok" + std::to_string(tok);
                auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_matmul, t, s, tok);
                b->Arg(1)->Arg(2)->UseRealTime()->Unit(tok == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond);
            }
        }
}

void BM_softmax(benchmark::State& state) {
    auto x = random_floats(static_cast<size_t>(state.range(0)), 3);
    for (auto _ : state) {
        auto y = x;
        softmax_inplace(y.data(), static_cast<int64_t>(y.size()));
        benchmark::DoNotOptimize(y.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_softmax)->Arg(2048)->Arg(151936);

void BM_rmsnorm(benchmark::State& state) {
    const auto n = state.range(0);
    auto x = random_floats(static_cast<size_t>(n), 4);
    std::vector<float> w(static_cast<size_t>(n), 1.0f), out(static_cast<size_t>(n));
    for (auto _ : state) {
        rmsnorm(x.data(), w.data(), out.data(), n, 1e-6f);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_rmsnorm)->Arg(896)->Arg(1536);

void BM_swiglu(benchmark::State& state) {
    const auto n = state.range(0);
    auto g = random_floats(static_cast<size_t>(n), 5), u = random_floats(static_cast<size_t>(n), 6);
    std::vector<float> out(static_cast<size_t>(n));
    const FloatKernels& f = kernels().f;
    for (auto _ : state) {
        f.swiglu(g.data(), u.data(), out.data(), n);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_swiglu)->Arg(4864)->Arg(8960);

// The pool's hand-over: one parallel_for whose items do nothing, so the time is the
// wake-up, the chunk claims and the join that every matmul of decode pays.
void BM_parallel_for_handover(benchmark::State& state) {
    ThreadPool pool(static_cast<int>(state.range(0)));
    std::vector<int64_t> sink(static_cast<size_t>(pool.size()) * 16);
    for (auto _ : state) {
        pool.parallel_for(pool.size(), [&](int64_t b, int64_t e, int ith) { sink[static_cast<size_t>(ith) * 16] += e - b; });
        benchmark::DoNotOptimize(sink.data());
    }
}
BENCHMARK(BM_parallel_for_handover)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace pareto

int main(int argc, char** argv) {
    pareto::register_matmuls();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

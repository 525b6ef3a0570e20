// Single-thread throughput of the float and legacy-type matrix-product kernels, per
// weight type and SIMD level, called directly (activations converted beforehand, not
// timed; the quantizer has its own benchmark). Counters: GB/s of weights read per
// call, and GFLOP/s (2 * rows * cols * tokens). Decode (tok1) is a matrix-vector
// product and bound by memory; prompt processing (tok512) by compute. The scalar
// level is only run at tok1 and tok16 (it takes seconds per call at tok512).
//   build/bin/bench_kernels_legacy --benchmark_filter='Q4_0/.*tok1$'
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

struct Shape {
    const char* name;
    int64_t rows, cols;
};
// Qwen2.5-0.5B's FFN up (4864 x 896) and DeepSeek-R1-Distill-Qwen-1.5B's (8960 x 1536).
constexpr Shape kShapes[] = {{"4864x896", 4864, 896}, {"8960x1536", 8960, 1536}};

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

void BM_gemm(benchmark::State& state, SimdLevel level, DType type, Shape shape, int64_t n_tok) {
    const KernelTable& k = kernels(level);
    const auto& info = dtype_info(type);
    const size_t row_bytes = static_cast<size_t>(shape.cols / info.block_elems) * info.block_bytes;
    std::vector<uint8_t> w(row_bytes * static_cast<size_t>(shape.rows));
    constexpr int kDistinctRows = 16;
    for (int i = 0; i < kDistinctRows; ++i) {
        const auto src = random_floats(static_cast<size_t>(shape.cols), 100 + i);
        quantize_row_ref(type, src.data(), w.data() + i * row_bytes, shape.cols);
    }
    for (int64_t r = kDistinctRows; r < shape.rows; ++r)
        std::copy_n(w.data() + (r % kDistinctRows) * row_bytes, row_bytes, w.data() + r * row_bytes);

    const ActFormat fmt = act_format(type);
    const size_t a_stride = act_row_bytes(fmt, shape.cols);
    std::vector<uint8_t> a(a_stride * static_cast<size_t>(n_tok));
    const auto x = random_floats(static_cast<size_t>(shape.cols * n_tok), 2);
    for (int64_t t = 0; t < n_tok; ++t)
        k.quantize_act[static_cast<size_t>(fmt)](x.data() + t * shape.cols, a.data() + t * a_stride, shape.cols);
    std::vector<float> y(static_cast<size_t>(shape.rows * n_tok));
    const GemmFn gemm = k.gemm_for(type);
    for (auto _ : state) {
        gemm(shape.cols, w.data(), row_bytes, shape.rows, a.data(), a_stride, n_tok, y.data(), shape.rows);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    const double iters = static_cast<double>(state.iterations());
    state.counters["GB/s"] = benchmark::Counter(iters * static_cast<double>(w.size()) / 1e9, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(
        iters * 2.0 * static_cast<double>(shape.rows * shape.cols * n_tok) / 1e9, benchmark::Counter::kIsRate);
}

void BM_quantize_q8a(benchmark::State& state, SimdLevel level) {
    const int64_t n = state.range(0);
    const auto x = random_floats(static_cast<size_t>(n), 3);
    std::vector<uint8_t> out(act_row_bytes(ActFormat::Q8A, n));
    const QuantizeActFn q = kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8A)];
    for (auto _ : state) {
        q(x.data(), out.data(), n);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

int register_all() {
    const SimdLevel levels[] = {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512, SimdLevel::AVX512_VNNI,
                                SimdLevel::NEON};
    const DType types[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                           DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1};
    for (SimdLevel level : levels) {
        if (!simd_supported(level)) continue;
        const std::string lv(simd_name(level));
        benchmark::RegisterBenchmark(("quantize_q8a/" + lv).c_str(), BM_quantize_q8a, level)->Arg(4096);
        for (DType t : types)
            for (const Shape& s : kShapes)
                for (int64_t tok : {int64_t{1}, int64_t{4}, int64_t{16}, int64_t{512}}) {
                    if (level == SimdLevel::Scalar && tok > 16) continue;
                    const std::string name = "gemm/" + lv + "/" + std::string(dtype_name(t)) + "/" + s.name +
                                             "/tok" + std::to_string(tok);
                    benchmark::RegisterBenchmark(name.c_str(), BM_gemm, level, t, s, tok)
                        ->Unit(tok == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond)
                        ->MinTime(0.2);
                }
    }
    return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace pareto

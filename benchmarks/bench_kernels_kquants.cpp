// K-quant kernels on one thread, called directly (no thread pool, activations already
// in Q8_K): every type x SIMD level this machine has x shape x n_tok.
//   n_tok = 1   decode, memory-bound: counter GB/s = weight bytes read per second
//   n_tok = 512 prompt processing, compute-bound: counter GFLOP/s = 2 rows cols tok / s
// and the Q8_K activation quantizer (GB/s of float input). Rates are per CPU second of
// the benchmark thread (not wall time), so other load on a shared machine distorts
// them less; on an idle machine the two agree.
// Run e.g.: build/bin/bench_kernels_kquants --benchmark_filter='Q4_K/.*/tok1$'
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

struct Shape {
    const char* name;
    int64_t rows, cols;
};
// rows x cols. K types need cols % 256 == 0, so Qwen2.5-0.5B's FFN (4864 x 896) is
// measured as its down projection (896 x 4864); DeepSeek-R1-Distill-Qwen-1.5B's FFN
// up (8960 x 1536) and down (1536 x 8960).
constexpr Shape kShapes[] = {{"896x4864", 896, 4864}, {"8960x1536", 8960, 1536}, {"1536x8960", 1536, 8960}};
constexpr DType kTypes[] = {DType::Q4_K, DType::Q6_K, DType::Q5_K, DType::Q3_K, DType::Q2_K};
constexpr SimdLevel kLevels[] = {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512, SimdLevel::AVX512_VNNI,
                                 SimdLevel::NEON};

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

// Weights: 32 distinct quantized rows repeated (the reference quantizer is slow; the
// kernels read every row from its own memory either way).
std::vector<uint8_t> make_weights(DType type, const Shape& s) {
    const size_t rb = *dtype_row_bytes(type, static_cast<uint64_t>(s.cols));
    std::vector<uint8_t> w(rb * static_cast<size_t>(s.rows));
    const int64_t distinct = 32;
    const auto x = random_floats(static_cast<size_t>(s.cols * distinct), 1);
    for (int64_t r = 0; r < distinct && r < s.rows; ++r) quantize_row_ref(type, x.data() + r * s.cols, w.data() + r * rb, s.cols);
    for (int64_t r = distinct; r < s.rows; ++r) std::memcpy(w.data() + r * rb, w.data() + (r % distinct) * rb, rb);
    return w;
}

void BM_gemm(benchmark::State& state, SimdLevel level, DType type, Shape s, int64_t n_tok) {
    const KernelTable& k = kernels(level);
    const auto w = make_weights(type, s);
    const size_t rb = w.size() / static_cast<size_t>(s.rows);
    const size_t ab = act_row_bytes(ActFormat::Q8K, s.cols);
    const auto x = random_floats(static_cast<size_t>(s.cols * n_tok), 2);
    std::vector<uint8_t> a(ab * static_cast<size_t>(n_tok));
    for (int64_t t = 0; t < n_tok; ++t)
        k.quantize_act[static_cast<size_t>(ActFormat::Q8K)](x.data() + t * s.cols, a.data() + t * ab, s.cols);
    std::vector<float> y(static_cast<size_t>(s.rows * n_tok));
    const GemmFn gemm = k.gemm_for(type);
    for (auto _ : state) {
        gemm(s.cols, w.data(), rb, s.rows, a.data(), ab, n_tok, y.data(), s.rows);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    const double it = static_cast<double>(state.iterations());
    state.counters["GB/s"] = benchmark::Counter(it * static_cast<double>(w.size()) / 1e9, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] =
        benchmark::Counter(it * 2.0 * static_cast<double>(s.rows * s.cols * n_tok) / 1e9, benchmark::Counter::kIsRate);
}

void BM_quantize_q8k(benchmark::State& state, SimdLevel level) {
    const int64_t n = state.range(0);
    const auto x = random_floats(static_cast<size_t>(n), 3);
    std::vector<uint8_t> out(act_row_bytes(ActFormat::Q8K, n));
    const QuantizeActFn q = kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8K)];
    for (auto _ : state) {
        q(x.data(), out.data(), n);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(n) * 4 / 1e9,
                           benchmark::Counter::kIsRate);
}

bool register_all() {
    for (SimdLevel level : kLevels) {
        if (!simd_supported(level)) continue;
        const std::string lv(simd_name(level));
        for (DType type : kTypes)
            for (const Shape& s : kShapes)
                for (int64_t tok : {int64_t{1}, int64_t{512}}) {
                    const std::string name = "gemm/" + std::string(dtype_name(type)) + "/" + lv + "/" + s.name +
                                             "/tok" + std::to_string(tok);
                    benchmark::RegisterBenchmark(name.c_str(), BM_gemm, level, type, s, tok)
                        ->Unit(tok == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond);
                }
        benchmark::RegisterBenchmark(("quantize_q8k/" + lv).c_str(), BM_quantize_q8k, level)->Arg(4096);
    }
    return true;
}

const bool kRegistered = register_all();

}  // namespace
}  // namespace pareto

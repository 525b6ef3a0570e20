// Decode from memory, not from cache: one token's matrix-vector products over a
// weight set larger than the last-level cache, through the engine's thread pool,
// next to a plain read of the same bytes. The ratio of the two is the kernel's share
// of the bandwidth bound, free of the per-op costs a whole model adds (those are the
// profiler's to show: `pareto-cli profile`).
//
// The weights are one anonymous buffer (huge pages when the kernel gives them),
// split into matrices of a real model's FFN shape, so each call streams `--bytes`
// once, as a model's decode step does.
//   build/bin/bench_decode_stream --benchmark_filter='Q4_0' [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "tensor/kernels.h"
#include "tensor/ops.h"
#include "tensor/quant.h"
#include "util/memory.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

constexpr size_t kStreamBytes = size_t{1} << 30;  // larger than this machine's 480 MiB L3
struct Shape {
    const char* name;
    int64_t rows, cols;
};
// FFN up/gate and down of DeepSeek-R1-Distill-Qwen-1.5B and of Qwen2.5-0.5B: long
// rows (down) and short rows (up) stream differently.
constexpr Shape kShapes[] = {{"8960x1536", 8960, 1536}, {"1536x8960", 1536, 8960},
                             {"4864x896", 4864, 896}, {"896x4864", 896, 4864},
                             {"151936x896", 151936, 896},  // qwen2-0.5b's output matrix
                             {"896x896", 896, 896}, {"128x896", 128, 896}};  // its q/o and k/v: short jobs

struct AnonBuffer {
    uint8_t* data = nullptr;
    size_t bytes = 0;
    explicit AnonBuffer(size_t n) : bytes(n) {
        void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) std::abort();
        ::madvise(p, n, MADV_HUGEPAGE);
        data = static_cast<uint8_t*>(p);
    }
    ~AnonBuffer() { ::munmap(data, bytes); }
};

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

// Matrices of `shape` in `type`, back to back, filling about kStreamBytes.
struct WeightStream {
    AnonBuffer buf;
    std::vector<WeightMatrix> mats;
    static size_t row_bytes(DType type, Shape shape) {
        const auto& info = dtype_info(type);
        return static_cast<size_t>(shape.cols / info.block_elems) * info.block_bytes;
    }
    static size_t matrix_bytes(DType type, Shape shape) { return row_bytes(type, shape) * static_cast<size_t>(shape.rows); }
    WeightStream(DType type, Shape shape)
        : buf(kStreamBytes / matrix_bytes(type, shape) * matrix_bytes(type, shape)) {
        const size_t rb = row_bytes(type, shape);
        std::vector<uint8_t> rows(rb * 16);
        for (int i = 0; i < 16; ++i) {
            const auto src = random_floats(static_cast<size_t>(shape.cols), 100 + static_cast<uint32_t>(i));
            quantize_row_ref(type, src.data(), rows.data() + static_cast<size_t>(i) * rb, shape.cols);
        }
        for (size_t off = 0; off < buf.bytes; off += rb)
            std::copy_n(rows.data() + (off / rb % 16) * rb, rb, buf.data + off);
        for (size_t off = 0; off < buf.bytes; off += matrix_bytes(type, shape))
            mats.push_back(WeightMatrix{buf.data + off, type, shape.rows, shape.cols, rb});
    }
};

void BM_decode_stream(benchmark::State& state, DType type, Shape shape) {
    const int threads = static_cast<int>(state.range(0));
    WeightStream ws(type, shape);
    const auto x = random_floats(static_cast<size_t>(shape.cols), 2);
    std::vector<float> y(static_cast<size_t>(shape.rows));
    ThreadPool pool(threads);
    MatmulInput in;
    in.reserve(act_format(type), 1, shape.cols);
    for (auto _ : state) {
        for (const WeightMatrix& m : ws.mats) {
            in.set(x.data(), 1, shape.cols);
            matmul(pool, m, in, y.data(), shape.rows);
        }
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["GB/s"] = benchmark::Counter(static_cast<double>(state.iterations()) *
                                                    static_cast<double>(ws.buf.bytes) / 1e9,
                                                benchmark::Counter::kIsRate);
    state.counters["matrices"] = static_cast<double>(ws.mats.size());
    state.SetLabel(std::string(simd_name(kernels().level)));
}

// The bound: the same number of bytes read by the bandwidth probe's loop.
void BM_read_stream(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    ThreadPool pool(threads);
    BandwidthParams p;
    p.buffer_bytes = kStreamBytes;
    p.runs = 1;
    double gbs = 0;
    int64_t n = 0;
    for (auto _ : state) {
        gbs += measure_read_bandwidth(pool, p).gb_per_s;
        ++n;
    }
    state.counters["GB/s"] = gbs / static_cast<double>(n);
}

int register_all() {
    for (DType t : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::F16})
        for (const Shape& s : kShapes)
            benchmark::RegisterBenchmark(("decode_stream/" + std::string(dtype_name(t)) + "/" + s.name).c_str(),
                                         BM_decode_stream, t, s)
                ->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
    benchmark::RegisterBenchmark("read_stream", BM_read_stream)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)
        ->UseRealTime()->Iterations(3);
    return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace pareto

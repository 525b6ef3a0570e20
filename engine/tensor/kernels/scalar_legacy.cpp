// Matrix products for the plain float types (F32, F16, BF16; F32 activations) and the
// legacy 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; Q8A activations), and
// the Q8A and F32 activation formats. Scalar: this is the reference the SIMD kernels
// are tested against, and the fallback on CPUs without them. The conventions (how
// activations are quantized, what is exact and what is float) are in legacy_common.h.
#include <cmath>
#include <cstring>

#include "tensor/kernels.h"
#include "tensor/kernels/legacy_common.h"

namespace pareto {
namespace {

// ---- activations ------------------------------------------------------------------

// One Q8A block. The clamp also keeps a NaN (from a non-finite input) out of the
// float-to-int conversion; std::fmax/fmin return the non-NaN operand as the SIMD
// max/min do, so every level writes the same bytes for such input too.
void quantize_block_q8a(const float* x, BlockQ8A& b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
        int q = 0;
        if (d != 0.0f) {
            const float v = std::fmin(std::fmax(x[j] / d, -127.0f), 127.0f);
            q = static_cast<int>(v);  // then round half away from zero; v - trunc(v) is exact
            const float frac = v - static_cast<float>(q);
            if (frac >= 0.5f) ++q;
            else if (frac <= -0.5f) --q;
        }
        b.qs[j] = static_cast<int8_t>(q);
        sum += q;
    }
    b.d = d;
    b.s = d * static_cast<float>(sum);
}

void quantize_q8a(const float* x, uint8_t* out, int64_t n) {
    for (int64_t i = 0; i < n / 32; ++i) {
        BlockQ8A b;
        quantize_block_q8a(x + i * 32, b);
        std::memcpy(out + i * sizeof(BlockQ8A), &b, sizeof(BlockQ8A));
    }
}

void quantize_f32(const float* x, uint8_t* out, int64_t n) {
    if (n > 0) std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
}

// ---- float weights ------------------------------------------------------------------

struct F32W {
    static float get(const uint8_t* w, int64_t i) {
        float v;
        std::memcpy(&v, w + i * 4, 4);
        return v;
    }
};
struct F16W {
    static float get(const uint8_t* w, int64_t i) { return f16_to_f32(load_u16(w + i * 2)); }
};
struct BF16W {
    static float get(const uint8_t* w, int64_t i) { return bf16_to_f32(load_u16(w + i * 2)); }
};

// Eight partial sums, like the float dot of scalar_float.cpp.
template <typename W>
void gemm_float(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                size_t a_stride, int64_t n_tok, float* y, int64_t y_stride) {
    for (int64_t t = 0; t < n_tok; ++t) {
        const uint8_t* at = a + static_cast<size_t>(t) * a_stride;
        for (int64_t r = 0; r < n_rows; ++r) {
            const uint8_t* wr = w + static_cast<size_t>(r) * w_stride;
            float acc[8] = {};
            int64_t i = 0;
            for (; i + 8 <= n; i += 8)
                for (int k = 0; k < 8; ++k) acc[k] += W::get(wr, i + k) * F32W::get(at, i + k);
            float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
            for (; i < n; ++i) sum += W::get(wr, i) * F32W::get(at, i);
            y[t * y_stride + r] = sum;
        }
    }
}

// ---- legacy block weights --------------------------------------------------------------

template <typename T>
void gemm_legacy(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                 size_t a_stride, int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / 32;
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t* wr = w + static_cast<size_t>(r) * w_stride;
        for (int64_t t = 0; t < n_tok; ++t) {
            const uint8_t* at = a + static_cast<size_t>(t) * a_stride;
            float sum = 0.0f;
            for (int64_t b = 0; b < nb; ++b) {
                const uint8_t* wb = wr + b * T::kBytes;
                BlockQ8A ab;
                std::memcpy(&ab, at + b * sizeof(BlockQ8A), sizeof(BlockQ8A));
                int8_t wq[32];
                T::ints(wb, wq);
                int32_t isum = 0;
                for (int j = 0; j < 32; ++j) isum += wq[j] * ab.qs[j];
                float v = (T::d(wb) * ab.d) * static_cast<float>(isum);
                if constexpr (T::kHasMin) v += T::m(wb) * ab.s;
                sum += v;
            }
            y[t * y_stride + r] = sum;
        }
    }
}

}  // namespace

void kernel_registry::scalar_legacy(KernelTable& t) {
    auto set = [&](DType type, GemmFn fn) { t.gemm[static_cast<size_t>(type)] = fn; };
    set(DType::F32, gemm_float<F32W>);
    set(DType::F16, gemm_float<F16W>);
    set(DType::BF16, gemm_float<BF16W>);
    set(DType::Q4_0, gemm_legacy<Q4_0Traits>);
    set(DType::Q4_1, gemm_legacy<Q4_1Traits>);
    set(DType::Q5_0, gemm_legacy<Q5_0Traits>);
    set(DType::Q5_1, gemm_legacy<Q5_1Traits>);
    set(DType::Q8_0, gemm_legacy<Q8_0Traits>);
    t.quantize_act[static_cast<size_t>(ActFormat::Q8A)] = quantize_q8a;
    t.quantize_act[static_cast<size_t>(ActFormat::F32)] = quantize_f32;
}

}  // namespace pareto

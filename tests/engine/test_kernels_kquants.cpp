// K-quant kernels (Q2_K .. Q6_K against Q8_K activations) and the Q8_K quantizer.
//
//  - The scalar gemm is checked against a double-precision dot product of values
//    dequantized here, straight from the block formats (and those values against
//    dequantize_row_ref).
//  - Every SIMD level this machine has is checked against the scalar table: Q8_K bytes
//    bit-exact, gemm results within the tolerance below.
//
// Tolerance. Kernels differ only in float rounding: the integer parts are exact, the
// float scales and the per-block sums are applied in different orders. Every result
// must satisfy |y - y_ref| <= 1e-5 * M, where M = sum_i |x_i| * |a_i| over the terms
// of the dot product, the weight value split into its scale and min parts
// (|d sc (q - off)| + |dmin m|): a bound on the size of everything that is rounded, so
// it does not blow up when the result itself cancels to near zero. A float sum of
// k terms is within about k * 6e-8 of the magnitude; k <= 35 blocks + a few products.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/half.h"
#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

constexpr double kRelTol = 1e-5;
constexpr DType kTypes[] = {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::vector<SimdLevel> levels() {
    std::vector<SimdLevel> out;
    for (auto l : {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512, SimdLevel::AVX512_VNNI, SimdLevel::NEON})
        if (simd_supported(l)) out.push_back(l);
    return out;
}

size_t row_bytes(DType type, int64_t n) { return static_cast<size_t>(n / 256) * dtype_info(type).block_bytes; }

// ---- dequantization from the format definitions -----------------------------------
// value[i] and mag[i] = |scale part| + |min part|, one block of 256.

void deq_q2_K(const uint8_t* p, double* v, double* m) {
    BlockQ2_K b;
    std::memcpy(&b, p, sizeof b);
    const double d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, j = (i % 128) / 32, l = i % 32;
        const int q = (b.qs[32 * h + l] >> (2 * j)) & 3;
        const int s = b.scales[i / 16];
        const double a = d * (s & 15) * q, c = dmin * (s >> 4);
        v[i] = a - c;
        m[i] = std::fabs(a) + std::fabs(c);
    }
}

void deq_q3_K(const uint8_t* p, double* v, double* m) {
    BlockQ3_K b;
    std::memcpy(&b, p, sizeof b);
    const double d = f16_to_f32(b.d);
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, j = (i % 128) / 32, l = i % 32, sb = i / 16;
        const int low = (b.qs[32 * h + l] >> (2 * j)) & 3;
        const bool hbit = (b.hmask[l] >> (4 * h + j)) & 1;
        const int q = low - (hbit ? 0 : 4);
        const int sl = sb < 8 ? (b.scales[sb] & 15) : (b.scales[sb - 8] >> 4);
        const int sh = (b.scales[8 + sb % 4] >> (2 * (sb / 4))) & 3;
        const int sc = (sl | (sh << 4)) - 32;
        v[i] = d * sc * q;
        m[i] = std::fabs(v[i]);
    }
}

void k4_scale_min(const uint8_t* s, int j, int& sc, int& mn) {
    if (j < 4) {
        sc = s[j] & 63;
        mn = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
        mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

void deq_q4_K(const uint8_t* p, double* v, double* m) {
    BlockQ4_K b;
    std::memcpy(&b, p, sizeof b);
    const double d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int i = 0; i < 256; ++i) {
        const int sb = i / 32, g = i / 64, l = i % 32;
        const int q = (sb % 2 == 0) ? (b.qs[32 * g + l] & 15) : (b.qs[32 * g + l] >> 4);
        int sc, mn;
        k4_scale_min(b.scales, sb, sc, mn);
        const double a = d * sc * q, c = dmin * mn;
        v[i] = a - c;
        m[i] = std::fabs(a) + std::fabs(c);
    }
}

void deq_q5_K(const uint8_t* p, double* v, double* m) {
    BlockQ5_K b;
    std::memcpy(&b, p, sizeof b);
    const double d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int i = 0; i < 256; ++i) {
        const int sb = i / 32, g = i / 64, l = i % 32;
        int q = (sb % 2 == 0) ? (b.qs[32 * g + l] & 15) : (b.qs[32 * g + l] >> 4);
        if ((b.qh[l] >> sb) & 1) q += 16;
        int sc, mn;
        k4_scale_min(b.scales, sb, sc, mn);
        const double a = d * sc * q, c = dmin * mn;
        v[i] = a - c;
        m[i] = std::fabs(a) + std::fabs(c);
    }
}

void deq_q6_K(const uint8_t* p, double* v, double* m) {
    BlockQ6_K b;
    std::memcpy(&b, p, sizeof b);
    const double d = f16_to_f32(b.d);
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, part = (i % 128) / 32, l = i % 32;
        const uint8_t ql = b.ql[64 * h + l + (part % 2) * 32];
        const int lo = part < 2 ? (ql & 15) : (ql >> 4);
        const int hi = (b.qh[32 * h + l] >> (2 * part)) & 3;
        const int q = (lo | (hi << 4)) - 32;
        v[i] = d * b.scales[i / 16] * q;
        m[i] = std::fabs(v[i]);
    }
}

void dequant_row(DType type, const uint8_t* row, int64_t n, double* v, double* m) {
    const size_t bb = dtype_info(type).block_bytes;
    for (int64_t b = 0; b < n / 256; ++b) {
        const uint8_t* p = row + b * bb;
        double* vb = v + b * 256;
        double* mb = m + b * 256;
        switch (type) {
            case DType::Q2_K: deq_q2_K(p, vb, mb); break;
            case DType::Q3_K: deq_q3_K(p, vb, mb); break;
            case DType::Q4_K: deq_q4_K(p, vb, mb); break;
            case DType::Q5_K: deq_q5_K(p, vb, mb); break;
            case DType::Q6_K: deq_q6_K(p, vb, mb); break;
            default: FAIL();
        }
    }
}

// ---- test data -------------------------------------------------------------------

uint16_t random_half(std::mt19937& rng, float lo, float hi) {
    return f32_to_f16(std::uniform_real_distribution<float>(lo, hi)(rng));
}

// Random bytes for the quants and the packed scales, small f16 super-scales.
std::vector<uint8_t> random_weights(DType type, int64_t n, int64_t rows, uint32_t seed) {
    std::mt19937 rng(seed);
    const size_t rb = row_bytes(type, n);
    std::vector<uint8_t> w(rb * static_cast<size_t>(rows));
    for (auto& x : w) x = static_cast<uint8_t>(rng());
    const size_t bb = dtype_info(type).block_bytes;
    for (size_t off = 0; off < w.size(); off += bb) {
        uint8_t* p = w.data() + off;
        uint16_t d = random_half(rng, -0.02f, 0.02f), dmin = random_half(rng, 0.0f, 0.02f);
        switch (type) {
            case DType::Q2_K: std::memcpy(p + 80, &d, 2); std::memcpy(p + 82, &dmin, 2); break;
            case DType::Q3_K: std::memcpy(p + 108, &d, 2); break;
            case DType::Q4_K:
            case DType::Q5_K: std::memcpy(p, &d, 2); std::memcpy(p + 2, &dmin, 2); break;
            case DType::Q6_K: std::memcpy(p + 208, &d, 2); break;
            default: break;
        }
    }
    return w;
}

// Realistic weights: Gaussian rows through the reference quantizer.
std::vector<uint8_t> quantized_weights(DType type, int64_t n, int64_t rows, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.05f);
    std::vector<float> x(static_cast<size_t>(n));
    const size_t rb = row_bytes(type, n);
    std::vector<uint8_t> w(rb * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        for (auto& v : x) v = nd(rng);
        quantize_row_ref(type, x.data(), w.data() + r * rb, n);
    }
    return w;
}

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<uint8_t> quantize_acts(const std::vector<float>& x, int64_t n, int64_t n_tok) {
    const size_t stride = act_row_bytes(ActFormat::Q8K, n);
    std::vector<uint8_t> a(stride * static_cast<size_t>(n_tok));
    const auto q = kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(ActFormat::Q8K)];
    for (int64_t t = 0; t < n_tok; ++t) q(x.data() + t * n, a.data() + t * stride, n);
    return a;
}

// Activations with every int8 value possible (-128 included) and consistent bsums.
std::vector<uint8_t> raw_acts(int64_t n, int64_t n_tok, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> a(act_row_bytes(ActFormat::Q8K, n) * static_cast<size_t>(n_tok));
    for (size_t off = 0; off < a.size(); off += sizeof(BlockQ8_K)) {
        BlockQ8_K b;
        b.d = std::uniform_real_distribution<float>(0.001f, 0.05f)(rng);
        for (auto& q : b.qs) q = static_cast<int8_t>(rng());
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 0; i < 16; ++i) s += b.qs[16 * j + i];
            b.bsums[j] = static_cast<int16_t>(s);
        }
        std::memcpy(a.data() + off, &b, sizeof b);
    }
    return a;
}

struct RefResult {
    std::vector<double> y, mag;  // [t * n_rows + r]
};

RefResult reference(DType type, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a, int64_t n,
                    int64_t n_rows, int64_t n_tok) {
    const size_t rb = row_bytes(type, n), ab = act_row_bytes(ActFormat::Q8K, n);
    std::vector<double> wv(static_cast<size_t>(n)), wm(static_cast<size_t>(n)), av(static_cast<size_t>(n));
    RefResult out{std::vector<double>(static_cast<size_t>(n_rows * n_tok)),
                  std::vector<double>(static_cast<size_t>(n_rows * n_tok))};
    std::vector<std::vector<double>> acts(static_cast<size_t>(n_tok), std::vector<double>(static_cast<size_t>(n)));
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t b = 0; b < n / 256; ++b) {
            BlockQ8_K blk;
            std::memcpy(&blk, a.data() + t * ab + b * sizeof blk, sizeof blk);
            for (int i = 0; i < 256; ++i) acts[t][b * 256 + i] = static_cast<double>(blk.d) * blk.qs[i];
        }
    for (int64_t r = 0; r < n_rows; ++r) {
        dequant_row(type, w.data() + r * rb, n, wv.data(), wm.data());
        for (int64_t t = 0; t < n_tok; ++t) {
            double s = 0, m = 0;
            for (int64_t i = 0; i < n; ++i) {
                s += wv[i] * acts[t][i];
                m += wm[i] * std::fabs(acts[t][i]);
            }
            out.y[t * n_rows + r] = s;
            out.mag[t * n_rows + r] = m;
        }
    }
    return out;
}

std::vector<float> run_gemm(SimdLevel level, DType type, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a,
                            int64_t n, int64_t n_rows, int64_t n_tok, int64_t y_stride, float sentinel = NAN) {
    std::vector<float> y(static_cast<size_t>(y_stride * n_tok), sentinel);
    kernels(level).gemm_for(type)(n, w.data(), row_bytes(type, n), n_rows, a.data(), act_row_bytes(ActFormat::Q8K, n),
                                  n_tok, y.data(), y_stride);
    return y;
}

std::string label(SimdLevel level, DType type, int64_t n, int64_t rows, int64_t tok) {
    return std::string(simd_name(level)) + " " + std::string(dtype_name(type)) + " n=" + std::to_string(n) +
           " rows=" + std::to_string(rows) + " tok=" + std::to_string(tok);
}

// Checks every level's gemm on (w, a) against the double reference, with y_stride
// possibly larger than n_rows (the gap must stay untouched).
void check_all_levels(DType type, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a, int64_t n,
                      int64_t n_rows, int64_t n_tok, int64_t y_stride) {
    const RefResult ref = reference(type, w, a, n, n_rows, n_tok);
    const auto scalar = run_gemm(SimdLevel::Scalar, type, w, a, n, n_rows, n_tok, y_stride);
    for (SimdLevel level : levels()) {
        const auto y = level == SimdLevel::Scalar ? scalar : run_gemm(level, type, w, a, n, n_rows, n_tok, y_stride, -7.0f);
        int bad = 0;
        for (int64_t t = 0; t < n_tok; ++t) {
            for (int64_t r = 0; r < n_rows; ++r) {
                const double tol = kRelTol * ref.mag[t * n_rows + r] + 1e-30;
                const double got = y[t * y_stride + r];
                const double want_scalar = scalar[t * y_stride + r];
                const double want = ref.y[t * n_rows + r];
                if (!(std::fabs(got - want) <= tol) || !(std::fabs(got - want_scalar) <= tol)) {
                    if (++bad <= 5)
                        ADD_FAILURE() << label(level, type, n, n_rows, n_tok) << " r=" << r << " t=" << t
                                      << ": got " << got << ", scalar " << want_scalar << ", exact " << want
                                      << ", tolerance " << tol;
                }
            }
            if (level != SimdLevel::Scalar)
                for (int64_t r = n_rows; r < y_stride; ++r)
                    if (y[t * y_stride + r] != -7.0f && ++bad <= 5)
                        ADD_FAILURE() << label(level, type, n, n_rows, n_tok) << ": wrote outside rows at t=" << t;
        }
        if (bad) return;
    }
}

// ---- Q8_K quantizer ----------------------------------------------------------------

TEST(KQuantKernels, Q8KQuantizerFollowsTheContract) {
    const int64_t n = 512;
    auto x = random_floats(static_cast<size_t>(n), 7, 3.0f);
    for (int i = 256; i < 512; ++i) x[static_cast<size_t>(i)] = 0.0f;  // an all-zero block
    std::vector<uint8_t> out(act_row_bytes(ActFormat::Q8K, n));
    kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(ActFormat::Q8K)](x.data(), out.data(), n);
    BlockQ8_K b0, b1;
    std::memcpy(&b0, out.data(), sizeof b0);
    std::memcpy(&b1, out.data() + sizeof b0, sizeof b1);
    float amax = 0;
    for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(x[static_cast<size_t>(i)]));
    EXPECT_EQ(b0.d, amax / 127.0f);
    for (int i = 0; i < 256; ++i) {
        EXPECT_LE(std::fabs(b0.d * b0.qs[i] - x[static_cast<size_t>(i)]), 0.5f * b0.d * 1.0001f);
        EXPECT_GE(b0.qs[i], -127);
    }
    for (int j = 0; j < 16; ++j) {
        int s = 0;
        for (int i = 0; i < 16; ++i) s += b0.qs[16 * j + i];
        EXPECT_EQ(b0.bsums[j], s);
        EXPECT_EQ(b1.bsums[j], 0);
    }
    EXPECT_EQ(b1.d, 0.0f);
    for (int i = 0; i < 256; ++i) EXPECT_EQ(b1.qs[i], 0);
}

TEST(KQuantKernels, Q8KRoundsHalfToEven) {
    std::vector<float> x(256, 0.0f);
    x[0] = 127.0f;  // id = 1 exactly: x * id is x
    x[1] = 2.5f;
    x[2] = 3.5f;
    x[3] = -2.5f;
    x[4] = -127.0f;
    x[5] = 0.5f;
    for (SimdLevel level : levels()) {
        std::vector<uint8_t> out(sizeof(BlockQ8_K));
        kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8K)](x.data(), out.data(), 256);
        BlockQ8_K b;
        std::memcpy(&b, out.data(), sizeof b);
        EXPECT_EQ(b.d, 1.0f) << simd_name(level);
        EXPECT_EQ(b.qs[0], 127) << simd_name(level);
        EXPECT_EQ(b.qs[1], 2) << simd_name(level);
        EXPECT_EQ(b.qs[2], 4) << simd_name(level);
        EXPECT_EQ(b.qs[3], -2) << simd_name(level);
        EXPECT_EQ(b.qs[4], -127) << simd_name(level);
        EXPECT_EQ(b.qs[5], 0) << simd_name(level);
    }
}

TEST(KQuantKernels, Q8KBitExactOnEveryLevel) {
    const auto ref = kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(ActFormat::Q8K)];
    for (int64_t n : {256, 512, 4096, 4864, 8960}) {
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            auto x = random_floats(static_cast<size_t>(n), seed * 31 + static_cast<uint32_t>(n), seed == 3 ? 1e-3f : 2.0f);
            if (seed == 2)  // blocks of very different ranges, one all zero, one with a single spike
                for (int64_t i = 0; i < n; ++i) {
                    const int64_t blk = i / 256;
                    x[i] *= static_cast<float>(1 << (blk % 7)) * 0.01f;
                    if (blk == 1) x[i] = 0.0f;
                    if (blk == 2) x[i] = (i % 256 == 77) ? -5.0f : 0.0f;
                }
            std::vector<uint8_t> want(act_row_bytes(ActFormat::Q8K, n)), got(want.size());
            ref(x.data(), want.data(), n);
            for (SimdLevel level : levels()) {
                std::fill(got.begin(), got.end(), 0xAB);
                kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8K)](x.data(), got.data(), n);
                ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size()))
                    << simd_name(level) << " n=" << n << " seed=" << seed;
            }
        }
    }
}

// ---- dequantization agrees with the reference ---------------------------------------

TEST(KQuantKernels, FormatDequantizationMatchesReference) {
    const int64_t n = 1024;
    for (DType type : kTypes) {
        for (int variant = 0; variant < 2; ++variant) {
            const auto w = variant ? quantized_weights(type, n, 2, 5) : random_weights(type, n, 2, 5);
            std::vector<double> v(static_cast<size_t>(n)), m(static_cast<size_t>(n));
            std::vector<float> r(static_cast<size_t>(n));
            for (int64_t row = 0; row < 2; ++row) {
                dequant_row(type, w.data() + row * row_bytes(type, n), n, v.data(), m.data());
                dequantize_row_ref(type, w.data() + row * row_bytes(type, n), r.data(), n);
                for (int64_t i = 0; i < n; ++i)
                    ASSERT_NEAR(r[i], v[i], 1e-6 * m[i] + 1e-12)
                        << dtype_name(type) << " variant " << variant << " i=" << i;
            }
        }
    }
}

// ---- gemm ----------------------------------------------------------------------------

class KQuantGemm : public ::testing::TestWithParam<DType> {};

TEST_P(KQuantGemm, RandomBlocksAllShapes) {
    const DType type = GetParam();
    uint32_t seed = 100;
    for (int64_t n : {256, 512, 4096, 4864, 8960}) {
        for (int64_t rows : {1, 3, 7, 64}) {
            const auto w = random_weights(type, n, rows, ++seed);
            for (int64_t tok : {1, 2, 5, 16, 33}) {
                const auto x = random_floats(static_cast<size_t>(n * tok), ++seed);
                const auto a = quantize_acts(x, n, tok);
                check_all_levels(type, w, a, n, rows, tok, rows);
                if (HasFailure()) return;
            }
        }
    }
}

// Around the SIMD kernels' switch points: groups of up to 4 tokens per pass over the
// rows, the tiled path from 8 or 9 tokens, tiles of 64 tokens x 16 rows and their
// remainders.
TEST_P(KQuantGemm, TileBoundaries) {
    const DType type = GetParam();
    uint32_t seed = 500;
    for (int64_t n : {512, 1280}) {
        for (int64_t rows : {17, 33}) {
            const auto w = random_weights(type, n, rows, ++seed);
            for (int64_t tok : {3, 4, 7, 8, 9, 64, 65, 130}) {
                const auto a = quantize_acts(random_floats(static_cast<size_t>(n * tok), ++seed), n, tok);
                check_all_levels(type, w, a, n, rows, tok, rows + 3);
                if (HasFailure()) return;
            }
        }
    }
}

TEST_P(KQuantGemm, QuantizedWeightsWideStride) {
    const DType type = GetParam();
    for (int64_t tok : {1, 4, 17}) {
        const int64_t n = 2048, rows = 13;
        const auto w = quantized_weights(type, n, rows, 11);
        const auto a = quantize_acts(random_floats(static_cast<size_t>(n * tok), 12), n, tok);
        check_all_levels(type, w, a, n, rows, tok, rows + 9);
    }
}

TEST_P(KQuantGemm, FullRangeActivations) {
    const DType type = GetParam();
    for (int64_t tok : {1, 3, 20}) {
        const int64_t n = 768, rows = 9;
        const auto w = random_weights(type, n, rows, 21);
        check_all_levels(type, w, raw_acts(n, tok, 22), n, rows, tok, rows);
    }
}

// Largest quants and most negative activations everywhere: nothing may saturate.
TEST_P(KQuantGemm, ExtremeValues) {
    const DType type = GetParam();
    const int64_t n = 512, rows = 5;
    auto w = random_weights(type, n, rows, 31);
    const size_t bb = dtype_info(type).block_bytes;
    for (size_t off = 0; off < w.size(); off += bb) {
        uint8_t* p = w.data() + off;
        const uint16_t one = f32_to_f16(1.0f);
        switch (type) {
            case DType::Q2_K: std::memset(p, 0xFF, 80); std::memcpy(p + 80, &one, 2); break;
            case DType::Q3_K: std::memset(p, 0xFF, 96); std::memset(p + 96, 0, 12); break;  // scales -32
            case DType::Q4_K: std::memset(p + 4, 0xFF, 140); std::memcpy(p, &one, 2); break;
            case DType::Q5_K: std::memset(p + 4, 0xFF, 172); std::memcpy(p, &one, 2); break;
            case DType::Q6_K: std::memset(p, 0xFF, 192); std::memset(p + 192, 0x80, 16); break;  // scales -128
            default: break;
        }
    }
    for (int64_t tok : {6, 12}) {  // the decode and the tiled prompt paths
        std::vector<uint8_t> a(act_row_bytes(ActFormat::Q8K, n) * tok);
        for (size_t off = 0; off < a.size(); off += sizeof(BlockQ8_K)) {
            BlockQ8_K b;
            b.d = 1.0f;
            for (auto& q : b.qs) q = -128;
            for (auto& s : b.bsums) s = -16 * 128;
            std::memcpy(a.data() + off, &b, sizeof b);
        }
        check_all_levels(type, w, a, n, rows, tok, rows);
    }
}

TEST_P(KQuantGemm, ZeroRowsOrTokensWriteNothing) {
    const DType type = GetParam();
    const int64_t n = 256;
    const auto w = random_weights(type, n, 2, 41);
    const auto a = quantize_acts(random_floats(256, 42), n, 1);
    for (SimdLevel level : levels()) {
        float y[4] = {5, 5, 5, 5};
        kernels(level).gemm_for(type)(n, w.data(), row_bytes(type, n), 0, a.data(), act_row_bytes(ActFormat::Q8K, n), 1,
                                      y, 4);
        kernels(level).gemm_for(type)(n, w.data(), row_bytes(type, n), 2, a.data(), act_row_bytes(ActFormat::Q8K, n), 0,
                                      y, 4);
        for (float v : y) EXPECT_EQ(v, 5.0f) << simd_name(level);
    }
}

INSTANTIATE_TEST_SUITE_P(Types, KQuantGemm, ::testing::ValuesIn(kTypes),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

TEST(KQuantKernels, EveryLevelRegistersEveryType) {
    for (SimdLevel level : levels()) {
        for (DType type : kTypes) EXPECT_NE(kernels(level).gemm[static_cast<size_t>(type)], nullptr) << simd_name(level);
        EXPECT_NE(kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8K)], nullptr);
    }
#if defined(__x86_64__) || defined(_M_X64)
    // the x86 levels have their own kernels: the comparisons above are not scalar vs scalar
    const KernelTable& scalar = kernels(SimdLevel::Scalar);
    for (SimdLevel level : levels()) {
        if (level == SimdLevel::Scalar) continue;
        for (DType type : kTypes)
            EXPECT_NE(kernels(level).gemm[static_cast<size_t>(type)], scalar.gemm[static_cast<size_t>(type)])
                << simd_name(level) << " " << dtype_name(type);
        EXPECT_NE(kernels(level).quantize_act[static_cast<size_t>(ActFormat::Q8K)],
                  scalar.quantize_act[static_cast<size_t>(ActFormat::Q8K)]);
    }
#endif
}

}  // namespace
}  // namespace pareto

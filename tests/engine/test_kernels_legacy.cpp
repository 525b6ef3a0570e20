// Matrix-product kernels of the plain float types (F32, F16, BF16) and the legacy
// block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), and the Q8A / F32 activation formats, at
// every SIMD level this machine and build support:
//   - the Q8A quantizer follows its definition (d = amax / 127, q = x / d rounded half
//     away from zero, s = d * sum(q)) and every level writes the same bytes as scalar;
//   - the scalar kernels against a double-precision dot product of the values the
//     blocks decode to (decoded here, independently of the engine; the decoder itself
//     is checked against dequantize_row_ref);
//   - every level against scalar, within kRelTol of the sum of |terms| of the dot
//     product (sum_i |w_i * a_i|, decoded values). The integer part of a block's dot
//     product is exact at every level, so the only differences are float rounding of
//     the scaling and of the summation order, a few units of 2^-24 relative to that
//     sum in practice; a wrong element, block, scale or saturated int16 is far larger;
//   - only y[t * y_stride + r] for r < n_rows, t < n_tok is written (guard values),
//     with weight / activation row strides larger than a row and unaligned rows.
// Shapes cover a single block, partial groups of blocks, the sizes of real models
// (4096, 4864, 8960), single rows and tokens up to enough of both for every blocked
// path, and extreme values (all weights and activations at the ends of their ranges)
// where an int16 intermediate could saturate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/half.h"
#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512,
                                 SimdLevel::AVX512_VNNI, SimdLevel::NEON};
constexpr DType kTypes[] = {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1,
                            DType::Q5_0, DType::Q5_1, DType::Q8_0};
constexpr double kRelTol = 1e-5;  // of sum |terms|, level vs scalar and scalar vs double
constexpr float kSentinel = -12345.678f;

struct Rng {  // splitmix64
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
    }
    uint8_t byte() { return static_cast<uint8_t>(next() >> 56); }
};

std::vector<SimdLevel> simd_levels() {  // supported levels other than scalar
    std::vector<SimdLevel> v;
    for (SimdLevel l : kLevels)
        if (l != SimdLevel::Scalar && simd_supported(l)) v.push_back(l);
    return v;
}

bool is_float_type(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

size_t row_bytes(DType t, int64_t n) {
    const auto& info = dtype_info(t);
    return static_cast<size_t>(n / info.block_elems) * info.block_bytes;
}

uint16_t rd16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// ---- test-side decoding (written from the block layouts, not from the engine) ----------

std::vector<double> decode_weights(DType t, const uint8_t* row, int64_t n) {
    std::vector<double> out(static_cast<size_t>(n));
    if (t == DType::F32) {
        for (int64_t i = 0; i < n; ++i) {
            float f;
            std::memcpy(&f, row + 4 * i, 4);
            out[i] = f;
        }
        return out;
    }
    if (t == DType::F16 || t == DType::BF16) {
        for (int64_t i = 0; i < n; ++i)
            out[i] = t == DType::F16 ? f16_to_f32(rd16(row + 2 * i)) : bf16_to_f32(rd16(row + 2 * i));
        return out;
    }
    const size_t bb = dtype_info(t).block_bytes;
    for (int64_t b = 0; b < n / 32; ++b) {
        const uint8_t* p = row + b * bb;
        const double d = f16_to_f32(rd16(p));
        double* o = out.data() + b * 32;
        if (t == DType::Q8_0) {
            for (int j = 0; j < 32; ++j) o[j] = d * static_cast<int8_t>(p[2 + j]);
            continue;
        }
        const bool has_min = t == DType::Q4_1 || t == DType::Q5_1;
        const bool five = t == DType::Q5_0 || t == DType::Q5_1;
        const double m = has_min ? f16_to_f32(rd16(p + 2)) : 0.0;
        const int hdr = 2 + (has_min ? 2 : 0);
        uint32_t qh = 0;
        if (five) std::memcpy(&qh, p + hdr, 4);
        const uint8_t* qs = p + hdr + (five ? 4 : 0);
        const int offset = has_min ? 0 : (five ? 16 : 8);
        for (int j = 0; j < 32; ++j) {
            int q = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
            if (five) q |= static_cast<int>((qh >> j) & 1) << 4;
            o[j] = d * (q - offset) + m;
        }
    }
    return out;
}

// Activations as the kernels see them: floats, or d * q of each Q8A block.
std::vector<double> decode_acts(ActFormat fmt, const uint8_t* row, int64_t n) {
    std::vector<double> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        if (fmt == ActFormat::F32) {
            float f;
            std::memcpy(&f, row + 4 * i, 4);
            out[i] = f;
        } else {
            BlockQ8A b;
            std::memcpy(&b, row + (i / 32) * sizeof(BlockQ8A), sizeof b);
            out[i] = static_cast<double>(b.d) * b.qs[i % 32];
        }
    }
    return out;
}

// ---- random weights and activations ------------------------------------------------------

enum class Fill { Random, Extreme };

float random_scale(Rng& rng) {  // a normal f16 of either sign
    const float mag = rng.uniform(0.002f, 0.05f);
    return rng.next() & 1 ? -mag : mag;
}

// Fills one row of n values of type t at p.
void fill_row(DType t, uint8_t* p, int64_t n, Rng& rng, Fill fill) {
    if (is_float_type(t)) {
        for (int64_t i = 0; i < n; ++i) {
            const float v = fill == Fill::Extreme ? (rng.next() & 1 ? 1.0f : -1.0f) : rng.uniform(-1.0f, 1.0f);
            if (t == DType::F32) std::memcpy(p + 4 * i, &v, 4);
            const uint16_t h = t == DType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
            if (t != DType::F32) std::memcpy(p + 2 * i, &h, 2);
        }
        return;
    }
    const size_t bb = dtype_info(t).block_bytes;
    static const uint8_t kEnds[] = {0x00, 0xff, 0x0f, 0xf0, 0x80, 0x7f, 0x81};
    for (int64_t b = 0; b < n / 32; ++b) {
        uint8_t* q = p + b * bb;
        // Extreme blocks take one byte value for all their quants, so every weight
        // sits at the same end of its range (Q8_0: -128, 127, -127, ...).
        const uint8_t e = kEnds[rng.next() % std::size(kEnds)];
        for (size_t k = 0; k < bb; ++k) q[k] = fill == Fill::Extreme ? e : rng.byte();
        const uint16_t d = f32_to_f16(random_scale(rng));
        std::memcpy(q, &d, 2);
        if (t == DType::Q4_1 || t == DType::Q5_1) {
            const uint16_t m = f32_to_f16(random_scale(rng) * 4);
            std::memcpy(q + 2, &m, 2);
        }
    }
}

std::vector<float> random_acts(int64_t n, Rng& rng, Fill fill) {
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) {
        if (fill == Fill::Extreme) v = rng.next() & 1 ? 2.0f : -2.0f;  // q = +-127 everywhere
        else v = rng.uniform(-1.0f, 1.0f) * (rng.next() % 8 == 0 ? 4.0f : 1.0f);
    }
    return x;
}

// ---- one matrix product setup ----------------------------------------------------------------

struct Problem {
    DType type;
    int64_t n, rows, tok;
    size_t w_stride, a_stride;
    int64_t y_stride;
    std::vector<uint8_t> w;  // rows * w_stride bytes, rows starting at w_off
    std::vector<uint8_t> a;  // tok * a_stride bytes, rows starting at a_off
    size_t w_off, a_off;
    std::vector<double> truth, abs_sum;  // [t * rows + r]

    const uint8_t* wp() const { return w.data() + w_off; }
    const uint8_t* ap() const { return a.data() + a_off; }
};

// Builds a problem with weights and activations (quantized by the scalar table) and its
// double-precision truth. `pad` > 0 makes every stride larger than a row and the rows
// unaligned.
Problem make_problem(DType type, int64_t n, int64_t rows, int64_t tok, int pad, Fill fill, uint64_t seed) {
    Rng rng{seed};
    Problem p;
    p.type = type;
    p.n = n;
    p.rows = rows;
    p.tok = tok;
    const ActFormat fmt = act_format(type);
    p.w_stride = row_bytes(type, n) + static_cast<size_t>(pad ? 2 * pad + 1 : 0);
    p.a_stride = act_row_bytes(fmt, n) + static_cast<size_t>(pad ? 4 * pad + 4 : 0);
    p.y_stride = rows + (pad ? 3 : 0);
    p.w_off = pad ? 3 : 0;
    p.a_off = pad ? 5 : 0;
    if (fmt == ActFormat::F32 && pad) p.a_off = 4;  // floats stay float-aligned for the caller's sake
    p.w.assign(p.w_off + static_cast<size_t>(rows) * p.w_stride, 0xcd);
    p.a.assign(p.a_off + static_cast<size_t>(tok) * p.a_stride, 0xcd);
    for (int64_t r = 0; r < rows; ++r) fill_row(type, p.w.data() + p.w_off + r * p.w_stride, n, rng, fill);
    const QuantizeActFn quantize = kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(fmt)];
    for (int64_t t = 0; t < tok; ++t) {
        const auto x = random_acts(n, rng, fill);
        quantize(x.data(), p.a.data() + p.a_off + t * p.a_stride, n);
    }
    std::vector<std::vector<double>> wd(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) wd[r] = decode_weights(type, p.wp() + r * p.w_stride, n);
    p.truth.assign(static_cast<size_t>(rows * tok), 0.0);
    p.abs_sum.assign(static_cast<size_t>(rows * tok), 0.0);
    for (int64_t t = 0; t < tok; ++t) {
        const auto ad = decode_acts(fmt, p.ap() + t * p.a_stride, n);
        for (int64_t r = 0; r < rows; ++r) {
            double s = 0, as = 0;
            for (int64_t i = 0; i < n; ++i) {
                s += wd[r][i] * ad[i];
                as += std::fabs(wd[r][i] * ad[i]);
            }
            p.truth[t * rows + r] = s;
            p.abs_sum[t * rows + r] = as;
        }
    }
    return p;
}

// Runs the level's kernel; checks the guard cells and returns y as [t * rows + r].
std::vector<float> run(const Problem& p, SimdLevel level) {
    const GemmFn gemm = kernels(level).gemm_for(p.type);
    std::vector<float> y(static_cast<size_t>(p.tok * p.y_stride + 16), kSentinel);
    gemm(p.n, p.wp(), p.w_stride, p.rows, p.ap(), p.a_stride, p.tok, y.data(), p.y_stride);
    std::vector<float> out(static_cast<size_t>(p.rows * p.tok));
    int bad_guards = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        const int64_t t = static_cast<int64_t>(i) / p.y_stride, r = static_cast<int64_t>(i) % p.y_stride;
        if (t < p.tok && r < p.rows) out[t * p.rows + r] = y[i];
        else if (y[i] != kSentinel && std::memcmp(&y[i], &kSentinel, 4) != 0) ++bad_guards;
    }
    EXPECT_EQ(bad_guards, 0) << "cells outside the output were written";
    return out;
}

std::string describe(const Problem& p, SimdLevel level) {
    return std::string(simd_name(level)) + " " + std::string(dtype_name(p.type)) + " n=" + std::to_string(p.n) +
           " rows=" + std::to_string(p.rows) + " tok=" + std::to_string(p.tok) +
           " y_stride=" + std::to_string(p.y_stride);
}

// Compares y against ref within tol * abs_sum; returns the worst |diff| / abs_sum.
double compare(const Problem& p, const std::vector<float>& y, const std::vector<double>& ref, double tol,
               const std::string& what) {
    double worst = 0;
    int failures = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        const double diff = std::fabs(static_cast<double>(y[i]) - ref[i]);
        const double rel = p.abs_sum[i] > 0 ? diff / p.abs_sum[i] : diff;
        worst = std::max(worst, rel);
        if (!(rel <= tol) && failures++ < 5)
            ADD_FAILURE() << what << ": t=" << i / static_cast<size_t>(p.rows) << " r=" << i % static_cast<size_t>(p.rows)
                          << " got " << y[i] << " want " << ref[i] << " (|diff| / sum|terms| = " << rel << ")";
    }
    return worst;
}

struct Shape {
    int64_t n, rows, tok;
};

std::vector<Shape> shapes() {
    std::vector<Shape> v;
    for (int64_t n : {32, 64, 96, 160, 4096, 4864, 8960})
        for (int64_t rows : {1, 3, 7, 64})
            for (int64_t tok : {1, 2, 5, 16, 33}) v.push_back({n, rows, tok});
    // Larger products for the blocked paths: many rows and tokens, ragged edges.
    v.push_back({1024, 300, 40});
    v.push_back({4000, 37, 100});
    v.push_back({2048, 129, 64});
    v.push_back({8960, 7, 400});  // more tokens than one token chunk of the packed paths
    v.push_back({256, 5, 12});    // between the dot-product and packed paths' thresholds
    v.push_back({0, 5, 20});      // nothing to sum: zeros
    return v;
}

// ---- tests ------------------------------------------------------------------------------------

TEST(KernelsLegacy, EveryTypeHasKernelsAtEveryLevel) {
    for (SimdLevel level : kLevels) {
        if (!simd_supported(level)) continue;
        const KernelTable& k = kernels(level);
        for (DType t : kTypes) EXPECT_NE(k.gemm[static_cast<size_t>(t)], nullptr) << dtype_name(t);
        EXPECT_NE(k.quantize_act[static_cast<size_t>(ActFormat::Q8A)], nullptr);
        EXPECT_NE(k.quantize_act[static_cast<size_t>(ActFormat::F32)], nullptr);
    }
}

// The scalar quantizer against its definition, with exact ties (x / d = k + 0.5).
TEST(KernelsLegacy, Q8AQuantizerFollowsDefinition) {
    const QuantizeActFn quantize = kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(ActFormat::Q8A)];
    Rng rng{7};
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<float> x(32);
        if (trial % 4 == 0) {
            // amax 127 -> d = 1: values k + 0.5 are exact ties.
            for (int j = 0; j < 32; ++j)
                x[j] = static_cast<float>(static_cast<int>(rng.next() % 254) - 127) + 0.5f;
            x[rng.next() % 32] = rng.next() & 1 ? 127.0f : -127.0f;
        } else if (trial == 1) {
            std::fill(x.begin(), x.end(), 0.0f);
        } else {
            const float scale = std::ldexp(1.0f, static_cast<int>(rng.next() % 40) - 20);
            for (auto& v : x) v = rng.uniform(-1.0f, 1.0f) * scale;
        }
        BlockQ8A b;
        quantize(x.data(), reinterpret_cast<uint8_t*>(&b), 32);
        float amax = 0;
        for (float v : x) amax = std::max(amax, std::fabs(v));
        const float d = amax / 127.0f;
        ASSERT_EQ(b.d, d);
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            const int want = d == 0 ? 0 : static_cast<int>(std::round(x[j] / d));
            ASSERT_EQ(b.qs[j], want) << "x=" << x[j] << " d=" << d;
            sum += want;
        }
        ASSERT_EQ(b.s, d * static_cast<float>(sum));
    }
}

TEST(KernelsLegacy, QuantizersBitExactAcrossLevels) {
    Rng rng{11};
    for (SimdLevel level : simd_levels()) {
        for (ActFormat fmt : {ActFormat::Q8A, ActFormat::F32}) {
            const QuantizeActFn ref = kernels(SimdLevel::Scalar).quantize_act[static_cast<size_t>(fmt)];
            const QuantizeActFn got = kernels(level).quantize_act[static_cast<size_t>(fmt)];
            for (int64_t n : {32, 64, 96, 128, 160, 4096, 4864, 8960}) {
                for (int mode = 0; mode < 5; ++mode) {
                    std::vector<float> x(static_cast<size_t>(n) + 1);
                    float* xp = x.data() + (mode & 1);  // unaligned input too
                    for (int64_t i = 0; i < n; ++i) {
                        switch (mode) {
                            case 0: xp[i] = rng.uniform(-1, 1); break;
                            case 1: xp[i] = rng.uniform(-1, 1) * std::ldexp(1.0f, static_cast<int>(i % 60) - 30); break;
                            case 2:  // ties: amax 127 in every block, values k + 0.5
                                xp[i] = i % 32 == 5 ? 127.0f
                                                    : static_cast<float>(static_cast<int>(rng.next() % 254) - 127) + 0.5f;
                                break;
                            case 3: xp[i] = (i / 32) % 3 == 0 ? 0.0f : (rng.next() & 1 ? -0.0f : 1e-40f); break;
                            default: xp[i] = static_cast<float>(static_cast<int>(rng.next() % 255) - 127); break;
                        }
                    }
                    const size_t bytes = act_row_bytes(fmt, n);
                    std::vector<uint8_t> want(bytes + 8, 0xab), have(bytes + 8, 0xab);
                    ref(xp, want.data() + 3, n);
                    got(xp, have.data() + 3, n);
                    ASSERT_EQ(std::memcmp(want.data(), have.data(), want.size()), 0)
                        << simd_name(level) << " fmt=" << static_cast<int>(fmt) << " n=" << n << " mode=" << mode;
                }
            }
        }
    }
}

TEST(KernelsLegacy, TestDecoderMatchesReference) {
    Rng rng{3};
    for (DType t : kTypes) {
        if (!dtype_has_reference(t)) continue;
        const int64_t n = 256;
        std::vector<uint8_t> row(row_bytes(t, n));
        fill_row(t, row.data(), n, rng, Fill::Random);
        std::vector<float> ref(static_cast<size_t>(n));
        dequantize_row_ref(t, row.data(), ref.data(), n);
        const auto mine = decode_weights(t, row.data(), n);
        for (int64_t i = 0; i < n; ++i)  // the reference computes d * q + m in float
            ASSERT_NEAR(ref[i], mine[i], std::fabs(mine[i]) * 1e-6 + 1e-9) << dtype_name(t) << " i=" << i;
    }
}

TEST(KernelsLegacy, ScalarMatchesDoublePrecision) {
    uint64_t seed = 100;
    double worst = 0;
    for (DType type : kTypes)
        for (const Shape& s : shapes()) {
            if (s.rows * s.tok * s.n > 4'000'000) continue;  // the biggest add nothing here
            for (Fill fill : {Fill::Random, Fill::Extreme}) {
                const Problem p = make_problem(type, s.n, s.rows, s.tok, static_cast<int>(seed % 2), fill, seed);
                ++seed;
                const auto y = run(p, SimdLevel::Scalar);
                worst = std::max(worst, compare(p, y, p.truth, kRelTol, describe(p, SimdLevel::Scalar)));
                if (HasFailure()) return;
            }
        }
    std::printf("scalar vs double: worst |diff| / sum|terms| = %.3g\n", worst);
}

TEST(KernelsLegacy, EveryLevelMatchesScalar) {
    const auto levels = simd_levels();
    if (levels.empty()) GTEST_SKIP() << "no SIMD level on this machine";
    uint64_t seed = 1000;
    std::vector<double> worst(levels.size(), 0.0);
    for (DType type : kTypes)
        for (const Shape& s : shapes())
            for (Fill fill : {Fill::Random, Fill::Extreme}) {
                if (fill == Fill::Extreme && s.n > 4096) continue;
                const Problem p = make_problem(type, s.n, s.rows, s.tok, static_cast<int>(seed % 3), fill, seed);
                ++seed;
                const auto ref = run(p, SimdLevel::Scalar);
                const std::vector<double> refd(ref.begin(), ref.end());
                for (size_t li = 0; li < levels.size(); ++li) {
                    const auto y = run(p, levels[li]);
                    worst[li] = std::max(worst[li], compare(p, y, refd, kRelTol, describe(p, levels[li])));
                    if (HasFailure()) return;
                }
            }
    for (size_t li = 0; li < levels.size(); ++li)
        std::printf("%s vs scalar: worst |diff| / sum|terms| = %.3g\n", std::string(simd_name(levels[li])).c_str(),
                    worst[li]);
}

}  // namespace
}  // namespace pareto

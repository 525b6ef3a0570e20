// FloatKernels of every SIMD level this machine and build support, against the
// scalar table and against double-precision truth:
//   - scale, add, mul and max must equal the scalar results bit for bit;
//   - axpy, dot and sum_squares on small integers are exact in any order, so they
//     too must equal the scalar results bit for bit;
//   - on random floats, dot and sum_squares stay within the worst-case bound of
//     blocked float summation, (n/8 + 16) u sum|terms| (u = 2^-24), which covers
//     any number of partial accumulators up to 64 — a dropped or doubled element
//     is far larger;
//   - exp-based ops within 8 ulp of the true value; exp_sum's results below the
//     normal range (< 2^-126) and swiglu's below 1e-30 in magnitude may be zero
//     (an exp that saturates a little early is harmless there).
// Every op reads and writes only its n elements (guard cells around the buffers),
// at every length around the vector widths and at misaligned addresses.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tensor/kernels.h"

namespace pareto {
namespace {

// The levels this architecture has code for; those the CPU lacks skip at run time.
constexpr SimdLevel kLevels[] = {
    SimdLevel::Scalar,
#if defined(__x86_64__) || defined(_M_X64)
    SimdLevel::AVX2, SimdLevel::AVX512, SimdLevel::AVX512_VNNI,
#elif defined(__aarch64__)
    SimdLevel::NEON,
#endif
};
constexpr int64_t kSizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65,
                              100, 127, 128, 129, 255, 256, 257, 1000, 1024, 4096, 4099};
constexpr int kGuard = 19;                     // cells on each side of a buffer
constexpr float kSentinel = -12345.678f;
constexpr double kU = 1.0 / (1 << 24);         // unit roundoff of float
constexpr double kUlp = 2.0 * kU;              // FLT_EPSILON

// splitmix64: the same numbers on every platform.
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) {  // 24 random bits
        return lo + (hi - lo) * static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
    }
    float integer(int lo, int hi) {
        return static_cast<float>(lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)));
    }
};

// A vector with guard cells on both sides, its data starting `offset` floats past
// an aligned boundary.
class Buf {
public:
    Buf(int64_t n, int offset) : n_(n), offset_(offset), mem_(static_cast<size_t>(n + 2 * kGuard + 16), kSentinel) {}
    float* data() { return mem_.data() + start(); }
    const float* data() const { return mem_.data() + start(); }
    float& operator[](int64_t i) { return data()[i]; }
    float operator[](int64_t i) const { return data()[i]; }
    int64_t size() const { return n_; }
    bool guards_intact() const {
        for (int64_t i = 0; i < static_cast<int64_t>(mem_.size()); ++i)
            if ((i < start() || i >= start() + n_) && std::memcmp(&mem_[static_cast<size_t>(i)], &kSentinel, 4) != 0)
                return false;
        return true;
    }

private:
    int64_t start() const {
        const auto addr = reinterpret_cast<uintptr_t>(mem_.data() + kGuard);
        const int64_t to_align = static_cast<int64_t>((64 - addr % 64) % 64) / 4;
        return kGuard + to_align + offset_;
    }
    int64_t n_;
    int offset_;
    std::vector<float> mem_;
};

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string where(int64_t n, int offset, int64_t i = -1) {
    std::string s = "n=" + std::to_string(n) + " offset=" + std::to_string(offset);
    if (i >= 0) s += " i=" + std::to_string(i);
    return s;
}

class FloatKernelsTest : public ::testing::TestWithParam<SimdLevel> {
protected:
    void SetUp() override {
        if (!simd_supported(GetParam()))
            GTEST_SKIP() << simd_name(GetParam()) << " is not supported by this CPU or build";
        k_ = &kernels(GetParam()).f;
        ref_ = &kernels(SimdLevel::Scalar).f;
    }
    const FloatKernels* k_ = nullptr;
    const FloatKernels* ref_ = nullptr;
};

TEST_P(FloatKernelsTest, TableIsComplete) {
    EXPECT_EQ(kernels(GetParam()).level, GetParam());
    EXPECT_TRUE(k_->dot && k_->axpy && k_->scale && k_->add && k_->sum_squares && k_->mul && k_->swiglu &&
                k_->max && k_->exp_sum && k_->rope_pairs && k_->rope_halves);
}

TEST_P(FloatKernelsTest, ElementwiseOpsMatchScalarExactly) {
    Rng rng{1};
    for (int64_t n : kSizes)
        for (int off : {0, 1, 3}) {
            Buf x(n, off), w(n, (off + 1) % 4), y(n, off), y_ref(n, off), out(n, (off + 2) % 4), out_ref(n, 0);
            for (int64_t i = 0; i < n; ++i) {
                x[i] = rng.uniform(-4.0f, 4.0f);
                w[i] = rng.uniform(-2.0f, 2.0f);
                y[i] = y_ref[i] = rng.uniform(-10.0f, 10.0f);
            }
            const float alpha = rng.uniform(-3.0f, 3.0f);

            k_->scale(alpha, y.data(), n);
            ref_->scale(alpha, y_ref.data(), n);
            for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(y[i], y_ref[i])) << "scale " << where(n, off, i);

            k_->add(x.data(), y.data(), n);
            ref_->add(x.data(), y_ref.data(), n);
            for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(y[i], y_ref[i])) << "add " << where(n, off, i);

            k_->mul(x.data(), w.data(), alpha, out.data(), n);
            ref_->mul(x.data(), w.data(), alpha, out_ref.data(), n);
            for (int64_t i = 0; i < n; ++i)
                ASSERT_TRUE(same_bits(out[i], out_ref[i])) << "mul " << where(n, off, i);

            EXPECT_TRUE(x.guards_intact() && w.guards_intact()) << "inputs written " << where(n, off);
            EXPECT_TRUE(y.guards_intact() && out.guards_intact()) << "wrote outside the output " << where(n, off);
        }
}

TEST_P(FloatKernelsTest, MaxMatchesScalarExactly) {
    Rng rng{2};
    for (int64_t n : kSizes)
        for (int off : {0, 1, 2}) {
            Buf x(n, off);
            for (int64_t i = 0; i < n; ++i) x[i] = rng.uniform(-1000.0f, -1.0f);  // all negative
            EXPECT_TRUE(same_bits(k_->max(x.data(), n), ref_->max(x.data(), n))) << where(n, off);
            // The largest element at each position in turn (first, a middle one, the tail).
            for (int64_t pos : {int64_t{0}, n / 2, n - 1}) {
                const float saved = x[pos];
                x[pos] = 3.5f;
                EXPECT_EQ(k_->max(x.data(), n), 3.5f) << where(n, off, pos);
                x[pos] = saved;
            }
            EXPECT_TRUE(x.guards_intact());
        }
}

TEST_P(FloatKernelsTest, SumsOfSmallIntegersAreExact) {
    Rng rng{3};
    for (int64_t n : kSizes)
        for (int off : {0, 1}) {
            Buf a(n, off), b(n, (off + 1) % 4), y(n, off), y_ref(n, off);
            for (int64_t i = 0; i < n; ++i) {
                a[i] = rng.integer(-8, 8);
                b[i] = rng.integer(-8, 8);
                y[i] = y_ref[i] = rng.integer(-100, 100);
            }
            // |sum| <= 64 n < 2^24: every partial sum is exact in float.
            EXPECT_TRUE(same_bits(k_->dot(a.data(), b.data(), n), ref_->dot(a.data(), b.data(), n))) << where(n, off);
            EXPECT_TRUE(same_bits(k_->sum_squares(a.data(), n), ref_->sum_squares(a.data(), n))) << where(n, off);
            double truth = 0.0;
            for (int64_t i = 0; i < n; ++i) truth += static_cast<double>(a[i]) * b[i];
            EXPECT_EQ(static_cast<double>(k_->dot(a.data(), b.data(), n)), truth) << where(n, off);

            k_->axpy(-3.0f, a.data(), y.data(), n);
            ref_->axpy(-3.0f, a.data(), y_ref.data(), n);
            for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(y[i], y_ref[i])) << "axpy " << where(n, off, i);
            EXPECT_TRUE(y.guards_intact() && a.guards_intact() && b.guards_intact()) << where(n, off);
        }
}

TEST_P(FloatKernelsTest, DotAndSumSquaresWithinSummationBound) {
    Rng rng{4};
    for (int64_t n : kSizes)
        for (int off : {0, 1}) {
            Buf a(n, off), b(n, (off + 3) % 4);
            for (int64_t i = 0; i < n; ++i) {
                a[i] = rng.uniform(-1.0f, 1.0f);
                b[i] = rng.uniform(-3.0f, 3.0f);
            }
            double dot = 0.0, dot_abs = 0.0, ss = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                dot += static_cast<double>(a[i]) * b[i];
                dot_abs += std::fabs(static_cast<double>(a[i]) * b[i]);
                ss += static_cast<double>(a[i]) * a[i];
            }
            const double gamma = (static_cast<double>(n) / 8.0 + 16.0) * kU;
            EXPECT_NEAR(k_->dot(a.data(), b.data(), n), dot, gamma * dot_abs) << where(n, off);
            EXPECT_NEAR(k_->sum_squares(a.data(), n), ss, gamma * ss) << where(n, off);
        }
}

TEST_P(FloatKernelsTest, AxpyWithinOneRounding) {
    Rng rng{5};
    for (int64_t n : kSizes) {
        Buf x(n, 1), y(n, 2), y0(n, 0);
        for (int64_t i = 0; i < n; ++i) {
            x[i] = rng.uniform(-5.0f, 5.0f);
            y[i] = y0[i] = rng.uniform(-5.0f, 5.0f);
        }
        const float alpha = 0.37f;
        k_->axpy(alpha, x.data(), y.data(), n);
        for (int64_t i = 0; i < n; ++i) {
            const double prod = static_cast<double>(alpha) * x[i];
            const double truth = y0[i] + prod;
            // Fused: one rounding of the result; unfused: one of the product, one of the sum.
            ASSERT_NEAR(y[i], truth, kU * (std::fabs(prod) + std::fabs(truth)) * 1.0001) << where(n, 1, i);
        }
        EXPECT_TRUE(y.guards_intact() && x.guards_intact());
    }
}

double silu_mul(double g, double u) { return g / (1.0 + std::exp(-g)) * u; }
constexpr double kTinySilu = 1e-30;

TEST_P(FloatKernelsTest, SwigluWithin8Ulp) {
    Rng rng{6};
    for (int64_t n : kSizes)
        for (int off : {0, 1}) {
            Buf g(n, off), u(n, 0), out(n, (off + 1) % 4);
            for (int64_t i = 0; i < n; ++i) {
                g[i] = rng.uniform(-12.0f, 12.0f);
                u[i] = rng.uniform(-2.0f, 2.0f);
            }
            k_->swiglu(g.data(), u.data(), out.data(), n);
            for (int64_t i = 0; i < n; ++i) {
                const double truth = silu_mul(g[i], u[i]);
                ASSERT_NEAR(out[i], truth, 8 * kUlp * std::fabs(truth) + kTinySilu)
                    << "g=" << g[i] << " u=" << u[i] << " " << where(n, off, i);
            }
            EXPECT_TRUE(out.guards_intact() && g.guards_intact() && u.guards_intact()) << where(n, off);
        }
}

TEST_P(FloatKernelsTest, SwigluAtTheEdgesOfExp) {
    // Gates where exp(-g) overflows, underflows or is subnormal; zeros; tiny values.
    const std::vector<float> gates = {-200.0f, -104.5f, -100.0f, -89.0f, -88.8f, -88.7f, -88.0f, -87.4f,
                                      -87.2f, -50.0f, -1e-3f, -1e-30f, -0.0f, 0.0f, 1e-30f, 1e-3f, 0.5f,
                                      30.0f, 87.2f, 87.4f, 88.7f, 89.0f, 100.0f, 104.5f, 200.0f};
    const auto n = static_cast<int64_t>(gates.size());
    Buf g(n, 0), u(n, 0), out(n, 0);
    for (int64_t i = 0; i < n; ++i) {
        g[i] = gates[static_cast<size_t>(i)];
        u[i] = 1.5f;
    }
    k_->swiglu(g.data(), u.data(), out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
        const double truth = silu_mul(g[i], u[i]);
        EXPECT_FALSE(std::isnan(out[i])) << "g=" << g[i];
        EXPECT_NEAR(out[i], truth, 8 * kUlp * std::fabs(truth) + kTinySilu) << "g=" << g[i];
    }
}

TEST_P(FloatKernelsTest, ExpSumWithin8UlpPerElement) {
    Rng rng{7};
    for (int64_t n : kSizes)
        for (int off : {0, 1}) {
            Buf x(n, off), x0(n, 0);
            for (int64_t i = 0; i < n; ++i) x[i] = x0[i] = rng.uniform(-25.0f, 5.0f);
            // Softmax-like: the shift is the maximum, plus a few far-below-range values.
            if (n > 3) x[1] = x0[1] = -150.0f, x[n - 2] = x0[n - 2] = -95.0f;
            const float shift = ref_->max(x0.data(), n);
            const float sum = k_->exp_sum(x.data(), shift, n);
            double total = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                // The difference is rounded to float first, by contract (as the scalar op does).
                const double truth = std::exp(static_cast<double>(x0[i] - shift));
                total += truth;
                ASSERT_NEAR(x[i], truth, 8 * kUlp * truth + 2 * FLT_MIN) << "x=" << x0[i] << " " << where(n, off, i);
            }
            const double gamma = (static_cast<double>(n) / 8.0 + 16.0) * kU + 8 * kUlp;
            EXPECT_NEAR(sum, total, gamma * total) << where(n, off);
            EXPECT_TRUE(x.guards_intact()) << where(n, off);
        }
}

TEST_P(FloatKernelsTest, ExpSumOfEqualValuesIsExact) {
    // exp(0) must be exactly 1 (softmax of equal logits is uniform).
    for (int64_t n : kSizes) {
        Buf x(n, 1);
        for (int64_t i = 0; i < n; ++i) x[i] = 2.25f;
        EXPECT_EQ(k_->exp_sum(x.data(), 2.25f, n), static_cast<float>(n)) << where(n, 1);
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[i], 1.0f) << where(n, 1, i);
    }
}

// RoPE rotates each pair by its angle: within one rounding of each product and of
// the sum (2u (|x0 c| + |x1 s|)), fused or not; nothing outside the head is written.
TEST_P(FloatKernelsTest, RopeWithinOneRoundingPerProduct) {
    Rng rng{8};
    for (int64_t half : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 32, 33, 64, 100}) {
        for (int neox = 0; neox < 2; ++neox) {
            Buf v(2 * half, 1), v0(2 * half, 0), cs(half, 2), sn(half, 3);
            for (int64_t i = 0; i < 2 * half; ++i) v[i] = v0[i] = rng.uniform(-3.0f, 3.0f);
            for (int64_t i = 0; i < half; ++i) {
                const double angle = rng.uniform(-10.0f, 10.0f);
                cs[i] = static_cast<float>(std::cos(angle));
                sn[i] = static_cast<float>(std::sin(angle));
            }
            (neox ? k_->rope_halves : k_->rope_pairs)(v.data(), cs.data(), sn.data(), half);
            for (int64_t i = 0; i < half; ++i) {
                const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                const double x0 = v0[a], x1 = v0[b], c = cs[i], s = sn[i];
                const double tol0 = kUlp * (std::fabs(x0 * c) + std::fabs(x1 * s));
                const double tol1 = kUlp * (std::fabs(x0 * s) + std::fabs(x1 * c));
                ASSERT_NEAR(v[a], x0 * c - x1 * s, tol0) << (neox ? "halves " : "pairs ") << "half=" << half << " i=" << i;
                ASSERT_NEAR(v[b], x0 * s + x1 * c, tol1) << (neox ? "halves " : "pairs ") << "half=" << half << " i=" << i;
            }
            EXPECT_TRUE(v.guards_intact() && cs.guards_intact() && sn.guards_intact()) << "half=" << half;
        }
    }
}

TEST_P(FloatKernelsTest, RopeByQuarterTurnsIsExact) {
    // cos/sin in {0, 1, -1}: every product and sum is exact, so every level agrees bitwise.
    for (int64_t half : {1, 4, 7, 16, 33}) {
        for (int neox = 0; neox < 2; ++neox) {
            Buf v(2 * half, 0), r(2 * half, 0), cs(half, 1), sn(half, 1);
            for (int64_t i = 0; i < 2 * half; ++i) v[i] = r[i] = static_cast<float>(i) * 0.75f - 3.0f;
            for (int64_t i = 0; i < half; ++i) {
                static const float kC[4] = {1, 0, -1, 0}, kS[4] = {0, 1, 0, -1};
                cs[i] = kC[i % 4];
                sn[i] = kS[i % 4];
            }
            (neox ? k_->rope_halves : k_->rope_pairs)(v.data(), cs.data(), sn.data(), half);
            (neox ? ref_->rope_halves : ref_->rope_pairs)(r.data(), cs.data(), sn.data(), half);
            for (int64_t i = 0; i < 2 * half; ++i)
                ASSERT_TRUE(same_bits(v[i], r[i])) << (neox ? "halves " : "pairs ") << "half=" << half << " i=" << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Levels, FloatKernelsTest, ::testing::ValuesIn(kLevels),
                         [](const ::testing::TestParamInfo<SimdLevel>& p) {
                             return std::string(simd_name(p.param));
                         });

TEST(FloatKernels, ChosenLevelIsSupported) {
    // kernels() follows PARETO_SIMD or picks the best level; either way a supported one.
    EXPECT_TRUE(simd_supported(kernels().level)) << simd_name(kernels().level);
    EXPECT_TRUE(simd_supported(SimdLevel::Scalar));
    EXPECT_TRUE(simd_supported(simd_best()));
}

}  // namespace
}  // namespace pareto

// The tensor type table (GGUF ids, names, block layouts) and the f16 / bf16
// conversions. f16 is checked against the compiler's _Float16 where it exists and
// against an independent rounding reference always; bf16 against that reference.
#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/half.h"
#include "util/error.h"

namespace pareto {
namespace {

// ---- the type table ----------------------------------------------------------------

struct Expected {
    uint32_t id;
    const char* name;
    uint32_t block_elems;
    uint32_t block_bytes;
};

// Written out from the GGUF specification's block layouts, independently of dtype.cpp:
// e.g. Q4_0 = f16 scale + 32 nibbles = 2 + 16; Q4_K = 2 f16 + 12 scale bytes + 128
// nibble bytes per 256; Q8_K = f32 + 256 int8 + 16 int16 sums.
constexpr Expected kExpected[] = {
    {0, "F32", 1, 4},         {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},      {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},      {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},    {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},   {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},   {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82},   {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
    {26, "I32", 1, 4},        {27, "I64", 1, 8},        {28, "F64", 1, 8},        {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},   {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},
};

const Expected* expected_for(uint32_t id) {
    for (const auto& e : kExpected)
        if (e.id == id) return &e;
    return nullptr;
}

TEST(DType, TableMatchesTheSpecificationForEveryId) {
    size_t known = 0;
    for (uint32_t id = 0; id < 256; ++id) {
        const auto info = dtype_info(id);
        const Expected* want = expected_for(id);
        if (!want) {
            EXPECT_FALSE(info.has_value()) << "id " << id << " is not a GGUF type (or was retired)";
            continue;
        }
        ++known;
        ASSERT_TRUE(info.has_value()) << want->name;
        EXPECT_EQ(static_cast<uint32_t>(info->type), id);
        EXPECT_EQ(info->name, want->name);
        EXPECT_EQ(info->block_elems, want->block_elems) << want->name;
        EXPECT_EQ(info->block_bytes, want->block_bytes) << want->name;
        // The enum overload agrees with the id overload.
        const DTypeInfo& by_enum = dtype_info(info->type);
        EXPECT_EQ(by_enum.name, want->name);
        EXPECT_EQ(dtype_name(info->type), want->name);
    }
    EXPECT_EQ(known, std::size(kExpected));
    EXPECT_FALSE(dtype_info(0xffffffffu).has_value());
}

TEST(DType, RetiredIdsAreRefused) {
    for (const uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u}) EXPECT_FALSE(dtype_info(id).has_value()) << id;
}

TEST(DType, EnumValuesOutsideTheTableThrow) {
    try {
        dtype_info(static_cast<DType>(4));
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown tensor type id 4"), std::string::npos) << e.what();
    }
    EXPECT_THROW(dtype_name(static_cast<DType>(1000)), Error);
    EXPECT_THROW(dtype_row_bytes(static_cast<DType>(1000), 32), Error);
}

TEST(DType, NamesAreCaseInsensitive) {
    for (const auto& e : kExpected) {
        const std::string name = e.name;
        std::string lower = name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string mixed = lower;
        mixed[0] = name[0];
        for (const std::string& s : {name, lower, mixed}) {
            const auto t = dtype_from_name(s);
            ASSERT_TRUE(t.has_value()) << s;
            EXPECT_EQ(static_cast<uint32_t>(*t), e.id) << s;
        }
    }
    EXPECT_EQ(dtype_from_name("bf16"), DType::BF16);
    EXPECT_EQ(dtype_from_name("q4_k"), DType::Q4_K);
    EXPECT_EQ(dtype_from_name("Iq2_Xxs"), DType::IQ2_XXS);
    for (const char* bad : {"", "F", "F322", "Q4", "Q4_K_M", "q4-k", " F32", "F32 ", "FP16", "Q4_2"})
        EXPECT_FALSE(dtype_from_name(bad).has_value()) << '"' << bad << '"';
}

TEST(DType, RowBytes) {
    EXPECT_EQ(dtype_row_bytes(DType::F32, 10), 40u);
    EXPECT_EQ(dtype_row_bytes(DType::F16, 7), 14u);
    EXPECT_EQ(dtype_row_bytes(DType::BF16, 3), 6u);
    EXPECT_EQ(dtype_row_bytes(DType::Q4_0, 64), 36u);
    EXPECT_EQ(dtype_row_bytes(DType::Q8_0, 4096), 4096u / 32 * 34);
    EXPECT_EQ(dtype_row_bytes(DType::Q4_K, 256), 144u);
    EXPECT_EQ(dtype_row_bytes(DType::Q6_K, 4096), 16u * 210);
    EXPECT_EQ(dtype_row_bytes(DType::MXFP4, 32), 17u);
    EXPECT_EQ(dtype_row_bytes(DType::F32, 0), 0u);
    EXPECT_EQ(dtype_row_bytes(DType::Q4_0, 33), std::nullopt);
    EXPECT_EQ(dtype_row_bytes(DType::Q4_K, 128), std::nullopt);
    EXPECT_EQ(dtype_row_bytes(DType::Q4_K, 255), std::nullopt);
    // Every type: one block, and a row that is one element short of two blocks.
    for (const auto& e : kExpected) {
        const DType t = static_cast<DType>(e.id);
        EXPECT_EQ(dtype_row_bytes(t, e.block_elems), e.block_bytes) << e.name;
        EXPECT_EQ(dtype_row_bytes(t, 3ull * e.block_elems), 3ull * e.block_bytes) << e.name;
        if (e.block_elems > 1) {
            EXPECT_EQ(dtype_row_bytes(t, 2ull * e.block_elems - 1), std::nullopt) << e.name;
        }
    }
    // A size that would wrap around is refused rather than returned wrong.
    EXPECT_EQ(dtype_row_bytes(DType::F32, uint64_t{1} << 62), std::nullopt);
    EXPECT_EQ(dtype_row_bytes(DType::I8, std::numeric_limits<uint64_t>::max()), std::numeric_limits<size_t>::max());
}

TEST(DType, Computable) {
    EXPECT_TRUE(dtype_is_computable(DType::F32));
    EXPECT_TRUE(dtype_is_computable(DType::F16));
    EXPECT_TRUE(dtype_is_computable(DType::BF16));
    EXPECT_FALSE(dtype_is_computable(DType::IQ1_S));
}

// ---- a reference rounding, written from the IEEE definition ----------------------------
//
// Rounds a finite float to the binary format with `mant_bits` stored mantissa bits and
// normal exponents [emin, emax], to nearest with ties to even; returns the result as a
// double (exact), or +-infinity on overflow. Works in double, where every step is exact.
double reference_round(float x, int mant_bits, int emin, int emax) {
    if (x == 0 || std::isinf(x)) return x;
    const double a = std::fabs(static_cast<double>(x));
    int e = std::ilogb(a);               // a in [2^e, 2^(e+1))
    if (e < emin) e = emin;              // subnormal range: the quantum stops shrinking
    const double quantum = std::ldexp(1.0, e - mant_bits);
    const double steps = std::nearbyint(a / quantum);  // a / quantum is exact; ties go to even
    double r = steps * quantum;
    if (r >= std::ldexp(1.0, emax + 1)) r = INFINITY;
    return std::copysign(r, static_cast<double>(x));
}

double reference_f16(float x) { return reference_round(x, 10, -14, 15); }
double reference_bf16(float x) { return reference_round(x, 7, -126, 127); }

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }
float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

// The floats at which rounding to a 16-bit format changes its mind: for each 16-bit
// value h, its float value, the midpoint to the next one, and the floats just around
// that midpoint; plus a stride over every float bit pattern and random patterns.
template <typename ToF32>
std::vector<float> boundary_inputs(ToF32 to_f32) {
    std::vector<float> xs;
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float v = to_f32(static_cast<uint16_t>(h));
        if (!std::isfinite(v)) continue;
        const float next = to_f32(static_cast<uint16_t>(h + 1));
        xs.push_back(v);
        xs.push_back(std::nextafter(v, INFINITY));
        xs.push_back(std::nextafter(v, -INFINITY));
        if (std::isnan(next) || (h & 0x7fff) == 0x7fff) continue;
        // Midpoint of two adjacent values of the same sign; exact in float for both
        // formats (it needs one more mantissa bit than the 16-bit format has).
        const double mid_d = (static_cast<double>(v) + static_cast<double>(next)) / 2;
        const float mid = static_cast<float>(mid_d);
        if (static_cast<double>(mid) != mid_d) continue;
        xs.push_back(mid);
        xs.push_back(std::nextafter(mid, INFINITY));
        xs.push_back(std::nextafter(mid, -INFINITY));
    }
    for (uint64_t b = 0; b <= 0xffffffffull; b += 65521) xs.push_back(from_bits(static_cast<uint32_t>(b)));
    std::mt19937 rng(1234);
    for (int i = 0; i < 200000; ++i) xs.push_back(from_bits(rng()));
    return xs;
}

// Bit-exact comparison of a 16-bit result with the reference value.
template <typename ToF32>
::testing::AssertionResult matches_reference(float x, uint16_t got, double want, ToF32 to_f32) {
    const double g = static_cast<double>(to_f32(got));
    if (g == want && std::signbit(g) == std::signbit(want)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "input " << std::hexfloat << x << " (0x" << std::hex << bits(x)
                                         << ") gave 0x" << got << " = " << g << ", expected " << want;
}

// ---- f16 ---------------------------------------------------------------------------------

#if defined(__aarch64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC < 13 has no _Float16 in C++ on AArch64 (it defines __FLT16_MAX__ all the same);
// its __fp16 converts with the same IEEE rounding (FCVT).
constexpr bool kHaveFloat16 = true;
float compiler_f16_to_f32(uint16_t h) { return static_cast<float>(std::bit_cast<__fp16>(h)); }
uint16_t compiler_f32_to_f16(float f) { return std::bit_cast<uint16_t>(static_cast<__fp16>(f)); }
#elif defined(__FLT16_MAX__)
constexpr bool kHaveFloat16 = true;
float compiler_f16_to_f32(uint16_t h) { return static_cast<float>(std::bit_cast<_Float16>(h)); }
uint16_t compiler_f32_to_f16(float f) { return std::bit_cast<uint16_t>(static_cast<_Float16>(f)); }
#else
constexpr bool kHaveFloat16 = false;
float compiler_f16_to_f32(uint16_t) { return 0; }
uint16_t compiler_f32_to_f16(float) { return 0; }
#endif

TEST(Half, F16ToF32IsExactForAllValues) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const auto x = static_cast<uint16_t>(h);
        const float f = f16_to_f32(x);
        const uint32_t exp = (h >> 10) & 0x1f;
        const uint32_t mant = h & 0x3ff;
        const double sign = (h & 0x8000) ? -1.0 : 1.0;
        if (exp == 0x1f) {
            EXPECT_EQ(std::isnan(f), mant != 0) << h;
            if (mant == 0) { EXPECT_EQ(f, static_cast<float>(sign * INFINITY)) << h; }
            continue;
        }
        // value = (-1)^s * 2^(e-15) * (1 + m/1024), or 2^-14 * m/1024 when e == 0.
        const double want = exp == 0 ? sign * std::ldexp(mant, -24) : sign * std::ldexp(1024 + mant, int(exp) - 25);
        EXPECT_EQ(static_cast<double>(f), want) << h;
        EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << h;
        if (kHaveFloat16) { EXPECT_EQ(bits(f), bits(compiler_f16_to_f32(x))) << h; }
    }
}

TEST(Half, F16RoundTripsThroughF32) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const auto x = static_cast<uint16_t>(h);
        const float f = f16_to_f32(x);
        const uint16_t back = f32_to_f16(f);
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(f16_to_f32(back))) << h;  // NaN stays NaN
            EXPECT_EQ(back & 0x8000, h & 0x8000) << h;        // with its sign
        } else {
            EXPECT_EQ(back, x) << h;
        }
    }
}

TEST(Half, F32ToF16RoundsToNearestEven) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);  // the reference's nearbyint relies on it
    const std::vector<float> xs = boundary_inputs(f16_to_f32);
    size_t checked = 0;
    for (const float x : xs) {
        const uint16_t got = f32_to_f16(x);
        if (std::isnan(x)) {
            EXPECT_TRUE(std::isnan(f16_to_f32(got)));
            continue;
        }
        ASSERT_TRUE(matches_reference(x, got, reference_f16(x), f16_to_f32));
        if (kHaveFloat16) { ASSERT_EQ(got, compiler_f32_to_f16(x)) << std::hexfloat << x; }
        ++checked;
    }
    EXPECT_GT(checked, 500000u);
}

TEST(Half, F32ToF16SpecialCases) {
    EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
    EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
    EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
    EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);                 // largest finite
    EXPECT_EQ(f32_to_f16(65519.99f), 0x7bff);                // below the midpoint to 65536
    EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);                 // the midpoint: ties to even = inf
    EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);                    // overflow
    EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
    EXPECT_EQ(f32_to_f16(INFINITY), 0x7c00);
    EXPECT_EQ(f32_to_f16(-INFINITY), 0xfc00);
    EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::max()), 0x7c00);
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);    // smallest normal
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);    // smallest subnormal
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);    // half of it: tie to even (0)
    EXPECT_EQ(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
    EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);    // 1.5 quanta: tie to even (2)
    EXPECT_EQ(f32_to_f16(std::ldexp(5.0f, -25)), 0x0002);    // 2.5 quanta: tie to even (2)
    EXPECT_EQ(f32_to_f16(std::ldexp(1023.0f, -24)), 0x03ff); // largest subnormal
    EXPECT_EQ(f32_to_f16(std::ldexp(2047.0f, -25)), 0x0400); // rounds up into the normals
    EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::denorm_min()), 0x0000);
    EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::denorm_min()), 0x8000);
    EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, 1.0 is even
    EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, 1+2^-9 is even
    EXPECT_EQ(f32_to_f16(2047.5f), 0x67ff + 1);                       // tie at 2^11: rounds to 2048
    EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
    EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(from_bits(0x7f800001)))));  // signalling NaN
    EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(from_bits(0xffffe000)))));  // payload only in low bits
    EXPECT_EQ(f32_to_f16(from_bits(0xffc00000)) & 0x8000, 0x8000);
}

// The reference itself, validated against the compiler where the compiler can, so
// that it can be trusted for bf16 where there is no compiler type to compare with.
TEST(Half, ReferenceRoundingAgreesWithFloat16) {
    if (!kHaveFloat16) GTEST_SKIP() << "this compiler has no _Float16";
    std::mt19937 rng(99);
    for (int i = 0; i < 300000; ++i) {
        const float x = from_bits(rng());
        if (std::isnan(x)) continue;
        ASSERT_TRUE(matches_reference(x, compiler_f32_to_f16(x), reference_f16(x), compiler_f16_to_f32));
    }
}

// ---- bf16 ------------------------------------------------------------------------------

TEST(Half, Bf16ToF32IsExactForAllValues) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = bf16_to_f32(static_cast<uint16_t>(h));
        EXPECT_EQ(bits(f), h << 16) << h;  // bf16 is the top half of a float, by definition
    }
}

TEST(Half, Bf16RoundTripsThroughF32) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const auto x = static_cast<uint16_t>(h);
        const float f = bf16_to_f32(x);
        const uint16_t back = f32_to_bf16(f);
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(bf16_to_f32(back))) << h;
            EXPECT_EQ(back & 0x8000, h & 0x8000) << h;
        } else {
            EXPECT_EQ(back, x) << h;
        }
    }
}

TEST(Half, F32ToBf16RoundsToNearestEven) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    std::vector<float> xs = boundary_inputs(bf16_to_f32);
    // Every rounding decision for bf16 depends only on the low 16 bits relative to
    // 0x8000; try the decisive ones under every possible top half.
    for (uint32_t hi = 0; hi < 0x10000; ++hi)
        for (const uint32_t lo : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu})
            xs.push_back(from_bits(hi << 16 | lo));
    for (const float x : xs) {
        const uint16_t got = f32_to_bf16(x);
        if (std::isnan(x)) {
            ASSERT_TRUE(std::isnan(bf16_to_f32(got))) << std::hex << bits(x);
            ASSERT_EQ(got & 0x8000, (bits(x) >> 16) & 0x8000);
            continue;
        }
        ASSERT_TRUE(matches_reference(x, got, reference_bf16(x), bf16_to_f32));
    }
}

TEST(Half, F32ToBf16SpecialCases) {
    EXPECT_EQ(f32_to_bf16(0.0f), 0x0000);
    EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(f32_to_bf16(from_bits(0x3f808000)), 0x3f80);  // tie, even stays
    EXPECT_EQ(f32_to_bf16(from_bits(0x3f818000)), 0x3f82);  // tie, odd rounds up
    EXPECT_EQ(f32_to_bf16(from_bits(0x3f807fff)), 0x3f80);
    EXPECT_EQ(f32_to_bf16(from_bits(0x3f808001)), 0x3f81);
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
    EXPECT_EQ(f32_to_bf16(from_bits(0x7f7f7fff)), 0x7f7f);               // largest that stays finite
    EXPECT_EQ(f32_to_bf16(INFINITY), 0x7f80);
    EXPECT_EQ(f32_to_bf16(-INFINITY), 0xff80);
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::denorm_min()), 0x0000);
    EXPECT_EQ(f32_to_bf16(from_bits(0x00008000)), 0x0000);  // subnormal tie to even
    EXPECT_EQ(f32_to_bf16(from_bits(0x00018000)), 0x0002);
    EXPECT_EQ(f32_to_bf16(from_bits(0x007fffff)), 0x0080);  // largest subnormal rounds to min normal
    // NaNs whose payload is only in the low half must not become infinity.
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0x7f800001)))));
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0xff80ffff)))));
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

}  // namespace
}  // namespace pareto

// The scalar reference quantizers (tensor/quant.h) against llama.cpp, byte for byte.
//
// Three kinds of evidence:
//  1. Synthetic rows for every type: digests of the bytes ggml's reference quantizers
//     write, and of the floats ggml's dequantizers read back, for deterministic inputs
//     of several shapes and distributions (see "Expected digests" for how they were
//     made). The only evidence for the K types and Q4_1, Q5_1, Q8_1, BF16.
//  2. Real files: llama.cpp's own quantizations of stories260K (Q8_0, Q4_0, Q4_K_M;
//     together they hold Q8_0, Q4_0, Q5_0, F16 and F32 tensors). Requantizing the F32
//     source must give every tensor's bytes, and dequantizing must give the floats
//     ggml gives.
//  3. Properties: error bounds, zero rows, block-size and type errors, alignment.
// (While this was written, llama-quantize's output for a random 256-wide llama in
// every K mix and legacy type was also matched tensor for tensor; those files are
// too large to keep.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "support/test_data.h"
#include "tensor/dtype.h"
#include "tensor/half.h"
#include "tensor/quant.h"
#include "util/error.h"

namespace pareto {
namespace {

// ---- deterministic inputs ------------------------------------------------------------
// splitmix64, turned into floats with exact operations only (integer -> float of a
// 24-bit value, adds and multiplies of floats, never a*b+c, which a compiler could
// fuse), so a C harness and this test build bit-identical inputs on any IEEE machine.

struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    float unit() { return static_cast<float>(next() >> 40) * 0x1p-24f; }  // [0, 1), exact
    float symmetric() { return (unit() - 0.5f) * 2.0f; }                   // [-1, 1)
    float bell() {  // [-2, 2), sd 0.58 (sum of 4 uniforms); draws sequenced explicitly
        const float a = unit();
        const float b = unit();
        const float c = unit();
        const float d = unit();
        return ((a + b) + (c + d)) - 2.0f;
    }
};

enum Dist : int {
    kGauss,        // bell * 0.02: weight-like
    kUniform,      // [-1, 1)
    kOutliers,     // kGauss with one value in 64 (on average) 40x larger
    kZeroBlocks,   // bell * 0.05 with every third 256-block and every fifth 16-group zero
    kTiny,         // bell * 1e-4, 3e-6, 1e-7, 1e-10 by 32-block: scales in f16 subnormals or 0
    kPositive,     // [0.25, 0.75): no negative values (the affine types' min clamps to 0)
    kMixedScale,   // bell * 1, 300, 0.01, 3e4 by 32-block
    kHalfSteps,    // exact rounding ties for each legacy type, and constant blocks (tie_value)
    kSparse,       // bell for one value in 8, else 0
    kDistCount
};

const char* dist_name(int d) {
    static const char* const kNames[] = {"gauss", "uniform", "outliers", "zero-blocks", "tiny",
                                         "positive", "mixed-scale", "half-steps", "sparse"};
    return kNames[d];
}

// Blocks built so that x / d lands exactly halfway between two levels for some
// values, by type: the first value fixes the scale to a power of two, the rest are
// multiples of half that scale. Which block serves which type cycles with i / 32.
float tie_value(SplitMix64& rng, int64_t i) {
    const int k = static_cast<int>(rng.next() % 1024);
    const bool first = i % 32 == 0, second = i % 32 == 1;
    switch ((i / 32) % 6) {
        case 0: return first ? -4.0f : static_cast<float>(k % 33 - 16) * 0.25f;      // Q4_0: d = 0.5
        case 1: return first ? 1.984375f : static_cast<float>(k % 509 - 254) * 0x1p-7f;  // Q8: d = 1/64
        case 2: return first ? -4.0f : static_cast<float>(k % 65 - 32) * 0.125f;     // Q5_0: d = 0.25
        case 3: return first ? 0.0f : second ? 3.75f : static_cast<float>(k % 31) * 0.125f;  // Q4_1: d = 0.25
        case 4: return first ? 0.0f : second ? 7.75f : static_cast<float>(k % 63) * 0.125f;  // Q5_1: d = 0.25
        default: return 1.5f;  // constant block
    }
}

float draw(SplitMix64& rng, int dist, int64_t i) {
    switch (dist) {
        case kGauss: return rng.bell() * 0.02f;
        case kUniform: return rng.symmetric();
        case kOutliers: {
            const float v = rng.bell() * 0.02f;
            return (rng.next() & 63) == 0 ? v * 40.0f : v;
        }
        case kZeroBlocks: {
            const float v = rng.bell() * 0.05f;
            return ((i / 256) % 3 == 1 || (i / 16) % 5 == 2) ? 0.0f : v;
        }
        case kTiny: {
            static const float kScale[] = {1e-4f, 3e-6f, 1e-7f, 1e-10f};
            return rng.bell() * kScale[(i / 32) % 4];
        }
        case kPositive: return (rng.unit() + 0.5f) * 0.5f;
        case kMixedScale: {
            static const float kScale[] = {1.0f, 300.0f, 0.01f, 3e4f};
            return rng.bell() * kScale[(i / 32) % 4];
        }
        case kHalfSteps: return tie_value(rng, i);
        case kSparse: {
            const float v = rng.bell();
            return (rng.next() & 7) == 0 ? v : 0.0f;
        }
        default: return 0.0f;
    }
}

std::vector<float> make_input(int dist, int64_t n) {
    SplitMix64 rng{0x5eed0000ull + static_cast<uint64_t>(dist) * 1000003ull + static_cast<uint64_t>(n)};
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = draw(rng, dist, i);
    return x;
}

// Row lengths: one legacy block, one K block (8 legacy blocks), 24 and 256 K blocks.
// Sizes a type's block does not divide are skipped. The long row is there for rare
// paths of the searches (e.g. Q3_K's fifth refinement pass matters in ~0.1% of blocks).
constexpr int64_t kSizes[] = {32, 256, 6144, 65536};

// 64-bit FNV-1a.
struct Fnv1a {
    uint64_t h = 0xcbf29ce484222325ull;
    void add(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        for (size_t i = 0; i < n; ++i) {
            h ^= b[i];
            h *= 0x100000001b3ull;
        }
    }
};

// ---- helpers -------------------------------------------------------------------------

constexpr DType kRefTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1,
                               DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q8_1, DType::Q2_K,
                               DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

int64_t block_of(DType t) { return dtype_info(t).block_elems; }
size_t row_bytes(DType t, int64_t n) { return *dtype_row_bytes(t, static_cast<uint64_t>(n)); }

std::vector<uint8_t> quantize(DType t, const std::vector<float>& x) {
    std::vector<uint8_t> q(row_bytes(t, static_cast<int64_t>(x.size())));
    quantize_row_ref(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
    return q;
}

std::vector<float> dequantize(DType t, const std::vector<uint8_t>& q, int64_t n) {
    std::vector<float> y(static_cast<size_t>(n));
    dequantize_row_ref(t, q.data(), y.data(), n);
    return y;
}

template <class Block>
Block block_at(const std::vector<uint8_t>& q, size_t i) {
    Block b;
    std::memcpy(&b, q.data() + i * sizeof(Block), sizeof b);
    return b;
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// ---- 1. synthetic rows against ggml's digests ----------------------------------------
// Expected digests. Made once with a throwaway C++ harness (not in the repo) linked
// against llama.cpp's libggml-base (ggml 0.25.1, x86-64 build without FMA), using the
// generator above verbatim: for each type and distribution, for each size in kSizes
// the block size divides, the output buffer was zero-filled and
//   - quantized with ggml_quantize_chunk(type, x, q, 0, 1, n, NULL) (exactly what
//     llama-quantize calls without an imatrix; it runs quantize_row_<type>_ref), or
//     quantize_row_q8_1_ref / quantize_row_q8_K_ref for Q8_1 / Q8_K;
//   - dequantized with ggml_get_type_traits(type)->to_float (dequantize_row_q8_K for
//     Q8_K; for Q8_1, which ggml cannot dequantize, ggml_fp16_to_fp32(d) * q).
// The "bytes" digest is FNV-1a over the quantized rows of all sizes in order, the
// "floats" digest over the dequantized floats. For all-zero Q8_K blocks ggml leaves
// bsums unwritten; the zero-filled buffer makes that 0, which is what Pareto writes.

struct SyntheticDigest {
    DType type;
    Dist dist;
    uint64_t bytes;
    uint64_t floats;
};

constexpr SyntheticDigest kSynthetic[] = {
    {DType::F32, kGauss, 0xf28e4dd5d97b23cdull, 0xf28e4dd5d97b23cdull},
    {DType::F32, kUniform, 0x41964102fe6c34d0ull, 0x41964102fe6c34d0ull},
    {DType::F32, kOutliers, 0xf75af027161c48b7ull, 0xf75af027161c48b7ull},
    {DType::F32, kZeroBlocks, 0x6fb179ba877fdf8aull, 0x6fb179ba877fdf8aull},
    {DType::F32, kTiny, 0xbf3b6272cb017634ull, 0xbf3b6272cb017634ull},
    {DType::F32, kPositive, 0x93b8759e954e8e83ull, 0x93b8759e954e8e83ull},
    {DType::F32, kMixedScale, 0x86f950f92328678eull, 0x86f950f92328678eull},
    {DType::F32, kHalfSteps, 0xb1762e56de64d93full, 0xb1762e56de64d93full},
    {DType::F32, kSparse, 0x0c2ff3d9b93b2a37ull, 0x0c2ff3d9b93b2a37ull},
    {DType::F16, kGauss, 0x799b03cb3ceee7c8ull, 0x5b7233af82df411eull},
    {DType::F16, kUniform, 0x8e40b9eea9ebc91aull, 0x1533dbf8a453970bull},
    {DType::F16, kOutliers, 0xf07169275eb91b02ull, 0xf3c2667e1728f109ull},
    {DType::F16, kZeroBlocks, 0xdfb1483494d356d1ull, 0xf2f3030e5ffd0f09ull},
    {DType::F16, kTiny, 0x321da35a0d42b69bull, 0x651cc4beb4d62b60ull},
    {DType::F16, kPositive, 0x971ca09ce6b7fd87ull, 0x6e7b9c6e058163c9ull},
    {DType::F16, kMixedScale, 0xe671ada6566bada4ull, 0xc0b95657412641ddull},
    {DType::F16, kHalfSteps, 0xfa36df2a34ab6cb8ull, 0xb1762e56de64d93full},
    {DType::F16, kSparse, 0xf81c1ead3bfff657ull, 0x233a48e624797c41ull},
    {DType::BF16, kGauss, 0x23fbe699b62f784aull, 0x02a7227316a6e86aull},
    {DType::BF16, kUniform, 0x47df67b968a002bbull, 0x9aa7e03aeb8c2b4bull},
    {DType::BF16, kOutliers, 0x042ececef133f43aull, 0x6498b1d8ae0197e2ull},
    {DType::BF16, kZeroBlocks, 0x03b3cb1505e62d2aull, 0x276f9b38ed5ce3b2ull},
    {DType::BF16, kTiny, 0x2791d04a19ee2d0full, 0x6ca15e5cbb26c967ull},
    {DType::BF16, kPositive, 0x00b9248941367dcfull, 0xd6ea24fcb0182ff7ull},
    {DType::BF16, kMixedScale, 0x3318b01665bed667ull, 0xb2fc3f8283d33af7ull},
    {DType::BF16, kHalfSteps, 0xa00dfe6021b4333full, 0xb1762e56de64d93full},
    {DType::BF16, kSparse, 0x0435609e5e76757dull, 0xc03d0c1d655c273dull},
    {DType::Q4_0, kGauss, 0xedf5db2ca51c5b69ull, 0x663940aff1c41bb3ull},
    {DType::Q4_0, kUniform, 0x711ce35e427e3f6dull, 0xd264aca51c964a24ull},
    {DType::Q4_0, kOutliers, 0x30e6604558a709d9ull, 0x08ef1c892d7f9016ull},
    {DType::Q4_0, kZeroBlocks, 0x87f3dded3ff9c9ceull, 0xa9ebe0344e1176e1ull},
    {DType::Q4_0, kTiny, 0xd24c634233908da7ull, 0xa164e062be9804a0ull},
    {DType::Q4_0, kPositive, 0xd4b4f07ade0c8519ull, 0xc8b03dbd866ff72eull},
    {DType::Q4_0, kMixedScale, 0x9479126085dcd135ull, 0x878b4922e7b7a04cull},
    {DType::Q4_0, kHalfSteps, 0x914b9dcef1095ddeull, 0xb73dee7142606e85ull},
    {DType::Q4_0, kSparse, 0x8e2eaa0e02d07758ull, 0xa7b4c1c457b0124full},
    {DType::Q4_1, kGauss, 0x3755e61dd470ece0ull, 0xfb403521efc42f6full},
    {DType::Q4_1, kUniform, 0xe46267f58fb4e471ull, 0x648ded2f4713a522ull},
    {DType::Q4_1, kOutliers, 0xac690481794572daull, 0xbdd3d30c98c66a9eull},
    {DType::Q4_1, kZeroBlocks, 0xfa6e40907c8ece7dull, 0x47add6989bd56348ull},
    {DType::Q4_1, kTiny, 0x20070720812d2d4dull, 0xb61eaf56a3a92986ull},
    {DType::Q4_1, kPositive, 0x7d5f472f8b8e9880ull, 0x1e910ecd89a9567eull},
    {DType::Q4_1, kMixedScale, 0x3d4cb869f79fc83cull, 0x60df60c983b1c2dcull},
    {DType::Q4_1, kHalfSteps, 0x457aa66563adf0aaull, 0x34dd9699b12333b4ull},
    {DType::Q4_1, kSparse, 0x617f6803c66c7a6eull, 0x270527bc141d6c3eull},
    {DType::Q5_0, kGauss, 0x1e5eb7e82ffaeb3full, 0xfaa2e4be6ddcdd6eull},
    {DType::Q5_0, kUniform, 0x18301292ab6e9dd9ull, 0xc5ff8fb61febf417ull},
    {DType::Q5_0, kOutliers, 0x076d3429eeb1f98dull, 0x14719dedd85d1507ull},
    {DType::Q5_0, kZeroBlocks, 0x7bf8999edda7ac7bull, 0x3a0ce85b7b2f8b80ull},
    {DType::Q5_0, kTiny, 0x9ab373c40006866bull, 0x6c2da59419e50d52ull},
    {DType::Q5_0, kPositive, 0xb2267c216f15d979ull, 0xfadf9554ab532ca6ull},
    {DType::Q5_0, kMixedScale, 0x7624ef2a8ed86e62ull, 0x07c6dc6db9a299fbull},
    {DType::Q5_0, kHalfSteps, 0x2080ec63cc36172eull, 0xf512bc612edc0de1ull},
    {DType::Q5_0, kSparse, 0x0993ad28a3283893ull, 0xd5df6432943580bbull},
    {DType::Q5_1, kGauss, 0x42806f5f62f8351full, 0x8e95f8b103f440c8ull},
    {DType::Q5_1, kUniform, 0x59a58a0e52274c26ull, 0x32f4fffa8e69ebe1ull},
    {DType::Q5_1, kOutliers, 0x0a34efb184093412ull, 0xe967ba5bc7385db6ull},
    {DType::Q5_1, kZeroBlocks, 0x29b410984e530bc6ull, 0x5142845b1a1339c0ull},
    {DType::Q5_1, kTiny, 0x6cbe6bebdbd9ea89ull, 0xfbd8fa8f4438e0a9ull},
    {DType::Q5_1, kPositive, 0x90d237ce18b7cc7full, 0x979cc245b57ea7c4ull},
    {DType::Q5_1, kMixedScale, 0xf082d728261f620dull, 0x4115e556ae586a5cull},
    {DType::Q5_1, kHalfSteps, 0x0a534cd1180efc09ull, 0x90d0cfbcc8a8a933ull},
    {DType::Q5_1, kSparse, 0x2cc7f01d34f62925ull, 0xc6687403351188e0ull},
    {DType::Q8_0, kGauss, 0xadb5de6e364cbebfull, 0x6ea034a23f4bc01eull},
    {DType::Q8_0, kUniform, 0xe0d8fac3aacfd465ull, 0xe69f217dfcc3cf6bull},
    {DType::Q8_0, kOutliers, 0xac0c2b86b0572577ull, 0x74c16ff3c1239387ull},
    {DType::Q8_0, kZeroBlocks, 0x77e692f924d06246ull, 0xe825acda4152d2e9ull},
    {DType::Q8_0, kTiny, 0x4e9c3d468b04892bull, 0x082cf715b22a751dull},
    {DType::Q8_0, kPositive, 0xa2aecbfec730488dull, 0xe6ef346e48f3c7adull},
    {DType::Q8_0, kMixedScale, 0x5ee64bc44c2f9be7ull, 0x74aa48f73f75ae83ull},
    {DType::Q8_0, kHalfSteps, 0xf2d643e19b135333ull, 0x6bb3ac06b564720cull},
    {DType::Q8_0, kSparse, 0xbd6de1a0bd8a5ceeull, 0x2f95f13d79e60933ull},
    {DType::Q8_1, kGauss, 0xab58d92e759b2a8aull, 0x6ea034a23f4bc01eull},
    {DType::Q8_1, kUniform, 0x10bceadb532d7726ull, 0xe69f217dfcc3cf6bull},
    {DType::Q8_1, kOutliers, 0x0f4b033c4e22411cull, 0x74c16ff3c1239387ull},
    {DType::Q8_1, kZeroBlocks, 0x2658f3314c57e3abull, 0xe825acda4152d2e9ull},
    {DType::Q8_1, kTiny, 0xef4a95fa3d9bde64ull, 0x082cf715b22a751dull},
    {DType::Q8_1, kPositive, 0x9add1f1a87090264ull, 0xe6ef346e48f3c7adull},
    {DType::Q8_1, kMixedScale, 0x9555de9abcc2cf70ull, 0x74aa48f73f75ae83ull},
    {DType::Q8_1, kHalfSteps, 0xfc4df3465ac81199ull, 0x6bb3ac06b564720cull},
    {DType::Q8_1, kSparse, 0x21db1ed7c486e590ull, 0x2f95f13d79e60933ull},
    {DType::Q2_K, kGauss, 0xbe2c893a640ca7adull, 0xfb2e90d8f3b3dcd3ull},
    {DType::Q2_K, kUniform, 0x5a9456ffab0649bbull, 0x4467a6942b5b52b6ull},
    {DType::Q2_K, kOutliers, 0x0b1b0a6d827c7e85ull, 0x87d123969b4e3c49ull},
    {DType::Q2_K, kZeroBlocks, 0x8c1ef5e300017554ull, 0x5b415d4ddf8dacdbull},
    {DType::Q2_K, kTiny, 0xf4285969e11c4796ull, 0x62c2738e432c6a51ull},
    {DType::Q2_K, kPositive, 0xcc9c3405977b099aull, 0x7244f004fae92ebaull},
    {DType::Q2_K, kMixedScale, 0x0121e634b8166e1full, 0x21f0b739251eb790ull},
    {DType::Q2_K, kHalfSteps, 0x2b73320753c5f71bull, 0xe321c1873dafc15dull},
    {DType::Q2_K, kSparse, 0xa50d6afbda067e15ull, 0x6cf1cc0f8f0ad12aull},
    {DType::Q3_K, kGauss, 0x4783915073a5ae65ull, 0x447dc8c06a13f3a8ull},
    {DType::Q3_K, kUniform, 0x454524ae9ec10d5full, 0x5e94b1e9e2b2a4b2ull},
    {DType::Q3_K, kOutliers, 0xed6101991a7597c3ull, 0x7add3a961abc2b8eull},
    {DType::Q3_K, kZeroBlocks, 0x5ed1ab0dfc17e821ull, 0x3f21f942a2d8511cull},
    {DType::Q3_K, kTiny, 0xc4e08b755810a581ull, 0x1b61ede1aa818848ull},
    {DType::Q3_K, kPositive, 0x253a44dabd831c4aull, 0xa92a63523cddb8f7ull},
    {DType::Q3_K, kMixedScale, 0x4e5226d2469926c5ull, 0xe0d4192394265052ull},
    {DType::Q3_K, kHalfSteps, 0xf4dbdac29114e470ull, 0x085a8ce41774bd5eull},
    {DType::Q3_K, kSparse, 0x084e04837f4a8cb8ull, 0x7e16d67a85ff73ecull},
    {DType::Q4_K, kGauss, 0x87d1079791447d38ull, 0x31a8d9d8fdc11588ull},
    {DType::Q4_K, kUniform, 0xa5ee3ba144eac864ull, 0x8c86e65dd968b53full},
    {DType::Q4_K, kOutliers, 0x89288d5d9fa46405ull, 0x2142c72b68ac5a6full},
    {DType::Q4_K, kZeroBlocks, 0x197ed948dc9e1a58ull, 0x8c219eba94021648ull},
    {DType::Q4_K, kTiny, 0x63089d2caf9a0c41ull, 0x0f113da9845014a1ull},
    {DType::Q4_K, kPositive, 0x0dfc97dbde6ec586ull, 0x2ba280df26d981e3ull},
    {DType::Q4_K, kMixedScale, 0x919286622b2578daull, 0x846931f32b903a94ull},
    {DType::Q4_K, kHalfSteps, 0x93e5bc1fcbff4ea0ull, 0xafa7e8ec4d12ec51ull},
    {DType::Q4_K, kSparse, 0xec7de6720b097ddbull, 0x9746be592b372544ull},
    {DType::Q5_K, kGauss, 0xc1bc6e77b8e6b33bull, 0x6e820dc8f3a614f8ull},
    {DType::Q5_K, kUniform, 0x7c776801cd10d03bull, 0xf74b3d721b7a738dull},
    {DType::Q5_K, kOutliers, 0x29a70f8e48a65debull, 0x1c27e9c83d0c7806ull},
    {DType::Q5_K, kZeroBlocks, 0xa6cb0e3c922e50e8ull, 0x9b46757278d66a7full},
    {DType::Q5_K, kTiny, 0x43f81e47bac9b711ull, 0x334afcac8105abaeull},
    {DType::Q5_K, kPositive, 0xb9c13b4051b1597full, 0xa64d2eb97f5da1d9ull},
    {DType::Q5_K, kMixedScale, 0x50565446c1372427ull, 0x8f70d49dfb19b857ull},
    {DType::Q5_K, kHalfSteps, 0x64a941ea6b4d8583ull, 0x100b8884c9e64065ull},
    {DType::Q5_K, kSparse, 0xe8f5aabcb07c30e3ull, 0x480299f72f9a252aull},
    {DType::Q6_K, kGauss, 0x24fc1ead456d88b9ull, 0xd16255775caa21e2ull},
    {DType::Q6_K, kUniform, 0xa3be431fe948c704ull, 0x7b9fb7582d8ae18cull},
    {DType::Q6_K, kOutliers, 0x9665ce0dbb066ec9ull, 0x6f26e53e18fdd317ull},
    {DType::Q6_K, kZeroBlocks, 0x42f4c2785ba5af1eull, 0xcf6a8d864997b615ull},
    {DType::Q6_K, kTiny, 0x36bfa02966d3581cull, 0xe1a3ec28c6c82e2dull},
    {DType::Q6_K, kPositive, 0x5dfcd94a8ff3226bull, 0x9b013aaddfaab1f2ull},
    {DType::Q6_K, kMixedScale, 0x243a9fabd09248ddull, 0x54b3431fdb41ddceull},
    {DType::Q6_K, kHalfSteps, 0xbd723e692abf7674ull, 0xcd4fbc9734f68037ull},
    {DType::Q6_K, kSparse, 0xb815f96b1b72d89eull, 0xc030fe29ba50cdf0ull},
    {DType::Q8_K, kGauss, 0xf2b7741b35c79139ull, 0x682f560acc4acbc8ull},
    {DType::Q8_K, kUniform, 0xb6507f4eb10a092aull, 0x6c5861d61c4b3356ull},
    {DType::Q8_K, kOutliers, 0xf9120a4ba35fa4f5ull, 0x6e665b7a5b864ee9ull},
    {DType::Q8_K, kZeroBlocks, 0x94fb78a75b131e90ull, 0x9edfc16cb9511e3aull},
    {DType::Q8_K, kTiny, 0xebcf467c6d85d0a4ull, 0xd2ef7bc124183d38ull},
    {DType::Q8_K, kPositive, 0xe56ecc34b3d53f2dull, 0xd6a962fff94ba12aull},
    {DType::Q8_K, kMixedScale, 0xf4969189e0f541c4ull, 0x1ddc11bd03d9f291ull},
    {DType::Q8_K, kHalfSteps, 0xac1f3861f688dd55ull, 0x795a00d5c84ef581ull},
    {DType::Q8_K, kSparse, 0x59d12c92ddd5ff42ull, 0xbe59e2e805c29e91ull},
};

TEST(QuantRefGgml, SyntheticRowsMatchGgmlBytesAndFloats) {
    int checked = 0;
    for (const auto& e : kSynthetic) {
        Fnv1a bytes, floats;
        for (int64_t n : kSizes) {
            if (n % block_of(e.type) != 0) continue;
            const auto x = make_input(e.dist, n);
            const auto q = quantize(e.type, x);
            const auto y = dequantize(e.type, q, n);
            bytes.add(q.data(), q.size());
            floats.add(y.data(), y.size() * sizeof(float));
        }
        const std::string where = std::string(dtype_name(e.type)) + " / " + dist_name(e.dist);
        EXPECT_EQ(hex(bytes.h), hex(e.bytes)) << "quantized bytes differ from ggml's: " << where;
        EXPECT_EQ(hex(floats.h), hex(e.floats)) << "dequantized floats differ from ggml's: " << where;
        ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(std::size(kRefTypes)) * kDistCount);
}

// The F32 rows are the inputs themselves, so a mismatch there means the generator,
// not a quantizer, differs from the harness's.
TEST(QuantRefGgml, GeneratorMatchesHarness) {
    for (const auto& e : kSynthetic) {
        if (e.type != DType::F32) continue;
        Fnv1a h;
        for (int64_t n : kSizes) {
            const auto x = make_input(e.dist, n);
            h.add(x.data(), x.size() * sizeof(float));
        }
        EXPECT_EQ(hex(h.h), hex(e.bytes)) << dist_name(e.dist);
    }
}

// Every 16-bit pattern widened as ggml widens it (ggml_fp16_to_fp32_row and
// ggml_bf16_to_fp32_row over 0..65535, FNV-1a of the floats). F16 covers subnormals,
// infinities and NaNs: ggml returns signalling NaNs quieted.
TEST(QuantRefGgml, HalfPatternsWidenLikeGgml) {
    std::vector<uint8_t> all(2 * 65536);
    for (uint32_t i = 0; i < 65536; ++i) {
        const auto h = static_cast<uint16_t>(i);
        std::memcpy(&all[2 * i], &h, 2);
    }
    const auto check = [&](DType t, uint64_t expected) {
        const auto y = dequantize(t, all, 65536);
        Fnv1a h;
        h.add(y.data(), y.size() * sizeof(float));
        EXPECT_EQ(hex(h.h), hex(expected)) << dtype_name(t);
    };
    check(DType::F16, 0x5d79f1b086f30345ull);
    check(DType::BF16, 0x43a13836c4ca3b25ull);
}

// ---- 2. llama.cpp's quantizations of stories260K -------------------------------------

struct RealFile {
    const char* path;
    uint64_t dequantized;              // FNV-1a of every tensor's floats, in file order (harness)
    std::map<DType, int> type_counts;  // what the file holds, so a changed fixture is noticed
};

const RealFile kRealFiles[] = {
    {"models/quantized/stories260K-Q8_0.gguf", 0x7ac70a8439d17116ull,
     {{DType::Q8_0, 32}, {DType::F16, 5}, {DType::F32, 11}}},
    {"models/quantized/stories260K-Q4_0.gguf", 0xf38f02c97be4a68eull,
     {{DType::Q4_0, 31}, {DType::Q8_0, 1}, {DType::F16, 5}, {DType::F32, 11}}},
    // 64-value rows are no multiple of 256, so llama-quantize falls back from the K
    // types to Q5_0 (Q4_K) and Q8_0 (Q6_K): this file holds no K blocks.
    {"models/quantized/stories260K-Q4_K_M.gguf", 0xfe93304e89a876bfull,
     {{DType::Q5_0, 29}, {DType::Q8_0, 3}, {DType::F16, 5}, {DType::F32, 11}}},
};

// First byte where two buffers differ, for the failure message.
std::string first_difference(const uint8_t* a, const uint8_t* b, size_t n, size_t row_bytes_) {
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return "byte " + std::to_string(i) + " (row " + std::to_string(i / row_bytes_) + "): " +
                   std::to_string(a[i]) + " vs llama.cpp's " + std::to_string(b[i]);
    return "none";
}

void check_requantized(const GgufFile& source, const GgufFile& quantized, const RealFile& spec) {
    std::map<DType, int> counts;
    for (const auto& t : quantized.tensors()) {
        ++counts[t.type];
        const GgufTensor& src = source.require_tensor(t.name);
        ASSERT_EQ(src.type, DType::F32) << t.name;
        ASSERT_EQ(src.shape, t.shape) << t.name;
        const auto row = static_cast<int64_t>(t.dim(0));
        const size_t rbytes = row_bytes(t.type, row);
        ASSERT_EQ(rbytes * (t.n_elements / static_cast<uint64_t>(row)), t.n_bytes) << t.name;

        std::vector<uint8_t> mine(t.n_bytes);
        const auto* x = reinterpret_cast<const float*>(src.data);  // GGUF data is 32-byte aligned
        for (uint64_t r = 0; r < t.n_elements / static_cast<uint64_t>(row); ++r)
            quantize_row_ref(t.type, x + r * static_cast<uint64_t>(row), mine.data() + r * rbytes, row);
        EXPECT_EQ(std::memcmp(mine.data(), t.data, t.n_bytes), 0)
            << spec.path << ": " << t.name << " (" << dtype_name(t.type) << ") first difference at "
            << first_difference(mine.data(), t.data, t.n_bytes, rbytes);
    }
    EXPECT_EQ(counts, spec.type_counts) << spec.path;
}

TEST(QuantRefRealFiles, RequantizingF32SourceGivesLlamaQuantizeBytes) {
    PARETO_REQUIRE_DATA(source_path, "models/stories260K.gguf");
    const GgufFile source = GgufFile::open(source_path);
    for (const auto& spec : kRealFiles) {
        PARETO_REQUIRE_DATA(path, spec.path);
        SCOPED_TRACE(spec.path);
        check_requantized(source, GgufFile::open(path), spec);
    }
}

uint64_t dequantized_digest(const GgufFile& file) {
    Fnv1a h;
    for (const auto& t : file.tensors()) {
        const auto row = static_cast<int64_t>(t.dim(0));
        const size_t rbytes = row_bytes(t.type, row);
        std::vector<float> y(static_cast<size_t>(row));
        for (uint64_t r = 0; r < t.n_elements / static_cast<uint64_t>(row); ++r) {
            dequantize_row_ref(t.type, t.data + r * rbytes, y.data(), row);
            h.add(y.data(), y.size() * sizeof(float));
        }
    }
    return h.h;
}

// Digests made by the harness: every tensor through ggml's to_float (memcpy for F32).
TEST(QuantRefRealFiles, DequantizedTensorsMatchGgml) {
    PARETO_REQUIRE_DATA(source_path, "models/stories260K.gguf");
    EXPECT_EQ(hex(dequantized_digest(GgufFile::open(source_path))), hex(0x2ed5689dce03fbb5ull));
    for (const auto& spec : kRealFiles) {
        PARETO_REQUIRE_DATA(path, spec.path);
        EXPECT_EQ(hex(dequantized_digest(GgufFile::open(path))), hex(spec.dequantized)) << spec.path;
    }
}

// A few values worked out by hand from the Q8_0 file's first block of output.weight:
// y = f16(d) * q, so the first dequantized value is d * qs[0] exactly.
TEST(QuantRefRealFiles, SpotValuesFollowTheBlockFormula) {
    PARETO_REQUIRE_DATA(path, "models/quantized/stories260K-Q8_0.gguf");
    const GgufFile file = GgufFile::open(path);
    const GgufTensor& t = file.require_tensor("output.weight");
    ASSERT_EQ(t.type, DType::Q8_0);
    BlockQ8_0 b;
    std::memcpy(&b, t.data, sizeof b);
    float y[kQK];
    dequantize_row_ref(DType::Q8_0, t.data, y, kQK);
    for (int j : {0, 7, 31}) EXPECT_EQ(y[j], f16_to_f32(b.d) * static_cast<float>(b.qs[j])) << j;
}

// ---- 3. properties -------------------------------------------------------------------

TEST(QuantRefProperties, ReferenceTypeSet) {
    for (DType t : kRefTypes) EXPECT_TRUE(dtype_has_reference(t)) << dtype_name(t);
    for (DType t : {DType::IQ2_XXS, DType::IQ4_NL, DType::IQ4_XS, DType::I8, DType::I32, DType::F64, DType::TQ1_0,
                    DType::MXFP4, static_cast<DType>(99)})
        EXPECT_FALSE(dtype_has_reference(t)) << static_cast<uint32_t>(t);
}

TEST(QuantRefProperties, UnknownTypeThrows) {
    float x[256] = {};
    uint8_t q[1024] = {};
    for (DType t : {DType::IQ2_XXS, DType::I32, DType::MXFP4, static_cast<DType>(99), static_cast<DType>(4)}) {
        EXPECT_THROW(quantize_row_ref(t, x, q, 256), Error) << static_cast<uint32_t>(t);
        EXPECT_THROW(dequantize_row_ref(t, q, x, 256), Error) << static_cast<uint32_t>(t);
    }
}

TEST(QuantRefProperties, PartialBlocksAndNegativeCountsThrow) {
    std::vector<float> x(600, 0.5f);
    std::vector<uint8_t> q(4096);
    for (DType t : kRefTypes) {
        const int64_t blk = block_of(t);
        if (blk > 1) {
            for (int64_t n : {blk - 1, blk + 1, 2 * blk - 16, int64_t{1}}) {
                EXPECT_THROW(quantize_row_ref(t, x.data(), q.data(), n), Error) << dtype_name(t) << " n=" << n;
                EXPECT_THROW(dequantize_row_ref(t, q.data(), x.data(), n), Error) << dtype_name(t) << " n=" << n;
            }
        }
        EXPECT_THROW(quantize_row_ref(t, x.data(), q.data(), -blk), Error) << dtype_name(t);
        EXPECT_THROW(dequantize_row_ref(t, q.data(), x.data(), -blk), Error) << dtype_name(t);
        // Nothing to do for an empty row, and nothing is touched.
        EXPECT_NO_THROW(quantize_row_ref(t, nullptr, nullptr, 0));
        EXPECT_NO_THROW(dequantize_row_ref(t, nullptr, nullptr, 0));
    }
    try {
        quantize_row_ref(DType::Q4_K, x.data(), q.data(), 300);
        FAIL() << "no exception";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("Q4_K"), std::string::npos) << what;
        EXPECT_NE(what.find("300"), std::string::npos) << what;
    }
}

TEST(QuantRefProperties, AllZeroRowsGiveZeroScalesAndZeros) {
    const std::vector<float> zeros(512, 0.0f);
    for (DType t : kRefTypes) {
        const auto q = quantize(t, zeros);
        const auto y = dequantize(t, q, 512);
        for (float v : y) ASSERT_EQ(v, 0.0f) << dtype_name(t);
    }
    // The scales are zero. Q4_0's is -0 (0 / -8, as in ggml) and its levels sit at
    // the zero point 8; Q6_K and Q8_K blocks are cleared entirely, as ggml does.
    const auto q4 = quantize(DType::Q4_0, zeros);
    const auto b4 = block_at<BlockQ4_0>(q4, 0);
    EXPECT_EQ(b4.d, 0x8000);
    EXPECT_EQ(b4.qs[0], 0x88);
    EXPECT_EQ(block_at<BlockQ8_0>(quantize(DType::Q8_0, zeros), 0).d, 0);
    const auto q2 = block_at<BlockQ2_K>(quantize(DType::Q2_K, zeros), 1);
    EXPECT_EQ(q2.d | q2.dmin, 0);
    EXPECT_EQ(block_at<BlockQ3_K>(quantize(DType::Q3_K, zeros), 1).d, 0);
    const auto q5 = block_at<BlockQ5_K>(quantize(DType::Q5_K, zeros), 1);
    EXPECT_EQ(q5.d | q5.dmin, 0);
    for (DType t : {DType::Q6_K, DType::Q8_K}) {
        const auto q = quantize(t, zeros);
        EXPECT_TRUE(std::all_of(q.begin(), q.end(), [](uint8_t v) { return v == 0; })) << dtype_name(t);
    }
}

// Pointers at any byte offset work (blocks are copied, never dereferenced in place)
// and give the same bytes; a row gives the same bytes as its blocks one by one.
TEST(QuantRefProperties, UnalignedBuffersAndBlockwiseCallsAgree) {
    const auto x = make_input(kGauss, 1024);
    for (DType t : kRefTypes) {
        const auto whole = quantize(t, x);
        std::vector<uint8_t> shifted(whole.size() + 3);
        quantize_row_ref(t, x.data(), shifted.data() + 1, 1024);
        EXPECT_EQ(std::memcmp(shifted.data() + 1, whole.data(), whole.size()), 0) << dtype_name(t);

        const int64_t blk = block_of(t);
        const size_t bbytes = row_bytes(t, blk);
        std::vector<uint8_t> blockwise(whole.size());
        for (int64_t i = 0; i < 1024 / blk; ++i)
            quantize_row_ref(t, x.data() + i * blk, blockwise.data() + static_cast<size_t>(i) * bbytes, blk);
        EXPECT_EQ(blockwise, whole) << dtype_name(t);

        std::vector<float> y_shifted(1024 + 1);
        dequantize_row_ref(t, shifted.data() + 1, y_shifted.data() + 1, 1024);
        const auto y = dequantize(t, whole, 1024);
        EXPECT_EQ(std::memcmp(y_shifted.data() + 1, y.data(), y.size() * sizeof(float)), 0) << dtype_name(t);
    }
}

// Per-block worst-case error of the round-to-nearest types. The value is rounded
// against the float scale d but decoded with its f16 rounding d16 (|d - d16| <=
// d16 * 2^-11), which adds up to |q| * d16 * 2^-11; the _1 types' min is also stored
// in f16. Q4_0 / Q5_0 map the extreme to -8 / -16, so a value near +max clamps to
// +7 / +15: up to a whole step.
float f16_slack(float d16, int max_level) { return d16 * static_cast<float>(max_level + 1) / 2048.0f; }

// Largest |x - y| over block i, relative to the allowed bound for it.
float block_error_ratio(DType t, const std::vector<uint8_t>& q, const float* x, const float* y, size_t i) {
    float bound = 0;
    switch (t) {
        case DType::Q8_0: {
            const float d = f16_to_f32(block_at<BlockQ8_0>(q, i).d);
            bound = 0.5f * d + f16_slack(d, 127);
            break;
        }
        case DType::Q8_1: {
            const float d = f16_to_f32(block_at<BlockQ8_1>(q, i).d);
            bound = 0.5f * d + f16_slack(d, 127);
            break;
        }
        case DType::Q4_0: {
            const float d = std::fabs(f16_to_f32(block_at<BlockQ4_0>(q, i).d));
            bound = d + f16_slack(d, 8);
            break;
        }
        case DType::Q5_0: {
            const float d = std::fabs(f16_to_f32(block_at<BlockQ5_0>(q, i).d));
            bound = d + f16_slack(d, 16);
            break;
        }
        case DType::Q4_1: {
            const auto b = block_at<BlockQ4_1>(q, i);
            const float d = f16_to_f32(b.d), m = f16_to_f32(b.m);
            bound = 0.5f * d + f16_slack(d, 15) + std::fabs(m) / 2048.0f;
            break;
        }
        case DType::Q5_1: {
            const auto b = block_at<BlockQ5_1>(q, i);
            const float d = f16_to_f32(b.d), m = f16_to_f32(b.m);
            bound = 0.5f * d + f16_slack(d, 31) + std::fabs(m) / 2048.0f;
            break;
        }
        case DType::Q8_K: bound = 0.5f * std::fabs(block_at<BlockQ8_K>(q, i).d); break;  // float d: exact
        default: return 0;
    }
    const int64_t blk = block_of(t);
    float worst = 0;
    for (int64_t j = 0; j < blk; ++j)
        worst = std::max(worst, std::fabs(x[i * blk + j] - y[i * blk + j]));
    return worst / (bound * (1 + 1e-5f) + 1e-30f);
}

TEST(QuantRefProperties, RoundToNearestTypesStayWithinHalfAStep) {
    for (DType t : {DType::Q8_0, DType::Q8_1, DType::Q4_0, DType::Q5_0, DType::Q4_1, DType::Q5_1, DType::Q8_K}) {
        for (int dist : {kGauss, kUniform, kOutliers, kMixedScale, kPositive, kHalfSteps}) {
            const auto x = make_input(dist, 6144);
            const auto q = quantize(t, x);
            const auto y = dequantize(t, q, 6144);
            float worst = 0;
            for (size_t i = 0; i < 6144 / static_cast<size_t>(block_of(t)); ++i)
                worst = std::max(worst, block_error_ratio(t, q, x.data(), y.data(), i));
            EXPECT_LE(worst, 1.0f) << dtype_name(t) << " / " << dist_name(dist);
        }
    }
}

double relative_rmse(DType t, const std::vector<float>& x) {
    const auto y = dequantize(t, quantize(t, x), static_cast<int64_t>(x.size()));
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        err += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
        ref += static_cast<double>(x[i]) * x[i];
    }
    return std::sqrt(err / ref);
}

// Error on weight-like data: below a ceiling per type (about 1.3x what the reference
// gives today), and falling with every extra bit.
TEST(QuantRefProperties, RelativeErrorShrinksWithBits) {
    const auto x = make_input(kGauss, 6144);
    struct Ceiling {
        DType type;
        double max_rmse;
    };
    const Ceiling kOrder[] = {{DType::Q2_K, 0.37}, {DType::Q3_K, 0.19},  {DType::Q4_K, 0.09},
                              {DType::Q5_K, 0.045}, {DType::Q6_K, 0.022}, {DType::Q8_0, 0.0067}};
    double previous = 1.0;
    for (const auto& c : kOrder) {
        const double e = relative_rmse(c.type, x);
        EXPECT_LT(e, c.max_rmse) << dtype_name(c.type);
        EXPECT_LT(e, previous) << dtype_name(c.type) << " is not better than the type before it";
        previous = e;
    }
    // One scale per 256 values: a little coarser than Q8_0's per 32.
    EXPECT_LT(relative_rmse(DType::Q8_K, x), 0.0081);
    EXPECT_LT(relative_rmse(DType::Q4_1, x), relative_rmse(DType::Q4_0, x) * 1.1);
    EXPECT_LT(relative_rmse(DType::Q5_0, x), relative_rmse(DType::Q4_0, x));
    EXPECT_LT(relative_rmse(DType::Q5_1, x), relative_rmse(DType::Q4_1, x));
    EXPECT_LT(relative_rmse(DType::BF16, x), 4e-3);
    EXPECT_LT(relative_rmse(DType::F16, x), 5e-4);
    EXPECT_EQ(relative_rmse(DType::F32, x), 0.0);
}

// The activation formats' redundant fields agree with their quants.
TEST(QuantRefProperties, ActivationSumsMatchQuants) {
    const auto x = make_input(kOutliers, 2048);
    const auto qk = quantize(DType::Q8_K, x);
    for (size_t i = 0; i < 8; ++i) {
        const auto b = block_at<BlockQ8_K>(qk, i);
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int j = 0; j < 16; ++j) sum += b.qs[16 * g + j];
            EXPECT_EQ(b.bsums[g], sum) << "block " << i << " group " << g;
        }
    }
    const auto q1 = quantize(DType::Q8_1, x);
    for (size_t i = 0; i < 64; ++i) {
        const auto b = block_at<BlockQ8_1>(q1, i);
        int sum = 0;
        for (int8_t v : b.qs) sum += v;
        const float d = f16_to_f32(b.d);
        EXPECT_NEAR(f16_to_f32(b.s), d * static_cast<float>(sum), std::fabs(d * static_cast<float>(sum)) * 2e-3f + 1e-7f)
            << "block " << i;
    }
}

}  // namespace
}  // namespace pareto

#pragma once
// Private helpers shared by the legacy-type kernels (scalar_legacy.cpp, avx2_legacy.cpp,
// avx512_legacy.cpp). Everything here has internal linkage: this header is compiled
// into translation units built with different instruction sets, and an inline
// function with external linkage could be merged across them by the linker (an
// AVX-512 copy would then run on a CPU without it).
//
// Conventions shared by every level (the scalar code in scalar_legacy.cpp is the
// reference the SIMD kernels are tested against):
//   * Q8A activations (BlockQ8A): d = amax / 127 (amax = max |x| over the block's 32
//     values), q = round-half-away-from-zero(x / d) with a true IEEE division (so every
//     level writes the same bytes), clamped to [-127, 127]; an all-zero block has d = 0
//     and q = 0; s = d * sum(q) as one float product.
//   * The dot product of a legacy weight block with a BlockQ8A: the integer part, the
//     sum of w_j * q_j with w_j the block's integers after its offset (q - 8 for Q4_0,
//     q - 16 for Q5_0, q for the others), is exact in int32; the scales are applied in
//     float: dw * da * isum, plus m * s for the _1 types.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "tensor/half.h"
#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

inline uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Decoding of one legacy block into its 32 integers (offset applied), the scale and
// the min (0 for the types without one). `p` points at the block, any alignment.
struct Q4_0Traits {
    static constexpr int kBytes = sizeof(BlockQ4_0);
    static constexpr bool kHasMin = false;
    static void ints(const uint8_t* p, int8_t* w) {
        const uint8_t* qs = p + offsetof(BlockQ4_0, qs);
        for (int j = 0; j < 16; ++j) {
            w[j] = static_cast<int8_t>((qs[j] & 15) - 8);
            w[j + 16] = static_cast<int8_t>((qs[j] >> 4) - 8);
        }
    }
    static float d(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
    static float m(const uint8_t*) { return 0.0f; }
};

struct Q4_1Traits {
    static constexpr int kBytes = sizeof(BlockQ4_1);
    static constexpr bool kHasMin = true;
    static void ints(const uint8_t* p, int8_t* w) {
        const uint8_t* qs = p + offsetof(BlockQ4_1, qs);
        for (int j = 0; j < 16; ++j) {
            w[j] = static_cast<int8_t>(qs[j] & 15);
            w[j + 16] = static_cast<int8_t>(qs[j] >> 4);
        }
    }
    static float d(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
    static float m(const uint8_t* p) { return f16_to_f32(load_u16(p + offsetof(BlockQ4_1, m))); }
};

struct Q5_0Traits {
    static constexpr int kBytes = sizeof(BlockQ5_0);
    static constexpr bool kHasMin = false;
    static void ints(const uint8_t* p, int8_t* w) {
        const uint8_t* qs = p + offsetof(BlockQ5_0, qs);
        const uint32_t qh = load_u32(p + offsetof(BlockQ5_0, qh));
        for (int j = 0; j < 16; ++j) {
            const int lo = (qs[j] & 15) | static_cast<int>(((qh >> j) & 1) << 4);
            const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4);
            w[j] = static_cast<int8_t>(lo - 16);
            w[j + 16] = static_cast<int8_t>(hi - 16);
        }
    }
    static float d(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
    static float m(const uint8_t*) { return 0.0f; }
};

struct Q5_1Traits {
    static constexpr int kBytes = sizeof(BlockQ5_1);
    static constexpr bool kHasMin = true;
    static void ints(const uint8_t* p, int8_t* w) {
        const uint8_t* qs = p + offsetof(BlockQ5_1, qs);
        const uint32_t qh = load_u32(p + offsetof(BlockQ5_1, qh));
        for (int j = 0; j < 16; ++j) {
            w[j] = static_cast<int8_t>((qs[j] & 15) | (((qh >> j) & 1) << 4));
            w[j + 16] = static_cast<int8_t>((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
        }
    }
    static float d(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
    static float m(const uint8_t* p) { return f16_to_f32(load_u16(p + offsetof(BlockQ5_1, m))); }
};

struct Q8_0Traits {
    static constexpr int kBytes = sizeof(BlockQ8_0);
    static constexpr bool kHasMin = false;
    static void ints(const uint8_t* p, int8_t* w) { std::memcpy(w, p + offsetof(BlockQ8_0, qs), 32); }
    static float d(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
    static float m(const uint8_t*) { return 0.0f; }
};

// The product over zero values (the packed paths would write nothing).
inline void zero_output(int64_t n_rows, int64_t n_tok, float* y, int64_t y_stride) {
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t r = 0; r < n_rows; ++r) y[t * y_stride + r] = 0.0f;
}

// Grows a buffer (never shrinks); 64-byte aligned. One per thread and use site.
class Scratch {
public:
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { ::operator delete[](mem_, std::align_val_t{64}); }
    uint8_t* get(size_t bytes) {
        if (bytes > cap_) {
            ::operator delete[](mem_, std::align_val_t{64});
            mem_ = nullptr;
            cap_ = 0;
            const size_t cap = (bytes + 4095) & ~size_t{4095};
            mem_ = static_cast<uint8_t*>(::operator new[](cap, std::align_val_t{64}));
            cap_ = cap;
        }
        return mem_;
    }

private:
    uint8_t* mem_ = nullptr;
    size_t cap_ = 0;
};

}  // namespace
}  // namespace pareto

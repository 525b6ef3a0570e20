#include "compress/quantize.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "compress/hessian.h"
#include "tensor/half.h"
#include "tensor/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {

// ---- float matrices ------------------------------------------------------------------------

FloatMatrix dequantize_matrix(DType type, const uint8_t* bytes, int64_t rows, int64_t cols) {
    const auto row_bytes = dtype_row_bytes(type, static_cast<uint64_t>(cols));
    if (!row_bytes) fail("a row of " + std::to_string(cols) + " values is not a whole number of " + std::string(dtype_name(type)) + " blocks");
    FloatMatrix m(rows, cols);
    for (int64_t r = 0; r < rows; ++r) dequantize_row_ref(type, bytes + static_cast<size_t>(r) * *row_bytes, m.row(r), cols);
    return m;
}

FloatMatrix dequantize_matrix(const GgufTensor& t) {
    if (t.shape.size() != 2) fail("tensor '" + t.name + "' is not a matrix (shape " + t.shape_string() + ")");
    if (!dtype_has_reference(t.type))
        fail("tensor '" + t.name + "' has type " + std::string(dtype_name(t.type)) + ", which Pareto cannot dequantize");
    return dequantize_matrix(t.type, t.data, static_cast<int64_t>(t.shape[1]), static_cast<int64_t>(t.shape[0]));
}

// ---- RTN -------------------------------------------------------------------------------------

std::vector<uint8_t> quantize_rtn(const FloatMatrix& w, DType type, ThreadPool* pool) {
    const auto row_bytes = dtype_row_bytes(type, static_cast<uint64_t>(w.cols));
    if (!row_bytes) fail("rows of " + std::to_string(w.cols) + " values are not whole " + std::string(dtype_name(type)) + " blocks");
    std::vector<uint8_t> out(static_cast<size_t>(w.rows) * *row_bytes);
    auto rows = [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) quantize_row_ref(type, w.row(r), out.data() + static_cast<size_t>(r) * *row_bytes, w.cols);
    };
    if (pool) pool->parallel_for(w.rows, rows, w.rows * w.cols * 64);
    else rows(0, w.rows);
    return out;
}

// ---- block codecs ------------------------------------------------------------------------------
// Every type GPTQ and the weighted search write decodes value i of a block as
// scale * q + offset, with q an integer in [qmin, qmax] and (scale, offset) shared by
// a sub-block of `sub` values. A codec reads those grids from a block's parameters
// and writes levels into its value fields; fitting a block means writing parameters.

namespace {

inline int nearest(float v) { return static_cast<int>(std::lrintf(v)); }

template <class B>
B load(const uint8_t* p) {
    B b;
    std::memcpy(&b, p, sizeof b);
    return b;
}
template <class B>
void store(const B& b, uint8_t* p) {
    std::memcpy(p, &b, sizeof b);
}

struct Codec {
    DType type;
    int block;       // values per block
    int sub;         // values sharing one (scale, offset)
    int qmin, qmax;
    void (*grid)(const uint8_t* blk, float* scale, float* offset);  // [block / sub] each
    void (*pack)(uint8_t* blk, const int* q);                       // levels into the value fields
    // The weighted scale search: writes the block's parameters for values x with
    // weights w (null when the type has none).
    void (*fit_weighted)(const float* x, const float* w, uint8_t* blk);
};

// Value j of a 32-block in the 4-bit types: low nibble of qs[j] (j < 16), high nibble of qs[j - 16].
void pack_nibbles32(uint8_t* qs, const int* q) {
    for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>((q[j] & 15) | ((q[j + 16] & 15) << 4));
}
// The 5th bit of value j of a 32-block: bit j of the little-endian uint32 qh.
void pack_high_bits32(uint8_t* qh, const int* q) {
    uint32_t h = 0;
    for (int j = 0; j < 32; ++j) h |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    for (int i = 0; i < 4; ++i) qh[i] = static_cast<uint8_t>(h >> (8 * i));
}

// K-type 6-bit scales and mins of sub-block j (Q4_K / Q5_K layout).
void k4_scale_min(const uint8_t* s, int j, int* sc, int* mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}
void k4_pack_scales(const int* sc, const int* mn, uint8_t* s) {
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
        s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((mn[j + 4] & 0x0f) << 4));
    }
}

// ---- the weighted searches (own formulation; see docs/compression-plan.md) ----

// Symmetric: x ~ d * l, l integer in [-nneg, npos]. Candidate inverse scales put the
// extreme value near -nneg (and, for a symmetric range, near +npos); for each, the
// levels are rounded and d refitted by weighted least squares; the least weighted
// squared error wins. Returns d (it may be negative: the extreme value's sign).
float fit_signed_weighted(const float* x, const float* w, int n, int nneg, int npos) {
    float amax = 0, extreme = 0;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            extreme = x[i];
        }
    if (amax == 0) return 0;
    float best_d = extreme / static_cast<float>(-nneg), best_err = INFINITY;
    auto try_iscale = [&](float iscale) {
        double swxl = 0, swll = 0;
        int l[256];
        for (int i = 0; i < n; ++i) {
            l[i] = std::clamp(nearest(iscale * x[i]), -nneg, npos);
            swxl += static_cast<double>(w[i]) * x[i] * l[i];
            swll += static_cast<double>(w[i]) * l[i] * l[i];
        }
        if (!(swll > 0)) return;
        const auto d = static_cast<float>(swxl / swll);
        double err = 0;
        for (int i = 0; i < n; ++i) {
            const double e = x[i] - d * static_cast<float>(l[i]);
            err += w[i] * e * e;
        }
        if (err < best_err) {
            best_err = static_cast<float>(err);
            best_d = d;
        }
    };
    for (int k = -10; k <= 10; ++k) {
        try_iscale(-(static_cast<float>(nneg) + 0.1f * static_cast<float>(k)) / extreme);
        if (npos + 1 >= nneg) try_iscale((static_cast<float>(npos) + 0.1f * static_cast<float>(k)) / extreme);
    }
    return best_d;
}

// Affine: x ~ s * l - m with l in [0, nmax], s >= 0, m >= 0 (the K types' sub-blocks).
// Candidate level spacings over [min(x, 0), max(x)], each refitted by weighted least
// squares for (s, m). Returns s, writes m.
float fit_affine_weighted(const float* x, const float* w, int n, int nmax, float* m_out) {
    float lo = 0, hi = x[0];
    for (int i = 0; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
    }
    *m_out = -lo;
    if (hi <= lo) return 0;
    double sw = 0, swx = 0;
    for (int i = 0; i < n; ++i) {
        sw += w[i];
        swx += static_cast<double>(w[i]) * x[i];
    }
    float best_s = (hi - lo) / static_cast<float>(nmax), best_m = -lo;
    double best_err = INFINITY;
    for (int k = 0; k <= 24; ++k) {
        const float iscale = (static_cast<float>(nmax) - 1.2f + 0.1f * static_cast<float>(k)) / (hi - lo);
        int l[32];
        double swl = 0, swll = 0, swxl = 0;
        for (int i = 0; i < n; ++i) {
            l[i] = std::clamp(nearest(iscale * (x[i] - lo)), 0, nmax);
            swl += static_cast<double>(w[i]) * l[i];
            swll += static_cast<double>(w[i]) * l[i] * l[i];
            swxl += static_cast<double>(w[i]) * l[i] * x[i];
        }
        const double det = sw * swll - swl * swl;
        if (!(det > 0)) continue;
        double s = (sw * swxl - swx * swl) / det;
        double b = (swll * swx - swl * swxl) / det;  // the offset, x ~ s * l + b
        if (b > 0) {                                 // the offset can only lower values
            b = 0;
            s = swxl / swll;
        }
        if (s <= 0) continue;
        double err = 0;
        for (int i = 0; i < n; ++i) {
            const double e = x[i] - (s * l[i] + b);
            err += w[i] * e * e;
        }
        if (err < best_err) {
            best_err = err;
            best_s = static_cast<float>(s);
            best_m = static_cast<float>(-b);
        }
    }
    *m_out = best_m;
    return best_s;
}

// Weighted squared error of a sub-block on the grid (scale, offset), levels rounded.
double grid_error(const float* x, const float* w, int n, float scale, float offset, int qmin, int qmax) {
    double err = 0;
    for (int i = 0; i < n; ++i) {
        const int q = scale != 0 ? std::clamp(nearest((x[i] - offset) / scale), qmin, qmax) : qmin;
        const double e = x[i] - (scale * static_cast<float>(q) + offset);
        err += w[i] * e * e;
    }
    return err;
}

// ---- Q4_0, Q5_0, Q8_0, Q4_1, Q5_1 ----

void grid_q4_0(const uint8_t* p, float* s, float* o) {
    const float d = f16_to_f32(load<BlockQ4_0>(p).d);
    s[0] = d;
    o[0] = -8 * d;
}
void pack_q4_0(uint8_t* p, const int* q) {
    auto b = load<BlockQ4_0>(p);
    pack_nibbles32(b.qs, q);
    store(b, p);
}
void fit_q4_0(const float* x, const float* w, uint8_t* p) {
    BlockQ4_0 b{};
    b.d = f32_to_f16(fit_signed_weighted(x, w, 32, 8, 7));
    store(b, p);
}

void grid_q5_0(const uint8_t* p, float* s, float* o) {
    const float d = f16_to_f32(load<BlockQ5_0>(p).d);
    s[0] = d;
    o[0] = -16 * d;
}
void pack_q5_0(uint8_t* p, const int* q) {
    auto b = load<BlockQ5_0>(p);
    pack_nibbles32(b.qs, q);
    pack_high_bits32(b.qh, q);
    store(b, p);
}
void fit_q5_0(const float* x, const float* w, uint8_t* p) {
    BlockQ5_0 b{};
    b.d = f32_to_f16(fit_signed_weighted(x, w, 32, 16, 15));
    store(b, p);
}

void grid_q8_0(const uint8_t* p, float* s, float* o) {
    s[0] = f16_to_f32(load<BlockQ8_0>(p).d);
    o[0] = 0;
}
void pack_q8_0(uint8_t* p, const int* q) {
    auto b = load<BlockQ8_0>(p);
    for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(q[j]);
    store(b, p);
}
void fit_q8_0(const float* x, const float* w, uint8_t* p) {
    BlockQ8_0 b{};
    b.d = f32_to_f16(fit_signed_weighted(x, w, 32, 127, 127));
    store(b, p);
}

void grid_q4_1(const uint8_t* p, float* s, float* o) {
    const auto b = load<BlockQ4_1>(p);
    s[0] = f16_to_f32(b.d);
    o[0] = f16_to_f32(b.m);
}
void pack_q4_1(uint8_t* p, const int* q) {
    auto b = load<BlockQ4_1>(p);
    pack_nibbles32(b.qs, q);
    store(b, p);
}
void grid_q5_1(const uint8_t* p, float* s, float* o) {
    const auto b = load<BlockQ5_1>(p);
    s[0] = f16_to_f32(b.d);
    o[0] = f16_to_f32(b.m);
}
void pack_q5_1(uint8_t* p, const int* q) {
    auto b = load<BlockQ5_1>(p);
    pack_nibbles32(b.qs, q);
    pack_high_bits32(b.qh, q);
    store(b, p);
}

// ---- Q4_K, Q5_K ----

template <class B>
void grid_k4(const uint8_t* p, float* s, float* o) {
    const auto b = load<B>(p);
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int j = 0; j < 8; ++j) {
        int sc, mn;
        k4_scale_min(b.scales, j, &sc, &mn);
        s[j] = d * static_cast<float>(sc);
        o[j] = -dmin * static_cast<float>(mn);
    }
}
// Value 64c + l of the super-block: low nibble of qs[32c + l] (l < 32), high nibble of qs[32c + l - 32].
void pack_k4_nibbles(uint8_t* qs, const int* q) {
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            qs[32 * c + l] = static_cast<uint8_t>((q[64 * c + l] & 15) | ((q[64 * c + 32 + l] & 15) << 4));
}
void pack_q4_K(uint8_t* p, const int* q) {
    auto b = load<BlockQ4_K>(p);
    pack_k4_nibbles(b.qs, q);
    store(b, p);
}
void pack_q5_K(uint8_t* p, const int* q) {
    auto b = load<BlockQ5_K>(p);
    pack_k4_nibbles(b.qs, q);
    std::memset(b.qh, 0, sizeof b.qh);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            b.qh[l] = static_cast<uint8_t>(b.qh[l] | (((q[64 * c + l] >> 4) & 1) << (2 * c)) |
                                           (((q[64 * c + 32 + l] >> 4) & 1) << (2 * c + 1)));
    store(b, p);
}
// Sub-block scales and mins searched per 32 values, then quantized to 6 bits against
// f16 super-scales; each sub-block then tries its 6-bit neighbours, keeping the pair
// with the least weighted error.
template <class B, int NMAX>
void fit_k4(const float* x, const float* w, uint8_t* p) {
    float s[8], m[8], smax = 0, mmax = 0;
    for (int j = 0; j < 8; ++j) {
        s[j] = fit_affine_weighted(x + 32 * j, w + 32 * j, 32, NMAX, &m[j]);
        smax = std::max(smax, s[j]);
        mmax = std::max(mmax, m[j]);
    }
    B b{};
    b.d = f32_to_f16(smax / 63);
    b.dmin = f32_to_f16(mmax / 63);
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    int sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
        const int sc0 = d > 0 ? std::clamp(nearest(s[j] / d), 0, 63) : 0;
        const int mn0 = dmin > 0 ? std::clamp(nearest(m[j] / dmin), 0, 63) : 0;
        sc[j] = sc0;
        mn[j] = mn0;
        double best = INFINITY;
        for (int ds = -1; ds <= 1; ++ds)
            for (int dm = -1; dm <= 1; ++dm) {
                const int a = sc0 + ds, c = mn0 + dm;
                if (a < 0 || a > 63 || c < 0 || c > 63) continue;
                const double e = grid_error(x + 32 * j, w + 32 * j, 32, d * static_cast<float>(a),
                                            -dmin * static_cast<float>(c), 0, NMAX);
                if (e < best) {
                    best = e;
                    sc[j] = a;
                    mn[j] = c;
                }
            }
    }
    k4_pack_scales(sc, mn, b.scales);
    store(b, p);
}

// ---- Q6_K ----

void grid_q6_K(const uint8_t* p, float* s, float* o) {
    const auto b = load<BlockQ6_K>(p);
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
        s[j] = d * static_cast<float>(b.scales[j]);
        o[j] = -32 * s[j];
    }
}
// Per 128-value half h: ql holds low nibbles (values l and l+64 in byte l, l+32 and
// l+96 in byte l+32), qh the top two bits of l, l+32, l+64, l+96 at bits 0, 2, 4, 6.
void pack_q6_K(uint8_t* p, const int* q) {
    auto b = load<BlockQ6_K>(p);
    for (int h = 0; h < 2; ++h) {
        const int* v = q + 128 * h;
        uint8_t* ql = b.ql + 64 * h;
        uint8_t* qh = b.qh + 32 * h;
        for (int l = 0; l < 32; ++l) {
            ql[l] = static_cast<uint8_t>((v[l] & 15) | ((v[l + 64] & 15) << 4));
            ql[l + 32] = static_cast<uint8_t>((v[l + 32] & 15) | ((v[l + 96] & 15) << 4));
            qh[l] = static_cast<uint8_t>(((v[l] >> 4) & 3) | (((v[l + 32] >> 4) & 3) << 2) |
                                         (((v[l + 64] >> 4) & 3) << 4) | (((v[l + 96] >> 4) & 3) << 6));
        }
    }
    store(b, p);
}
void fit_q6_K(const float* x, const float* w, uint8_t* p) {
    float s[16], smax = 0, extreme = 0;
    for (int j = 0; j < 16; ++j) {
        s[j] = fit_signed_weighted(x + 16 * j, w + 16 * j, 16, 32, 31);
        if (std::fabs(s[j]) > smax) {
            smax = std::fabs(s[j]);
            extreme = s[j];
        }
    }
    BlockQ6_K b{};
    if (smax > 0) {
        const float iscale = -128.0f / extreme;
        b.d = f32_to_f16(1 / iscale);
        for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(std::clamp(nearest(iscale * s[j]), -128, 127));
    }
    store(b, p);
}

constexpr Codec kCodecs[] = {
    {DType::Q4_0, 32, 32, 0, 15, grid_q4_0, pack_q4_0, fit_q4_0},
    {DType::Q5_0, 32, 32, 0, 31, grid_q5_0, pack_q5_0, fit_q5_0},
    // -127..127: the extreme level -128 is avoided, as llama.cpp's quantizer does
    // (some integer dot-product kernels take |q| with 8-bit sign tricks).
    {DType::Q8_0, 32, 32, -127, 127, grid_q8_0, pack_q8_0, fit_q8_0},
    {DType::Q4_1, 32, 32, 0, 15, grid_q4_1, pack_q4_1, nullptr},
    {DType::Q5_1, 32, 32, 0, 31, grid_q5_1, pack_q5_1, nullptr},
    {DType::Q4_K, 256, 32, 0, 15, grid_k4<BlockQ4_K>, pack_q4_K, fit_k4<BlockQ4_K, 15>},
    {DType::Q5_K, 256, 32, 0, 31, grid_k4<BlockQ5_K>, pack_q5_K, fit_k4<BlockQ5_K, 31>},
    {DType::Q6_K, 256, 16, 0, 63, grid_q6_K, pack_q6_K, fit_q6_K},
};

const Codec* find_codec(DType t) {
    for (const Codec& c : kCodecs)
        if (c.type == t) return &c;
    return nullptr;
}

// The level of x on a grid; the level nearest zero for pruned weights.
inline int level_of(const Codec& c, float x, float scale, float offset) {
    if (scale == 0) return std::clamp(0, c.qmin, c.qmax);
    return std::clamp(nearest((x - offset) / scale), c.qmin, c.qmax);
}

// One row's blocks: parameters fitted per block (reference search or weighted), then
// every value rounded onto its block's grid.
void quantize_row_fitted(const Codec& c, const float* x, const float* importance, const uint8_t* mask, int64_t n,
                         uint8_t* dst, size_t block_bytes) {
    float scale[32], offset[32];
    int q[256];
    float xb[256], wb[256];
    for (int64_t b0 = 0; b0 < n; b0 += c.block) {
        uint8_t* blk = dst + static_cast<size_t>(b0 / c.block) * block_bytes;
        for (int i = 0; i < c.block; ++i) {
            xb[i] = mask && mask[b0 + i] ? 0.0f : x[b0 + i];
            wb[i] = importance[b0 + i];
        }
        // All-zero importance (columns no input reached): weight uniformly.
        float wsum = 0;
        for (int i = 0; i < c.block; ++i) wsum += wb[i];
        if (!(wsum > 0)) std::fill(wb, wb + c.block, 1.0f);
        c.fit_weighted(xb, wb, blk);
        c.grid(blk, scale, offset);
        for (int i = 0; i < c.block; ++i) {
            const int s = i / c.sub;
            q[i] = mask && mask[b0 + i] ? level_of(c, 0.0f, scale[s], offset[s]) : level_of(c, xb[i], scale[s], offset[s]);
        }
        c.pack(blk, q);
    }
}

}  // namespace

bool has_weighted_fit(DType type) {
    const Codec* c = find_codec(type);
    return c && c->fit_weighted;
}

std::vector<uint8_t> quantize_weighted(const FloatMatrix& w, DType type, const std::vector<float>& importance,
                                       const PruneMask* mask, ThreadPool* pool) {
    if (static_cast<int64_t>(importance.size()) != w.cols)
        fail("importance has " + std::to_string(importance.size()) + " columns, the matrix " + std::to_string(w.cols));
    const Codec* c = find_codec(type);
    if (!c || !c->fit_weighted) return quantize_rtn(w, type, pool);
    const auto row_bytes = dtype_row_bytes(type, static_cast<uint64_t>(w.cols));
    if (!row_bytes) fail("rows of " + std::to_string(w.cols) + " values are not whole " + std::string(dtype_name(type)) + " blocks");
    const size_t block_bytes = dtype_info(type).block_bytes;
    std::vector<uint8_t> out(static_cast<size_t>(w.rows) * *row_bytes);
    const uint8_t* m = mask && !mask->empty() ? mask->data() : nullptr;
    auto rows = [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            quantize_row_fitted(*c, w.row(r), importance.data(), m ? m + r * w.cols : nullptr, w.cols,
                                out.data() + static_cast<size_t>(r) * *row_bytes, block_bytes);
    };
    if (pool) pool->parallel_for(w.rows, rows, w.rows * w.cols * 512);
    else rows(0, w.rows);
    return out;
}

// ---- GPTQ ------------------------------------------------------------------------------------

std::vector<uint8_t> quantize_gptq(const FloatMatrix& w, DType type, const InputStats& stats,
                                   const GptqSettings& settings, const PruneMask* mask, GptqReport* report) {
    const Codec* codec = find_codec(type);
    if (!codec) fail("GPTQ cannot write " + std::string(dtype_name(type)));
    if (!stats.has_hessian()) fail("GPTQ needs the calibration Hessian of the matrix's input");
    if (stats.cols != w.cols)
        fail("GPTQ: the Hessian is " + std::to_string(stats.cols) + " wide, the matrix has " + std::to_string(w.cols) + " columns");
    const auto row_bytes = dtype_row_bytes(type, static_cast<uint64_t>(w.cols));
    if (!row_bytes) fail("rows of " + std::to_string(w.cols) + " values are not whole " + std::string(dtype_name(type)) + " blocks");
    const int64_t R = w.rows, C = w.cols, QB = codec->block;
    const size_t block_bytes = dtype_info(type).block_bytes;
    const uint8_t* m = mask && !mask->empty() ? mask->data() : nullptr;

    using Mat = Eigen::MatrixXd;  // column-major: GPTQ walks columns
    Mat W(R, C);
    for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) W(r, c) = m && m[r * C + c] ? 0.0 : static_cast<double>(w.at(r, c));
    Mat H = Eigen::Map<const Mat>(stats.hessian.data(), C, C);

    GptqReport rep;
    rep.dead_columns = hessian::fix_dead_columns(H, [&](int64_t c) { W.col(c).setZero(); });
    // Importance for the per-block scale search: the Hessian diagonal (what each
    // column's error costs on its own).
    std::vector<float> diag(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) diag[static_cast<size_t>(c)] = static_cast<float>(H(c, c));

    std::vector<int64_t> perm(static_cast<size_t>(C));
    std::iota(perm.begin(), perm.end(), 0);
    if (settings.act_order)
        std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return H(a, a) > H(b, b); });

    std::vector<uint8_t> out(static_cast<size_t>(R) * *row_bytes);
    std::vector<float> scale(static_cast<size_t>(R * C)), offset(static_cast<size_t>(R * C));  // per weight, original order
    std::vector<int> levels(static_cast<size_t>(R * C));
    // Fits block (row r, first column c0) from the current weights. Only called while
    // W's columns are in their natural order (before the act-order permutation, or
    // without one).
    auto fit_block = [&](int64_t r, int64_t c0) {
        float xb[256], wb[256], s[32], o[32];
        for (int64_t i = 0; i < QB; ++i) {
            // Pruned weights will be zero whatever the updates moved them to.
            const bool pruned = m && m[static_cast<size_t>(r * C + c0 + i)];
            xb[i] = pruned ? 0.0f : static_cast<float>(W(r, c0 + i));
            wb[i] = diag[static_cast<size_t>(c0 + i)];
        }
        float wsum = 0;
        for (int64_t i = 0; i < QB; ++i) wsum += wb[i];
        if (!(wsum > 0)) std::fill(wb, wb + QB, 1.0f);
        uint8_t* blk = out.data() + static_cast<size_t>(r) * *row_bytes + static_cast<size_t>(c0 / QB) * block_bytes;
        if (codec->fit_weighted) codec->fit_weighted(xb, wb, blk);
        else quantize_row_ref(type, xb, blk, QB);
        codec->grid(blk, s, o);
        for (int64_t i = 0; i < QB; ++i) {
            scale[static_cast<size_t>(r * C + c0 + i)] = s[i / codec->sub];
            offset[static_cast<size_t>(r * C + c0 + i)] = o[i / codec->sub];
        }
    };

    if (settings.act_order) {
        // Static groups: every block's scales from the original weights, up front.
        for (int64_t r = 0; r < R; ++r)
            for (int64_t c0 = 0; c0 < C; c0 += QB) fit_block(r, c0);
        Mat Wp(R, C), Hp(C, C);
        for (int64_t i = 0; i < C; ++i) Wp.col(i) = W.col(perm[static_cast<size_t>(i)]);
        for (int64_t i = 0; i < C; ++i)
            for (int64_t j = 0; j < C; ++j) Hp(i, j) = H(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
        W = std::move(Wp);
        H = std::move(Hp);
    }

    double damp = settings.damp;
    const Mat U = hessian::inverse_cholesky_upper(H, damp);
    rep.damp = damp;

    // Lazy batch updates: columns are processed in blocks of B (a whole number of
    // quantization blocks, so a block's scales are fitted after every update before
    // it); within a block each column's error is spread at once, and the rest of the
    // matrix gets the whole block's errors in one product.
    const int64_t B = std::max<int64_t>(QB, (settings.block_size + QB - 1) / QB * QB);
    for (int64_t i1 = 0; i1 < C; i1 += B) {
        const int64_t i2 = std::min(i1 + B, C), count = i2 - i1;
        Mat Err(R, count);
        for (int64_t i = i1; i < i2; ++i) {
            const int64_t col = perm[static_cast<size_t>(i)];
            if (!settings.act_order && col % QB == 0)
                for (int64_t r = 0; r < R; ++r) fit_block(r, col);
            const double u = U(i, i);
            for (int64_t r = 0; r < R; ++r) {
                const size_t k = static_cast<size_t>(r * C + col);
                const bool pruned = m && m[k];
                const float x = pruned ? 0.0f : static_cast<float>(W(r, i));
                const int q = level_of(*codec, x, scale[k], offset[k]);
                levels[k] = q;
                const double deq = static_cast<double>(scale[k]) * q + offset[k];
                Err(r, i - i1) = (W(r, i) - deq) / u;
            }
            if (i + 1 < i2)
                W.block(0, i + 1, R, i2 - i - 1).noalias() -= Err.col(i - i1) * U.block(i, i + 1, 1, i2 - i - 1);
        }
        if (i2 < C) W.rightCols(C - i2).noalias() -= Err * U.block(i1, i2, count, C - i2);
    }

    int q[256];
    for (int64_t r = 0; r < R; ++r)
        for (int64_t c0 = 0; c0 < C; c0 += QB) {
            for (int64_t i = 0; i < QB; ++i) q[i] = levels[static_cast<size_t>(r * C + c0 + i)];
            codec->pack(out.data() + static_cast<size_t>(r) * *row_bytes + static_cast<size_t>(c0 / QB) * block_bytes, q);
        }
    if (report) *report = rep;
    return out;
}

double relative_output_error(const FloatMatrix& w, const FloatMatrix& q, const InputStats& stats) {
    if (!stats.has_hessian() || stats.cols != w.cols || q.rows != w.rows || q.cols != w.cols)
        fail("relative_output_error: shapes or Hessian do not match");
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::MatrixXd W = Eigen::Map<const RowMajor>(w.data.data(), w.rows, w.cols).cast<double>();
    const Eigen::MatrixXd Q = Eigen::Map<const RowMajor>(q.data.data(), q.rows, q.cols).cast<double>();
    const Eigen::Map<const Eigen::MatrixXd> H(stats.hessian.data(), w.cols, w.cols);
    const Eigen::MatrixXd D = W - Q;
    const double num = (D * H).cwiseProduct(D).sum();
    const double den = (W * H).cwiseProduct(W).sum();
    return den > 0 ? num / den : 0.0;
}

}  // namespace pareto

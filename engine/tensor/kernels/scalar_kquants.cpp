// K-quant matrix products (Q2_K .. Q6_K against Q8_K activations) and the Q8_K
// activation quantizer: the scalar reference every SIMD level is tested against.
//
// Per weight block and token the dot product is formed as kquants_common.h writes it:
// integer sub-block dot products, weighted by the integer sub-block scales, summed
// exactly in int32 (isum); the min/offset terms from the activation's bsums, also in
// int32 (imin; the Q3_K/Q6_K offsets are folded into isum since they share d); then
// in float y += (da * d) * isum - (da * dmin) * imin, block by block in order.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>

#include "tensor/kernels.h"
#include "tensor/kernels/kquants_common.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

void quantize_q8k(const float* x, uint8_t* out, int64_t n) {
    for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K, out += sizeof(BlockQ8_K)) {
        BlockQ8_K blk;
        float amax = 0.0f;
        for (int i = 0; i < kQK_K; ++i) amax = std::fmax(amax, std::fabs(x[i]));
        const float id = kq_q8k_inv(amax);
        blk.d = amax / 127.0f;
        for (int i = 0; i < kQK_K; ++i) {
            const float v = std::fmin(std::fmax(x[i] * id, -127.0f), 127.0f);
            blk.qs[i] = static_cast<int8_t>(std::nearbyint(v));
        }
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 0; i < 16; ++i) s += blk.qs[16 * j + i];
            blk.bsums[j] = static_cast<int16_t>(s);
        }
        std::memcpy(out, &blk, sizeof blk);
    }
}

template <class Block, void (*Decode)(const Block&, KDecoded&)>
void gemm_kq(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
             int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / kQK_K;
    std::unique_ptr<float[]> acc(new float[static_cast<size_t>(n_tok > 0 ? n_tok : 1)]);
    KDecoded dec;
    BlockQ8_K act;
    Block blk;
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t* wr = w + static_cast<size_t>(r) * w_stride;
        for (int64_t t = 0; t < n_tok; ++t) acc[t] = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
            std::memcpy(&blk, wr + static_cast<size_t>(b) * sizeof(Block), sizeof blk);
            Decode(blk, dec);
            for (int64_t t = 0; t < n_tok; ++t) {
                std::memcpy(&act, a + static_cast<size_t>(t) * a_stride + static_cast<size_t>(b) * sizeof(BlockQ8_K),
                            sizeof act);
                int32_t isum = 0, imin = 0;
                for (int j = 0; j < 16; ++j) {
                    int32_t dot = 0;
                    for (int i = 16 * j; i < 16 * j + 16; ++i) dot += static_cast<int32_t>(dec.q[i]) * act.qs[i];
                    isum += dec.sc[j] * (dot - dec.off * act.bsums[j]);
                    imin += dec.mn[j] * act.bsums[j];
                }
                acc[t] += (act.d * dec.d) * static_cast<float>(isum) - (act.d * dec.dmin) * static_cast<float>(imin);
            }
        }
        for (int64_t t = 0; t < n_tok; ++t) y[t * y_stride + r] = acc[t];
    }
}

}  // namespace

void kernel_registry::scalar_kquants(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::Q2_K)] = gemm_kq<BlockQ2_K, kq_decode_q2_K>;
    t.gemm[static_cast<size_t>(DType::Q3_K)] = gemm_kq<BlockQ3_K, kq_decode_q3_K>;
    t.gemm[static_cast<size_t>(DType::Q4_K)] = gemm_kq<BlockQ4_K, kq_decode_q4_K>;
    t.gemm[static_cast<size_t>(DType::Q5_K)] = gemm_kq<BlockQ5_K, kq_decode_q5_K>;
    t.gemm[static_cast<size_t>(DType::Q6_K)] = gemm_kq<BlockQ6_K, kq_decode_q6_K>;
    t.quantize_act[static_cast<size_t>(ActFormat::Q8K)] = quantize_q8k;
}

}  // namespace pareto

// matmul_group (tensor/ops.h): products that share an input, run as one job, give
// exactly what separate matmul() calls give, for weights of different types and
// activation formats in one group, at every thread count and batch size, writing
// only their own rows.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/ops.h"
#include "tensor/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

constexpr float kSentinel = -12345.678f;

// A weight of `rows` x `cols` in `type`, from normal values, owning its bytes.
struct OwnedWeight {
    std::vector<uint8_t> bytes;
    WeightMatrix m;
    OwnedWeight(DType type, int64_t rows, int64_t cols, uint32_t seed) {
        const auto& info = dtype_info(type);
        const size_t row_bytes = static_cast<size_t>(cols / info.block_elems) * info.block_bytes;
        bytes.resize(row_bytes * static_cast<size_t>(rows));
        std::mt19937 rng(seed);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = 0; r < rows; ++r) {
            for (float& v : row) v = nd(rng);
            quantize_row_ref(type, row.data(), bytes.data() + static_cast<size_t>(r) * row_bytes, cols);
        }
        m = WeightMatrix{bytes.data(), type, rows, cols, row_bytes};
    }
};

TEST(MatmulGroup, EqualsSeparateProductsForMixedTypesThreadsAndBatches) {
    constexpr int64_t kCols = 512;
    // Like a Q4_K_M file's q, k and v: block types and a K-quant (Q8A and Q8K inputs).
    const OwnedWeight q(DType::Q4_0, 96, kCols, 1), k(DType::Q8_0, 32, kCols, 2), v(DType::Q4_K, 40, kCols, 3);
    const OwnedWeight* weights[] = {&q, &k, &v};
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (int64_t n_tok : {1, 5, 130}) {
            std::mt19937 rng(static_cast<uint32_t>(n_tok));
            std::normal_distribution<float> nd(0.0f, 1.0f);
            std::vector<float> x(static_cast<size_t>(n_tok * kCols));
            for (float& e : x) e = nd(rng);
            // Separate products, and the group; output rows strided wider than the
            // matrix so that writes past a matrix's rows would show.
            std::vector<std::vector<float>> want(3), got(3);
            MatmulTarget targets[3];
            for (size_t i = 0; i < 3; ++i) {
                const WeightMatrix& w = weights[i]->m;
                const int64_t stride = w.rows + 3;
                want[i].assign(static_cast<size_t>(n_tok * stride), kSentinel);
                got[i].assign(static_cast<size_t>(n_tok * stride), kSentinel);
                MatmulInput in;
                in.set(x.data(), n_tok, kCols);
                matmul(pool, w, in, want[i].data(), stride);
                targets[i] = MatmulTarget{&w, got[i].data(), stride};
            }
            MatmulInput in;
            in.set(x.data(), n_tok, kCols);
            matmul_group(pool, targets, in);
            for (size_t i = 0; i < 3; ++i) {
                const int64_t rows = weights[i]->m.rows, stride = rows + 3;
                for (int64_t t = 0; t < n_tok; ++t)
                    for (int64_t r = 0; r < stride; ++r) {
                        const float g = got[i][static_cast<size_t>(t * stride + r)];
                        if (r < rows)
                            ASSERT_EQ(g, want[i][static_cast<size_t>(t * stride + r)])
                                << "matrix " << i << " token " << t << " row " << r << ", " << threads << " threads";
                        else
                            ASSERT_EQ(g, kSentinel) << "matrix " << i << " wrote past its rows";
                    }
            }
        }
    }
}

TEST(MatmulGroup, ShapeMismatchAndOversizedGroupsAreErrors) {
    const OwnedWeight a(DType::Q8_0, 8, 64, 1), b(DType::Q8_0, 8, 96, 2);
    ThreadPool pool(2);
    std::vector<float> x(64, 1.0f), y(8);
    MatmulInput in;
    in.set(x.data(), 1, 64);
    const MatmulTarget mismatched[] = {{&a.m, y.data(), 8}, {&b.m, y.data(), 8}};
    try {
        matmul_group(pool, mismatched, in);
        FAIL() << "a 96-column weight took a 64-column input";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("96"), std::string::npos) << e.what();
    }
    const MatmulTarget five[] = {{&a.m, y.data(), 8}, {&a.m, y.data(), 8}, {&a.m, y.data(), 8},
                                 {&a.m, y.data(), 8}, {&a.m, y.data(), 8}};
    EXPECT_THROW(matmul_group(pool, five, in), Error);
}

}  // namespace
}  // namespace pareto

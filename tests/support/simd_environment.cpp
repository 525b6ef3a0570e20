// Linked into every test program: when PARETO_SIMD names a kernel level this CPU
// (or build) lacks, the whole program is skipped instead of failing, so the same
// per-level ctest entries run on any machine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tensor/kernels.h"

namespace {

class SimdEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        const char* env = std::getenv("PARETO_SIMD");
        if (!env || !*env) return;
        for (auto level : {pareto::SimdLevel::Scalar, pareto::SimdLevel::AVX2, pareto::SimdLevel::AVX512,
                           pareto::SimdLevel::AVX512_VNNI, pareto::SimdLevel::NEON})
            if (pareto::simd_name(level) == env) {
                if (!pareto::simd_supported(level)) GTEST_SKIP() << "PARETO_SIMD=" << env << " is not supported here";
                return;
            }
        FAIL() << "PARETO_SIMD=" << env << " names no kernel level";
    }
};

const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new SimdEnvironment);

}  // namespace

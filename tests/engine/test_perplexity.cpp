// Perplexity by llama.cpp's method, against llama.cpp's own numbers on stories260K.
// Pareto keeps its KV cache in F32; llama.cpp's reference runs used F16.
#include <gtest/gtest.h>

#include <ostream>

#include "eval/perplexity.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto {
namespace {

TEST(Perplexity, Stories260KContext256MatchesLlamaCpp) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 256;
    const PerplexityResult r = perplexity(*model, test::read_text_file(text_path), p);
    EXPECT_EQ(r.n_chunks, 1535);  // llama.cpp: 1535 chunks
    EXPECT_EQ(r.n_scored, 1535 * 127);
    const double reference = 4.8752;  // llama-perplexity -c 256 -b 256
    EXPECT_NEAR(r.ppl, reference, 0.01 * reference) << "PPL " << r.ppl << " +/- " << r.ppl_error;
    EXPECT_NEAR(r.ppl_error, 0.02346, 0.002);
}

TEST(Perplexity, Stories260KContext128MatchesLlamaCpp) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 128;
    const PerplexityResult r = perplexity(*model, test::read_text_file(text_path), p);
    EXPECT_EQ(r.n_chunks, 3070);
    EXPECT_NEAR(r.ppl, 4.9693, 0.01 * 4.9693) << "PPL " << r.ppl << " +/- " << r.ppl_error;
}

// llama.cpp's quantizations of stories260K, its perplexity for each at -c 128 (whole
// file; ../shared/models/quantized/README.md). Mixed files: ffn_down stays F16.
struct QuantizedCase {
    const char* file;
    double llama_cpp_ppl;
};

void PrintTo(const QuantizedCase& c, std::ostream* os) { *os << c.file; }  // readable test names

class QuantizedPerplexity : public ::testing::TestWithParam<QuantizedCase> {};

TEST_P(QuantizedPerplexity, MatchesLlamaCppWithinOnePercent) {
    PARETO_REQUIRE_DATA(model_path, std::string("models/quantized/") + GetParam().file);
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 128;
    const PerplexityResult r = perplexity(*model, test::read_text_file(text_path), p);
    EXPECT_EQ(r.n_chunks, 3070);
    const double ref = GetParam().llama_cpp_ppl;
    EXPECT_NEAR(r.ppl, ref, 0.01 * ref) << GetParam().file << ": PPL " << r.ppl << " +/- " << r.ppl_error;
}

INSTANTIATE_TEST_SUITE_P(Stories260K, QuantizedPerplexity,
                         ::testing::Values(QuantizedCase{"stories260K-Q8_0.gguf", 4.9763},
                                           QuantizedCase{"stories260K-Q4_0.gguf", 5.2613},
                                           QuantizedCase{"stories260K-Q4_K_M.gguf", 5.0597}),
                         [](const auto& param_info) {
                             std::string n = param_info.param.file;
                             return n.substr(12, n.size() - 12 - 5);  // "Q8_0", "Q4_0", "Q4_K_M"
                         });

TEST(Perplexity, TooShortTextIsAClearError) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 256;
    try {
        perplexity(*model, "Once upon a time.", p);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs at least"), std::string::npos) << e.what();
    }
    EXPECT_THROW(perplexity(*model, "", p), Error);
}

TEST(Perplexity, ProgressCanCancel) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 64;
    int calls = 0;
    p.progress = [&](int64_t, int64_t, double) { return ++calls < 3; };
    EXPECT_THROW(perplexity(*model, test::read_text_file(text_path), p), Cancelled);
    EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace pareto

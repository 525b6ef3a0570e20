// The baseline comparison (llama-perplexity's KL-divergence mode): the per-position
// math against hand-computed values, a model against itself (exactly no change),
// stories260K against llama.cpp's own quantizations of it, and llama.cpp's numbers
// for the same comparison (docs/results.md).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/synth.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto {
namespace {

constexpr const char* kModel = "models/stories260K.gguf";
constexpr const char* kText = "data/tinystories/tinystories_validation_head.txt";

std::vector<float> log_probs(std::initializer_list<double> p, double shift = 0.0) {
    std::vector<float> logits;
    for (const double x : p) logits.push_back(static_cast<float>(std::log(x) + shift));
    return logits;
}

// base p = (1/2, 1/4, 1/4), model q = (1/4, 1/2, 1/4):
// KL(p || q) = 1/2 ln 2 + 1/4 ln(1/2) + 0 = ln 2 / 4.
TEST(KlDivergenceMath, OnePositionByHand) {
    const auto base = log_probs({0.5, 0.25, 0.25});
    const auto model = log_probs({0.25, 0.5, 0.25}, /*shift=*/3.0);  // softmax ignores a shift
    const PositionComparison c = compare_position(base, model, /*next=*/0);
    EXPECT_NEAR(c.kl, std::log(2.0) / 4, 1e-7);
    EXPECT_NEAR(c.logp_base, std::log(0.5), 1e-7);
    EXPECT_NEAR(c.logp_model, std::log(0.25), 1e-7);
    EXPECT_FALSE(c.same_top);  // argmax 0 vs 1

    // KL is not symmetric: KL(q || p) = 1/4 ln(1/2) + 1/2 ln 2 = ln 2 / 4 here too,
    // so take an asymmetric pair: p = (0.9, 0.1), q = (0.5, 0.5).
    const PositionComparison a = compare_position(log_probs({0.9, 0.1}), log_probs({0.5, 0.5}), 1);
    EXPECT_NEAR(a.kl, 0.9 * std::log(0.9 / 0.5) + 0.1 * std::log(0.1 / 0.5), 1e-7);
    const PositionComparison b = compare_position(log_probs({0.5, 0.5}), log_probs({0.9, 0.1}), 1);
    EXPECT_NEAR(b.kl, 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1), 1e-7);
    EXPECT_TRUE(a.same_top);  // (0.5, 0.5): the first index wins the tie
    EXPECT_NEAR(std::exp(a.logp_model) - std::exp(a.logp_base), 0.5 - 0.1, 1e-7);
}

TEST(KlDivergenceMath, IdenticalLogitsGiveExactlyZero) {
    const std::vector<float> logits = {1.5f, -2.0f, 0.25f, 7.0f, 7.0f, -30.0f};
    const PositionComparison c = compare_position(logits, logits, 2);
    EXPECT_EQ(c.kl, 0.0);
    EXPECT_EQ(c.logp_model, c.logp_base);
    EXPECT_TRUE(c.same_top);
}

// Ten positions with KL 0.1, 0.2, ..., 1.0 (added out of order), four of them
// with a different top token, and chosen probabilities of the correct token.
TEST(KlDivergenceMath, StatisticsOverPositionsByHand) {
    KlStatistics stats;
    const int order[] = {7, 2, 10, 1, 5, 9, 3, 6, 8, 4};
    // p_model, p_base of the correct token per position (in added order).
    const double pm[] = {0.5, 0.25, 0.75, 0.5, 0.5, 0.125, 0.5, 0.25, 1.0, 0.5};
    const double pb[] = {0.25, 0.25, 0.5, 0.5, 0.75, 0.125, 0.5, 0.5, 0.5, 0.5};
    const bool same[] = {false, true, true, false, true, false, true, true, false, true};
    for (int i = 0; i < 10; ++i) {
        PositionComparison p;
        p.kl = order[i] / 10.0;
        p.logp_model = std::log(pm[i]);
        p.logp_base = std::log(pb[i]);
        p.same_top = same[i];
        stats.add(p);
    }
    const KlResult r = stats.result();
    EXPECT_EQ(r.n_scored, 10);
    EXPECT_NEAR(r.kl_mean, 0.55, 1e-12);
    // population variance: mean of squares 3.85 / 10 minus 0.55^2 = 0.0825; over n - 1.
    EXPECT_NEAR(r.kl_error, std::sqrt(0.0825 / 9), 1e-9);
    // sorted 0.1 .. 1.0; the value at fraction f sits at index f * 9.
    EXPECT_NEAR(r.kl_median, 0.55, 1e-7);                    // index 4.5
    EXPECT_NEAR(r.kl_p90, 0.9 + 0.1 * (1.0 - 0.9), 1e-7);    // index 8.1
    EXPECT_NEAR(r.kl_p99, 0.9 + 0.91 * (1.0 - 0.9), 1e-7);   // index 8.91
    EXPECT_NEAR(r.kl_max, 1.0, 1e-12);
    EXPECT_NEAR(r.same_top_rate, 0.6, 1e-12);
    // delta p: +0.25, 0, +0.25, 0, -0.25, 0, 0, -0.25, +0.5, 0
    EXPECT_NEAR(r.delta_p_mean, 0.5 / 10, 1e-12);
    EXPECT_NEAR(r.delta_p_rms, std::sqrt((4 * 0.0625 + 0.25) / 10), 1e-12);
    // PPL = exp(mean NLL) of each model's probabilities of the correct token.
    double nll_model = 0, nll_base = 0;
    for (int i = 0; i < 10; ++i) {
        nll_model -= std::log(pm[i]);
        nll_base -= std::log(pb[i]);
    }
    EXPECT_NEAR(r.model.ppl, std::exp(nll_model / 10), 1e-9);
    EXPECT_NEAR(r.base.ppl, std::exp(nll_base / 10), 1e-9);
    EXPECT_EQ(r.model.n_scored, 10);
}

TEST(KlDivergenceMath, OddCountMedianIsTheMiddleValue) {
    KlStatistics stats;
    for (const double kl : {0.3, 0.0, 2.0, 0.1, 0.2}) {
        PositionComparison p;
        p.kl = kl;
        stats.add(p);
    }
    const KlResult r = stats.result();
    EXPECT_NEAR(r.kl_median, 0.2, 1e-7);
    EXPECT_NEAR(r.kl_p90, 0.3 + 0.6 * (2.0 - 0.3), 1e-6);  // index 3.6
    EXPECT_NEAR(r.kl_max, 2.0, 1e-12);
    EXPECT_EQ(r.same_top_rate, 0.0);
}

KlParams small_params(int64_t chunks) {
    KlParams p = kl_default_params();
    p.n_ctx = 128;
    p.max_chunks = chunks;
    return p;
}

PerplexityResult small_perplexity(const Model& model, const std::string& text, int64_t chunks) {
    PerplexityParams p = perplexity_default_params();
    p.n_ctx = 128;
    p.max_chunks = chunks;
    return perplexity(model, text, p);
}

TEST(KlDivergence, ModelAgainstItselfChangesNothing) {
    PARETO_REQUIRE_DATA(model_path, kModel);
    PARETO_REQUIRE_DATA(text_path, kText);
    const std::string text = test::read_text_file(text_path);
    const auto model = Model::load(model_path);
    const auto again = Model::load(model_path);  // a second load: the full vocabulary check runs
    const KlResult r = evaluate_against_baseline(*model, *again, text, small_params(8));
    EXPECT_EQ(r.n_scored, 8 * 63);
    EXPECT_EQ(r.kl_mean, 0.0);
    EXPECT_EQ(r.kl_error, 0.0);
    EXPECT_EQ(r.kl_max, 0.0);
    EXPECT_EQ(r.kl_p99, 0.0);
    EXPECT_EQ(r.same_top_rate, 1.0);
    EXPECT_EQ(r.delta_p_mean, 0.0);
    EXPECT_EQ(r.delta_p_rms, 0.0);
    const PerplexityResult ppl = small_perplexity(*model, text, 8);
    for (const PerplexityResult* side : {&r.model, &r.base}) {
        EXPECT_EQ(side->ppl, ppl.ppl);
        EXPECT_EQ(side->ppl_error, ppl.ppl_error);
        EXPECT_EQ(side->mean_nll, ppl.mean_nll);
        EXPECT_EQ(side->n_chunks, ppl.n_chunks);
        EXPECT_EQ(side->n_scored, ppl.n_scored);
        EXPECT_EQ(side->n_text_tokens, ppl.n_text_tokens);
    }
}

TEST(KlDivergence, QuantizedStories260KAgainstF32) {
    PARETO_REQUIRE_DATA(base_path, kModel);
    PARETO_REQUIRE_DATA(q8_path, "models/quantized/stories260K-Q8_0.gguf");
    PARETO_REQUIRE_DATA(q4_path, "models/quantized/stories260K-Q4_0.gguf");
    PARETO_REQUIRE_DATA(text_path, kText);
    const std::string text = test::read_text_file(text_path);
    const auto base = Model::load(base_path);
    const auto q8 = Model::load(q8_path);
    const auto q4 = Model::load(q4_path);
    const int64_t chunks = 20;
    const KlResult r8 = evaluate_against_baseline(*q8, *base, text, small_params(chunks));
    const KlResult r4 = evaluate_against_baseline(*q4, *base, text, small_params(chunks));

    EXPECT_GT(r8.kl_mean, 0.0);
    EXPECT_LT(r8.kl_mean, r4.kl_mean) << "Q8_0 " << r8.kl_mean << ", Q4_0 " << r4.kl_mean;
    EXPECT_LT(r8.kl_median, r4.kl_median);
    EXPECT_LT(r8.delta_p_rms, r4.delta_p_rms);
    EXPECT_GT(r8.same_top_rate, r4.same_top_rate);
    EXPECT_LT(r4.same_top_rate, 1.0);
    for (const KlResult* r : {&r8, &r4}) {
        EXPECT_GT(r->kl_error, 0.0);
        EXPECT_LT(r->kl_error, r->kl_mean);
        EXPECT_LE(r->kl_median, r->kl_p90);
        EXPECT_LE(r->kl_p90, r->kl_p99);
        EXPECT_LE(r->kl_p99, r->kl_max);
        EXPECT_GT(r->delta_p_rms, std::abs(r->delta_p_mean));
    }

    // Both PPLs are perplexity()'s on the same chunks, to the last bit.
    const PerplexityResult base_ppl = small_perplexity(*base, text, chunks);
    EXPECT_EQ(r8.base.ppl, base_ppl.ppl);
    EXPECT_EQ(r4.base.ppl, base_ppl.ppl);
    EXPECT_EQ(r8.model.ppl, small_perplexity(*q8, text, chunks).ppl);
    const PerplexityResult q4_ppl = small_perplexity(*q4, text, chunks);
    EXPECT_EQ(r4.model.ppl, q4_ppl.ppl);
    EXPECT_EQ(r4.model.ppl_error, q4_ppl.ppl_error);
}

// llama-perplexity's KL-divergence mode on the same comparison (docs/results.md:
// -c 128 --chunks 100, its base log-probabilities saved with --kl-divergence-base).
// llama.cpp keeps an F16 KV cache and stores the base log-probabilities in 16 bits,
// Pareto keeps F32 and double, so the numbers agree closely, not exactly.
struct LlamaCppKl {
    const char* file;
    double kl_mean, same_top_rate, delta_p_rms;
};

void PrintTo(const LlamaCppKl& c, std::ostream* os) { *os << c.file; }

class KlAgainstLlamaCpp : public ::testing::TestWithParam<LlamaCppKl> {};

TEST_P(KlAgainstLlamaCpp, MatchesLlamaPerplexity) {
    const LlamaCppKl& ref = GetParam();
    PARETO_REQUIRE_DATA(base_path, kModel);
    PARETO_REQUIRE_DATA(model_path, std::string("models/quantized/") + ref.file);
    PARETO_REQUIRE_DATA(text_path, kText);
    const auto base = Model::load(base_path);
    const auto model = Model::load(model_path);
    const KlResult r = evaluate_against_baseline(*model, *base, test::read_text_file(text_path), small_params(100));
    EXPECT_EQ(r.n_scored, 100 * 63);
    EXPECT_NEAR(r.kl_mean, ref.kl_mean, 0.05 * ref.kl_mean) << ref.file;
    EXPECT_NEAR(r.same_top_rate, ref.same_top_rate, 0.005) << ref.file;
    EXPECT_NEAR(r.delta_p_rms, ref.delta_p_rms, 0.05 * ref.delta_p_rms) << ref.file;
}

INSTANTIATE_TEST_SUITE_P(Stories260K, KlAgainstLlamaCpp,
                         ::testing::Values(LlamaCppKl{"stories260K-Q8_0.gguf", 0.000681, 0.98476, 0.00853},
                                           LlamaCppKl{"stories260K-Q4_0.gguf", 0.074515, 0.87016, 0.09616}),
                         [](const auto& param_info) {
                             std::string n = param_info.param.file;
                             return n.substr(12, n.size() - 12 - 5);
                         });

TEST(KlDivergence, DifferentVocabulariesAreRefused) {
    PARETO_REQUIRE_DATA(model_path, kModel);
    PARETO_REQUIRE_DATA(qwen_path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
    const auto stories = Model::load(model_path);
    const auto qwen = Model::load(qwen_path);
    const std::string text(20000, 'a');
    try {
        evaluate_against_baseline(*stories, *qwen, text, small_params(2));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("vocabularies differ (512 vs 64 tokens)"), std::string::npos) << what;
        EXPECT_NE(what.find("stories260K.gguf"), std::string::npos) << what;
        EXPECT_NE(what.find("tiny-qwen2-f32.gguf"), std::string::npos) << what;
    }
}

// Two synthesized models of the same vocabulary size whose token texts differ: the
// built-in BPE with Llama 3's special tokens vs with Qwen2's.
TEST(KlDivergence, SameSizeDifferentTokensAreRefused) {
    const auto dir = std::filesystem::temp_directory_path() / ("pareto-test-kl-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    struct Cleanup {
        std::filesystem::path p;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(p, ec);
        }
    } cleanup{dir};
    const auto synth = [&](Arch arch, const std::string& name) {
        SynthOptions o;
        o.preset = "tiny";
        o.arch = arch;
        o.type = "F32";
        o.n_layer = 1;
        o.n_threads = 2;
        const std::string path = (dir / name).string();
        ModelSynthesizer(o).write(path);
        return Model::load(path);
    };
    const auto llama = synth(Arch::Llama, "llama.gguf");
    const auto qwen = synth(Arch::Qwen2, "qwen2.gguf");
    ASSERT_EQ(llama->tokenizer().vocab_size(), qwen->tokenizer().vocab_size());
    try {
        check_same_vocabulary(*llama, *qwen);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("vocabularies differ (token "), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(check_same_vocabulary(*qwen, *qwen));
}

// Different architectures and weights over one vocabulary are comparable.
TEST(KlDivergence, DifferentModelsOverOneVocabularyAreAccepted) {
    PARETO_REQUIRE_DATA(qwen_path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
    PARETO_REQUIRE_DATA(llama_path, "models/tiny-fixtures/tiny-llama-f32.gguf");
    const auto qwen = Model::load(qwen_path);
    const auto llama = Model::load(llama_path);
    EXPECT_NO_THROW(check_same_vocabulary(*qwen, *llama));
}

TEST(KlDivergence, TooShortTextIsAClearError) {
    PARETO_REQUIRE_DATA(model_path, kModel);
    const auto model = Model::load(model_path);
    try {
        evaluate_against_baseline(*model, *model, "Once upon a time.", small_params(-1));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs at least"), std::string::npos) << e.what();
    }
    EXPECT_THROW(evaluate_against_baseline(*model, *model, "", small_params(-1)), Error);
}

TEST(KlDivergence, ProgressCanCancel) {
    PARETO_REQUIRE_DATA(model_path, kModel);
    PARETO_REQUIRE_DATA(text_path, kText);
    const auto model = Model::load(model_path);
    KlParams p = small_params(-1);
    int calls = 0;
    int64_t last_total = 0;
    p.progress = [&](int64_t done, int64_t total) {
        EXPECT_EQ(done, calls + 1);
        last_total = total;
        return ++calls < 3;
    };
    EXPECT_THROW(evaluate_against_baseline(*model, *model, test::read_text_file(text_path), p), Cancelled);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(last_total, 3070);
}

}  // namespace
}  // namespace pareto

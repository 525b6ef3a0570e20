// Samplers: each stage of the chain does what its name says, and draws are
// reproducible for a seed.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "model/sampler.h"
#include "util/error.h"

namespace pareto {
namespace {

SamplerParams plain(float temp) {
    SamplerParams p = sampler_default_params();
    p.temperature = temp;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    return p;
}

const std::vector<float> kLogits = {1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f};

TEST(Sampler, GreedyIsArgmax) {
    Sampler s(plain(0.0f));
    EXPECT_EQ(s.sample(kLogits, {}), 1);
}

TEST(Sampler, GreedyTiesGoToLowestId) {
    Sampler s(plain(0.0f));
    EXPECT_EQ(s.sample(std::vector<float>{0.5f, 2.0f, 2.0f}, {}), 1);
}

TEST(Sampler, SameSeedSameDraws) {
    Sampler a(plain(1.0f)), b(plain(1.0f));
    for (int i = 0; i < 200; ++i) ASSERT_EQ(a.sample(kLogits, {}), b.sample(kLogits, {}));
    SamplerParams other = plain(1.0f);
    other.seed = 12345;
    Sampler c(other), d(plain(1.0f));
    int differ = 0;
    for (int i = 0; i < 200; ++i) differ += c.sample(kLogits, {}) != d.sample(kLogits, {});
    EXPECT_GT(differ, 0);
}

TEST(Sampler, TemperatureOneFollowsSoftmax) {
    Sampler s(plain(1.0f));
    const int n = 200000;
    std::vector<int> counts(kLogits.size());
    for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(s.sample(kLogits, {}))];
    double z = 0;
    for (float l : kLogits) z += std::exp(l);
    for (size_t i = 0; i < kLogits.size(); ++i) {
        const double p = std::exp(kLogits[i]) / z;
        const double sigma = std::sqrt(p * (1 - p) / n);
        EXPECT_NEAR(counts[i] / double(n), p, 5 * sigma + 1e-9) << "token " << i;
    }
}

TEST(Sampler, LowTemperatureConcentrates) {
    Sampler s(plain(0.05f));
    int best = 0;
    for (int i = 0; i < 1000; ++i) best += s.sample(kLogits, {}) == 1;
    EXPECT_GT(best, 850);  // 3.0 vs 2.9 at T=0.05: p(best) = 1/(1+e^-2) ~ 0.88
}

TEST(Sampler, TopKRestrictsToKBest) {
    SamplerParams p = plain(5.0f);
    p.top_k = 2;
    Sampler s(p);
    for (int i = 0; i < 2000; ++i) {
        const TokenId t = s.sample(kLogits, {});
        ASSERT_TRUE(t == 1 || t == 5) << t;
    }
}

TEST(Sampler, TopPKeepsSmallestNucleus) {
    // Probabilities ~ {0.5, 0.3, 0.2}: top-p 0.6 keeps the first two.
    const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
    SamplerParams p = plain(1.0f);
    p.top_p = 0.6f;
    Sampler s(p);
    std::map<TokenId, int> seen;
    for (int i = 0; i < 5000; ++i) ++seen[s.sample(logits, {})];
    EXPECT_EQ(seen.count(2), 0u);
    EXPECT_GT(seen[0], seen[1]);
    EXPECT_GT(seen[1], 0);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
    const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
    SamplerParams p = plain(1.0f);
    p.min_p = 0.3f;  // threshold 0.18: token 2 (0.1) goes
    Sampler s(p);
    for (int i = 0; i < 3000; ++i) ASSERT_NE(s.sample(logits, {}), 2);
}

TEST(Sampler, RepeatPenaltyDemotesRecentTokens) {
    SamplerParams p = plain(0.0f);
    p.repeat_penalty = 2.0f;
    Sampler s(p);
    const std::vector<TokenId> history = {1, 1, 1};
    // 3.0 / 2 = 1.5 < 2.9: token 5 wins.
    EXPECT_EQ(s.sample(kLogits, history), 5);
    // A negative logit is pushed further down, never up.
    const std::vector<float> neg = {-1.0f, -1.5f};
    EXPECT_EQ(s.sample(neg, std::vector<TokenId>{0}), 1);
}

TEST(Sampler, RepeatPenaltyWindowIsRespected) {
    SamplerParams p = plain(0.0f);
    p.repeat_penalty = 2.0f;
    p.repeat_last_n = 2;
    Sampler s(p);
    EXPECT_EQ(s.sample(kLogits, std::vector<TokenId>{1, 4, 4}), 1);  // token 1 is outside the window
}

TEST(Sampler, InvalidParametersAreRejected) {
    SamplerParams p = plain(1.0f);
    p.repeat_penalty = 0.0f;
    EXPECT_THROW(Sampler{p}, Error);
    Sampler s(plain(1.0f));
    EXPECT_THROW(s.sample(std::vector<float>{}, {}), Error);
}

}  // namespace
}  // namespace pareto

#include "model/sampler.h"

#include <algorithm>
#include <cmath>

#include "tensor/kernels.h"
#include "util/error.h"

namespace pareto {

SamplerParams sampler_default_params() { return SamplerParams{}; }

Sampler::Sampler(SamplerParams params) : params_(params), state_(params.seed) {
    if (params_.repeat_penalty <= 0.0f) fail("repeat penalty must be positive");
    if (params_.top_p <= 0.0f) fail("top-p must be greater than 0");
}

void Sampler::reseed(uint64_t seed) { state_ = seed; }

double Sampler::next_uniform() {
    // splitmix64: tiny, fast, and fully specified (std distributions differ by library).
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::span<const float> Sampler::penalize(std::span<const float> logits, std::span<const TokenId> history) {
    if (params_.repeat_penalty == 1.0f || params_.repeat_last_n == 0 || history.empty()) return logits;
    penalized_.assign(logits.begin(), logits.end());
    const auto n_vocab = static_cast<int64_t>(logits.size());
    // CTRL-style penalty, once per distinct recent token: shrink positive logits,
    // push negative ones further down.
    const size_t window = params_.repeat_last_n < 0 ? history.size()
                          : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
    const auto recent = history.subspan(history.size() - window);
    for (size_t i = 0; i < recent.size(); ++i) {
        const TokenId t = recent[i];
        if (t < 0 || t >= n_vocab) continue;
        if (std::find(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(i), t) !=
            recent.begin() + static_cast<std::ptrdiff_t>(i))
            continue;
        float& l = penalized_[static_cast<size_t>(t)];
        l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
    return penalized_;
}

TokenId Sampler::sample(std::span<const float> raw_logits, std::span<const TokenId> history) {
    const auto n_vocab = static_cast<int64_t>(raw_logits.size());
    if (n_vocab == 0) fail("cannot sample from empty logits");
    const std::span<const float> logits = penalize(raw_logits, history);

    if (params_.temperature <= 0.0f) {
        // Greedy; ties go to the lowest id, as an argmax over the vocabulary does. The
        // vectorized max first, then the first position holding it: a plain scan with
        // an index does not vectorize, and this runs once per generated token over the
        // whole vocabulary.
        const float best = kernels().f.max(logits.data(), n_vocab);
        const auto it = std::find(logits.begin(), logits.end(), best);
        if (it != logits.end()) return static_cast<TokenId>(it - logits.begin());
        // max() of logits holding NaN may name no element: fall back to a scan that
        // ignores NaN, as std::max_element with `<` does.
        return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }

    cand_.resize(static_cast<size_t>(n_vocab));
    for (int64_t i = 0; i < n_vocab; ++i)
        cand_[static_cast<size_t>(i)] = {static_cast<TokenId>(i), logits[static_cast<size_t>(i)], 0.0f};

    auto by_logit = [](const Candidate& a, const Candidate& b) {
        return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
    };
    size_t n = cand_.size();
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
        n = static_cast<size_t>(params_.top_k);
        std::partial_sort(cand_.begin(), cand_.begin() + static_cast<std::ptrdiff_t>(n), cand_.end(), by_logit);
    } else {
        std::sort(cand_.begin(), cand_.end(), by_logit);
    }

    // Probabilities of the survivors (softmax over the kept set at temperature 1).
    auto normalise = [&](size_t count, float temp) {
        const float mx = cand_[0].logit;
        double sum = 0.0;
        for (size_t i = 0; i < count; ++i) {
            cand_[i].p = std::exp((cand_[i].logit - mx) / temp);
            sum += cand_[i].p;
        }
        for (size_t i = 0; i < count; ++i) cand_[i].p = static_cast<float>(cand_[i].p / sum);
    };
    normalise(n, 1.0f);

    if (params_.top_p < 1.0f) {
        double cum = 0.0;
        size_t keep = n;
        for (size_t i = 0; i < n; ++i) {
            cum += cand_[i].p;
            if (cum >= params_.top_p) {
                keep = i + 1;
                break;
            }
        }
        n = std::max<size_t>(1, keep);
    }
    if (params_.min_p > 0.0f) {
        const float threshold = params_.min_p * cand_[0].p;
        size_t keep = 1;
        while (keep < n && cand_[keep].p >= threshold) ++keep;
        n = keep;
    }

    normalise(n, params_.temperature);
    const double r = next_uniform();
    double cum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        cum += cand_[i].p;
        if (r < cum) return cand_[i].id;
    }
    return cand_[n - 1].id;
}

}  // namespace pareto

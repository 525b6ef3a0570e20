#include "compress/calibration.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "model/session.h"
#include "util/error.h"

namespace pareto {

std::string_view input_group_name(InputGroup g) {
    switch (g) {
        case InputGroup::AttnIn: return "attn_in";
        case InputGroup::AttnOut: return "attn_out";
        case InputGroup::FfnIn: return "ffn_in";
        case InputGroup::FfnDown: return "ffn_down";
        case InputGroup::LmHead: return "lm_head";
    }
    return "?";
}

std::string input_key_name(const InputKey& k) {
    if (k.layer < 0) return std::string(input_group_name(k.group));
    return "blk." + std::to_string(k.layer) + "." + std::string(input_group_name(k.group));
}

std::optional<InputKey> input_of_tensor(std::string_view name, bool tied_output) {
    if (name == "output.weight" || (tied_output && name == "token_embd.weight")) return InputKey{-1, InputGroup::LmHead};
    if (!name.starts_with("blk.")) return std::nullopt;
    const size_t dot = name.find('.', 4);
    if (dot == std::string_view::npos) return std::nullopt;
    int32_t layer = 0;
    for (size_t i = 4; i < dot; ++i) {
        if (name[i] < '0' || name[i] > '9' || layer > 1'000'000) return std::nullopt;
        layer = layer * 10 + (name[i] - '0');
    }
    const std::string_view rest = name.substr(dot + 1);
    if (rest == "attn_q.weight" || rest == "attn_k.weight" || rest == "attn_v.weight") return InputKey{layer, InputGroup::AttnIn};
    if (rest == "attn_output.weight") return InputKey{layer, InputGroup::AttnOut};
    if (rest == "ffn_gate.weight" || rest == "ffn_up.weight") return InputKey{layer, InputGroup::FfnIn};
    if (rest == "ffn_down.weight") return InputKey{layer, InputGroup::FfnDown};
    return std::nullopt;
}

std::vector<float> InputStats::mean_sq() const {
    std::vector<float> m(static_cast<size_t>(cols), 0.0f);
    if (n_rows == 0) return m;
    for (int64_t c = 0; c < cols; ++c) m[static_cast<size_t>(c)] = static_cast<float>(sum_sq[static_cast<size_t>(c)] / static_cast<double>(n_rows));
    return m;
}

std::vector<float> InputStats::norms() const {
    std::vector<float> n(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c) n[static_cast<size_t>(c)] = static_cast<float>(std::sqrt(sum_sq[static_cast<size_t>(c)]));
    return n;
}

// ---- samples -------------------------------------------------------------------------------

namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

std::vector<std::vector<TokenId>> calibration_samples(const Tokenizer& tokenizer, const std::string& text,
                                                      int64_t samples, int64_t ctx, uint64_t seed,
                                                      const std::string& label) {
    if (samples < 1 || ctx < 2) fail(label + ": calibration needs at least 1 sample of at least 2 tokens");
    TokenizeOptions opt;
    opt.add_bos = false;
    const std::vector<TokenId> tokens = tokenizer.encode(text, opt);
    const bool bos = tokenizer.bos() && tokenizer.add_bos_default();
    const int64_t span = bos ? ctx - 1 : ctx;  // text tokens per sample
    const auto n = static_cast<int64_t>(tokens.size());
    if (n < span)
        fail(label + ": has " + std::to_string(n) + " tokens, but a calibration sample needs " + std::to_string(span) +
             " (lower the context or give a longer text)");
    uint64_t state = seed;
    std::vector<std::vector<TokenId>> out(static_cast<size_t>(samples));
    for (auto& s : out) {
        const auto offset = static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(n - span + 1));
        s.reserve(static_cast<size_t>(ctx));
        if (bos) s.push_back(*tokenizer.bos());
        s.insert(s.end(), tokens.begin() + offset, tokens.begin() + offset + span);
    }
    return out;
}

// ---- the collector ---------------------------------------------------------------------------

CalibrationCollector::CalibrationCollector(KeyFilter want, KeyFilter want_hessian)
    : want_(std::move(want)), want_hessian_(std::move(want_hessian)) {}

bool CalibrationCollector::wants_lm_head() const { return want_(InputKey{-1, InputGroup::LmHead}); }

void CalibrationCollector::matmul_input(const OpEvent& op, const float* x, int64_t n_tok, int64_t cols) {
    // Q, K, V read one input, as do gate and up: count it once.
    InputKey key{op.layer, InputGroup::AttnIn};
    switch (op.kind) {
        case OpKind::Q: key.group = InputGroup::AttnIn; break;
        case OpKind::O: key.group = InputGroup::AttnOut; break;
        case OpKind::Gate: key.group = InputGroup::FfnIn; break;
        case OpKind::Down: key.group = InputGroup::FfnDown; break;
        case OpKind::LmHead: key = InputKey{-1, InputGroup::LmHead}; break;
        default: return;
    }
    if (!want_(key)) return;
    InputStats& s = stats_[key];
    if (s.cols == 0) {
        s.cols = cols;
        s.sum_sq.assign(static_cast<size_t>(cols), 0.0);
        if (want_hessian_(key)) s.hessian.assign(static_cast<size_t>(cols * cols), 0.0);
    } else if (s.cols != cols) {
        fail("calibration: input " + input_key_name(key) + " changed width from " + std::to_string(s.cols) + " to " +
             std::to_string(cols));
    }
    s.n_rows += n_tok;
    for (int64_t t = 0; t < n_tok; ++t) {
        const float* row = x + t * cols;
        for (int64_t c = 0; c < cols; ++c) s.sum_sq[static_cast<size_t>(c)] += static_cast<double>(row[c]) * row[c];
    }
    if (!s.has_hessian()) return;
    // H += X^T X for the batch: a rank-n_tok update of the lower triangle, in double
    // (sums over tens of thousands of rows lose too much in float).
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    block_.resize(static_cast<size_t>(n_tok * cols));
    for (int64_t i = 0; i < n_tok * cols; ++i) block_[static_cast<size_t>(i)] = x[i];
    Eigen::Map<const RowMajor> X(block_.data(), n_tok, cols);
    Eigen::Map<Eigen::MatrixXd> H(s.hessian.data(), cols, cols);
    H.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
}

CalibrationStats CalibrationCollector::take() {
    for (auto& [key, s] : stats_) {
        if (!s.has_hessian()) continue;
        Eigen::Map<Eigen::MatrixXd> H(s.hessian.data(), s.cols, s.cols);
        H.triangularView<Eigen::StrictlyUpper>() = H.transpose();
    }
    CalibrationStats out = std::move(stats_);
    stats_.clear();
    return out;
}

void run_calibration(const Model& model, const std::vector<std::vector<TokenId>>& samples,
                     CalibrationCollector& collector, int n_threads,
                     const std::function<bool(int64_t, int64_t)>& progress) {
    int64_t longest = 1;
    for (const auto& s : samples) longest = std::max<int64_t>(longest, static_cast<int64_t>(s.size()));
    SessionParams sp = session_default_params();
    sp.n_ctx = longest;
    sp.n_batch = longest;
    sp.n_threads = n_threads;
    Session session(model, sp);
    session.set_observer(&collector);
    const bool all_logits = collector.wants_lm_head();
    const auto total = static_cast<int64_t>(samples.size());
    for (int64_t i = 0; i < total; ++i) {
        session.clear();
        session.eval(samples[static_cast<size_t>(i)], all_logits);
        if (progress && !progress(i + 1, total)) throw Cancelled();
    }
    session.set_observer(nullptr);
}

}  // namespace pareto

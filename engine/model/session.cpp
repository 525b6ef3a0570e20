#include "model/session.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "util/error.h"
#include "util/memory.h"

namespace pareto {
namespace {

constexpr int64_t kDefaultMaxCtx = 4096;

int64_t resolved_n_ctx(const ModelConfig& cfg, const SessionParams& params) {
    return params.n_ctx > 0 ? params.n_ctx : std::min(cfg.n_ctx_train, kDefaultMaxCtx);
}

// YaRN: the dimension index below which rotations are extrapolated and above which
// they are interpolated, from the number of full rotations over the original context.
double yarn_corr_dim(int64_t n_dims, int64_t n_ctx_orig, double n_rot, double base) {
    return n_dims * std::log(n_ctx_orig / (n_rot * 2.0 * std::numbers::pi)) / (2.0 * std::log(base));
}

// Tokens of a prompt batch whose FFN runs at once: the [tokens, n_ff] intermediates
// shrink 4x at a 512-token batch. Every chunk streams the FFN weights again, which
// quantized weights hide (their products stay compute-bound); F16 weights are
// converted again per chunk (r1-distill F16 pp512: about 7 % slower).
constexpr int64_t kFfnChunkTokens = 128;
int64_t ffn_chunk_tokens(int64_t n_batch) { return std::min(n_batch, kFfnChunkTokens); }

}  // namespace

SessionParams session_default_params() { return SessionParams{}; }

SessionFootprint session_footprint(const ModelConfig& cfg, const SessionParams& params) {
    SessionFootprint f;
    f.n_ctx = resolved_n_ctx(cfg, params);
    f.n_threads = params.n_threads > 0 ? params.n_threads : ThreadPool::hardware_threads();
    const auto n_ctx = static_cast<size_t>(f.n_ctx);
    const auto nb = static_cast<size_t>(std::clamp<int64_t>(params.n_batch, 1, f.n_ctx));
    f.kv_cache_bytes = 2 * static_cast<size_t>(cfg.n_layer) * n_ctx * static_cast<size_t>(cfg.kv_dim()) * sizeof(float);
    // The buffers of the constructor below, in its order.
    const auto ffn = static_cast<size_t>(ffn_chunk_tokens(static_cast<int64_t>(nb)));
    const size_t floats = n_ctx * static_cast<size_t>(cfg.rope_dim / 2) * 2 +
                          nb * static_cast<size_t>(2 * cfg.n_embd + 2 * cfg.q_dim() + 2 * cfg.kv_dim()) +
                          ffn * static_cast<size_t>(2 * cfg.n_ff) +
                          static_cast<size_t>(f.n_threads * (cfg.n_head / cfg.n_head_kv)) * n_ctx +
                          static_cast<size_t>(cfg.n_vocab);
    f.scratch_bytes = floats * sizeof(float);
    return f;
}

int64_t ops_per_forward(const ModelConfig& cfg, int64_t n_tokens, int64_t n_batch) {
    const int64_t chunk = ffn_chunk_tokens(std::max<int64_t>(n_batch, 1));
    const int64_t ffn_chunks = std::max<int64_t>((n_tokens + chunk - 1) / chunk, 1);
    // Per layer: attn_norm, qkv, rope, attention, o, ffn_norm, and per FFN chunk
    // gate_up, activation, down. Then output_norm and lm_head.
    return 1 + cfg.n_layer * (6 + 3 * ffn_chunks) + 2;
}

void require_memory(const Model& model, const SessionParams& params) {
    const MemoryBudget budget = memory_budget();
    if (budget.bytes == 0) return;
    const SessionFootprint f = session_footprint(model.config(), params);
    const size_t weights = model.weight_bytes();
    const size_t need = weights + f.kv_cache_bytes + f.scratch_bytes;
    if (need <= budget.bytes) return;
    constexpr double kMiB = 1024.0 * 1024.0;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "not enough memory for %s with a context of %lld: it needs %.1f MiB (weights %.1f + KV cache %.1f + "
                  "scratch %.1f) and %.1f MiB are available (%s); use a shorter context (-c), a smaller model, or "
                  "set PARETO_MEMORY_LIMIT=off to try anyway",
                  model.path().c_str(), static_cast<long long>(f.n_ctx), need / kMiB, weights / kMiB,
                  f.kv_cache_bytes / kMiB, f.scratch_bytes / kMiB, budget.bytes / kMiB, budget.source.c_str());
    fail(buf);
}

Session::Session(const Model& model, SessionParams params)
    : model_(model), cfg_(model.config()) {
    n_ctx_ = resolved_n_ctx(cfg_, params);
    if (n_ctx_ > (int64_t{1} << 24)) fail("context length " + std::to_string(n_ctx_) + " is too large");
    n_batch_ = std::clamp<int64_t>(params.n_batch, 1, n_ctx_);
    if (params.n_threads < 0 || params.n_threads > 1024)
        fail("thread count " + std::to_string(params.n_threads) + " is out of range");
    require_memory(model, params);
    pool_ = std::make_unique<ThreadPool>(params.n_threads);

    const auto kv = static_cast<size_t>(cfg_.n_layer * n_ctx_ * cfg_.kv_dim());
    k_cache_.assign(kv, 0.0f);
    v_cache_.assign(kv, 0.0f);

    // RoPE table: angle = pos * base^(-2i/d) (scaled), computed in double once.
    const int64_t half = cfg_.rope_dim / 2;
    rope_cos_.resize(static_cast<size_t>(n_ctx_ * half));
    rope_sin_.resize(static_cast<size_t>(n_ctx_ * half));
    double corr_lo = 0, corr_hi = 0, mscale = 1.0;
    const bool yarn = cfg_.rope_scaling == RopeScaling::Yarn;
    if (yarn) {
        corr_lo = std::max(0.0, std::floor(yarn_corr_dim(cfg_.rope_dim, cfg_.rope_orig_ctx, cfg_.yarn_beta_fast, cfg_.rope_theta)));
        corr_hi = std::min<double>(cfg_.rope_dim - 1, std::ceil(yarn_corr_dim(cfg_.rope_dim, cfg_.rope_orig_ctx, cfg_.yarn_beta_slow, cfg_.rope_theta)));
        mscale = 1.0 + 0.1 * std::log(1.0 / cfg_.rope_freq_scale);
    }
    const auto& factors = model.weights().rope_freq_factors;
    for (int64_t i = 0; i < half; ++i) {
        double freq = std::pow(static_cast<double>(cfg_.rope_theta), -2.0 * i / cfg_.rope_dim);
        if (!factors.empty()) freq /= factors[static_cast<size_t>(i)];
        for (int64_t p = 0; p < n_ctx_; ++p) {
            const double extrap = p * freq;
            double theta = cfg_.rope_freq_scale * extrap;  // linear interpolation (1 when unscaled)
            if (yarn) {
                const double y = (i - corr_lo) / std::max(0.001, corr_hi - corr_lo);
                const double ramp = 1.0 - std::min(1.0, std::max(0.0, y));
                theta = theta * (1.0 - ramp) + extrap * ramp;
            }
            rope_cos_[static_cast<size_t>(p * half + i)] = static_cast<float>(std::cos(theta) * mscale);
            rope_sin_[static_cast<size_t>(p * half + i)] = static_cast<float>(std::sin(theta) * mscale);
        }
    }

    const auto nb = static_cast<size_t>(n_batch_);
    x_.resize(nb * cfg_.n_embd);
    xn_.resize(nb * cfg_.n_embd);
    q_.resize(nb * cfg_.q_dim());
    k_.resize(nb * cfg_.kv_dim());
    v_.resize(nb * cfg_.kv_dim());
    attn_.resize(nb * cfg_.q_dim());
    ffn_chunk_ = ffn_chunk_tokens(n_batch_);
    gate_.resize(static_cast<size_t>(ffn_chunk_ * cfg_.n_ff));
    up_.resize(static_cast<size_t>(ffn_chunk_ * cfg_.n_ff));
    scores_.resize(static_cast<size_t>(pool_->size() * (cfg_.n_head / cfg_.n_head_kv) * n_ctx_));
    logits_.resize(static_cast<size_t>(cfg_.n_vocab));
    // Only the activation formats this model's weight types use.
    const ModelWeights& w = model.weights();
    in_embd_.reserve(act_format(w.output.type), 1, cfg_.n_embd);
    for (const LayerWeights& l : w.layers) {
        for (const WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.w_gate, &l.w_up})
            in_embd_.reserve(act_format(m->type), n_batch_, cfg_.n_embd);
        in_wide_.reserve(act_format(l.wo.type), n_batch_, cfg_.q_dim());
        in_wide_.reserve(act_format(l.w_down.type), ffn_chunk_, cfg_.n_ff);
    }
}

Session::~Session() = default;

size_t Session::kv_cache_bytes() const { return (k_cache_.size() + v_cache_.size()) * sizeof(float); }

size_t Session::scratch_bytes() const {
    const size_t n = x_.size() + xn_.size() + q_.size() + k_.size() + v_.size() + attn_.size() +
                     gate_.size() + up_.size() + scores_.size() + logits_.size() + rope_cos_.size() +
                     rope_sin_.size();
    return n * sizeof(float) + in_embd_.reserved_bytes() + in_wide_.reserved_bytes();
}

void Session::truncate(int64_t n_keep) {
    if (n_keep < 0 || n_keep > n_past_) fail("cannot truncate the context to " + std::to_string(n_keep));
    n_past_ = n_keep;
}

std::span<const float> Session::logits() const {
    if (n_logits_ == 0) fail("no logits: nothing has been evaluated");
    return {logits_.data() + (n_logits_ - 1) * cfg_.n_vocab, static_cast<size_t>(cfg_.n_vocab)};
}

std::span<const float> Session::logits_at(int64_t i) const {
    if (i < 0 || i >= n_logits_) fail("logits of token " + std::to_string(i) + " were not kept");
    return {logits_.data() + i * cfg_.n_vocab, static_cast<size_t>(cfg_.n_vocab)};
}

void Session::eval(std::span<const TokenId> tokens, bool all_logits) {
    const auto n = static_cast<int64_t>(tokens.size());
    if (n == 0) fail("nothing to evaluate: the token list is empty");
    if (n_past_ + n > n_ctx_)
        fail("context is full: " + std::to_string(n_past_) + " + " + std::to_string(n) + " tokens exceed n_ctx " +
             std::to_string(n_ctx_));
    for (TokenId t : tokens)
        if (t < 0 || t >= cfg_.n_vocab) fail("token id " + std::to_string(t) + " is outside the vocabulary");
    const auto need = static_cast<size_t>((all_logits ? n : 1) * cfg_.n_vocab);
    if (logits_.size() < need) logits_.resize(need);
    n_logits_ = all_logits ? n : 1;
    // One token after others is a decode step; anything else is (a batch of) prompt.
    phase_ = n == 1 && n_past_ > 0 ? Phase::Decode : Phase::Prefill;

    for (int64_t i = 0; i < n; i += n_batch_) {
        const int64_t len = std::min(n_batch_, n - i);
        const bool last = i + len == n;
        float* out = all_logits ? logits_.data() + i * cfg_.n_vocab : (last ? logits_.data() : nullptr);
        const EvalEvent ev{phase_, n_past_, static_cast<int32_t>(len)};
        if (observer_) observer_->eval_begin(ev);
        forward_batch(tokens.data() + i, len, out, all_logits);
        if (observer_) observer_->eval_end(ev);
    }
    // NaN or Inf weights (or an overflow) poison every later number: stop here rather
    // than sample from them or write them into a perplexity or a trace.
    const size_t bad = first_non_finite(logits_.data(), static_cast<size_t>(n_logits_ * cfg_.n_vocab));
    if (bad != kAllFinite) {
        const int64_t pos = n_past_ - n + (all_logits ? static_cast<int64_t>(bad) / cfg_.n_vocab : n - 1);
        fail("the model computed NaN or infinite logits at position " + std::to_string(pos) + " (" + model_.path() +
             "): its weights may hold NaN or Inf values (pareto-cli info --check-weights finds them) or its "
             "activations overflowed");
    }
}

void Session::apply_rope(float* vec, int64_t n_heads, int64_t pos) const {
    const int64_t half = cfg_.rope_dim / 2;
    const float* cs = rope_cos_.data() + pos * half;
    const float* sn = rope_sin_.data() + pos * half;
    const FloatKernels& f = kernels().f;
    const auto rotate = cfg_.rope_order == RopeOrder::Normal ? f.rope_pairs : f.rope_halves;
    // Dims past rope_dim (partial rotary) are left as they are.
    for (int64_t h = 0; h < n_heads; ++h) rotate(vec + h * cfg_.head_dim, cs, sn, half);
}

void Session::attention(int64_t layer, int64_t n, int64_t pos0) {
    const int64_t hd = cfg_.head_dim, q_dim = cfg_.q_dim(), kv_dim = cfg_.kv_dim();
    const int64_t group = cfg_.n_head / cfg_.n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const float* kc = k_cache_.data() + layer * n_ctx_ * kv_dim;
    const float* vt = v_cache_.data() + layer * kv_dim * n_ctx_;  // [kv_dim, n_ctx]: V transposed
    const KernelTable& k = kernels();
    const GemmFn product = k.gemm_for(DType::F32);
    // One item per (token, KV head). The `group` query heads that share a KV head are
    // consecutive in q, so their scores against all keys are one small F32 matrix
    // product (keys as rows, those heads as tokens), and so are their outputs (V is
    // cached transposed: its rows are the head's dimensions, the scores the tokens).
    // Each key and value is read once per group, with no per-key call.
    const int64_t work = n * cfg_.n_head_kv;
    const int64_t cost = n * cfg_.n_head * (pos0 + n) * hd * 2;
    pool_->parallel_for(work, [&](int64_t w0, int64_t w1, int ith) {
        float* scores = scores_.data() + ith * group * n_ctx_;  // [group, n_ctx]
        for (int64_t w = w0; w < w1; ++w) {
            const int64_t t = w / cfg_.n_head_kv, kvh = w % cfg_.n_head_kv;
            const int64_t n_keys = pos0 + t + 1;  // causal: attend to positions <= own
            const float* q = q_.data() + t * q_dim + kvh * group * hd;
            product(hd, reinterpret_cast<const uint8_t*>(kc + kvh * hd), static_cast<size_t>(kv_dim) * sizeof(float),
                    n_keys, reinterpret_cast<const uint8_t*>(q), static_cast<size_t>(hd) * sizeof(float), group,
                    scores, n_ctx_);
            for (int64_t g = 0; g < group; ++g) {
                float* sg = scores + g * n_ctx_;
                k.f.scale(scale, sg, n_keys);
                softmax_inplace(sg, n_keys);
            }
            product(n_keys, reinterpret_cast<const uint8_t*>(vt + kvh * hd * n_ctx_),
                    static_cast<size_t>(n_ctx_) * sizeof(float), hd, reinterpret_cast<const uint8_t*>(scores),
                    static_cast<size_t>(n_ctx_) * sizeof(float), group, attn_.data() + t * q_dim + kvh * group * hd,
                    hd);
        }
    }, cost);
}

namespace {

// Reports one op to the observer, if any, for as long as it lives.
class OpScope {
public:
    OpScope(Observer* obs, const OpEvent& ev) : obs_(obs), ev_(ev) {
        if (obs_) obs_->op_begin(ev_);
    }
    ~OpScope() {
        if (obs_) obs_->op_end(ev_);
    }
    OpScope(const OpScope&) = delete;
    OpScope& operator=(const OpScope&) = delete;

private:
    Observer* obs_;
    OpEvent ev_;
};

uint64_t matmul_flops(const WeightMatrix& w, int64_t n) { return 2ull * static_cast<uint64_t>(n * w.rows * w.cols); }

}  // namespace

void Session::forward_batch(const TokenId* tokens, int64_t n, float* logits_out, bool all_logits) {
    const ModelWeights& W = model_.weights();
    const int64_t d = cfg_.n_embd, q_dim = cfg_.q_dim(), kv_dim = cfg_.kv_dim(), ff = cfg_.n_ff;
    const int64_t pos0 = n_past_;
    ThreadPool& pool = *pool_;
    Observer* const obs = observer_;
    const bool report_inputs = obs && obs->wants_matmul_inputs();
    OpEvent ev;
    ev.phase = phase_;
    ev.n_tokens = static_cast<int32_t>(n);
    ev.pos = pos0;
    // The event of an op: built only when someone is watching.
    auto op = [&](OpKind kind, int64_t layer, uint64_t bytes, uint64_t flops) {
        if (obs) {
            ev.kind = kind;
            ev.layer = static_cast<int32_t>(layer);
            ev.bytes_read = bytes;
            ev.flops = flops;
        }
        return OpScope(obs, ev);
    };
    // Projections that read the same rows of `in` (`x`, as floats), as one job for the
    // pool (ops.h: matmul_group), each plus its bias when it has one and added into
    // its residual when one is given. The rows are those `in` holds: the whole batch,
    // or a chunk of it (the FFN).
    struct Projection {
        OpKind matrix;
        const WeightMatrix& w;
        const std::vector<float>& bias;
        float* out;
        float* residual = nullptr;
    };
    auto project = [&](OpKind kind, int64_t layer, MatmulInput& in, const float* x,
                       std::initializer_list<Projection> group) {
        const int64_t rows = in.n_tok();
        if (report_inputs)
            for (const Projection& p : group) {
                ev.kind = p.matrix;
                ev.layer = static_cast<int32_t>(layer);
                obs->matmul_input(ev, x, rows, p.w.cols);
            }
        if (group.size() > kMatmulGroupMax) fail("a projection group of more than " + std::to_string(kMatmulGroupMax));
        uint64_t bytes = 0, flops = 0;
        std::array<MatmulTarget, kMatmulGroupMax> targets;
        size_t n_targets = 0;
        for (const Projection& p : group) {
            bytes += p.w.bytes() + p.bias.size() * sizeof(float);
            flops += matmul_flops(p.w, rows);
            targets[n_targets++] = MatmulTarget{&p.w, p.out, p.w.rows};
        }
        OpScope scope = op(kind, layer, bytes, flops);
        matmul_group(pool, std::span(targets.data(), n_targets), in);
        for (const Projection& p : group) {
            if (!p.bias.empty())
                for (int64_t t = 0; t < rows; ++t) kernels().f.add(p.bias.data(), p.out + t * p.w.rows, p.w.rows);
            if (p.residual) kernels().f.add(p.out, p.residual, rows * p.w.rows);
        }
    };
    const std::vector<float> no_bias;
    const FloatKernels& f = kernels().f;
    const uint64_t norm_flops = 4ull * static_cast<uint64_t>(n * d);

    {
        OpScope scope = op(OpKind::Embed, -1, static_cast<uint64_t>(n) * W.token_embd.row_bytes, 0);
        for (int64_t t = 0; t < n; ++t)
            dequantize_row(W.token_embd.type, W.token_embd.row(tokens[t]), x_.data() + t * d, d);
    }

    for (int64_t l = 0; l < cfg_.n_layer; ++l) {
        const LayerWeights& L = W.layers[static_cast<size_t>(l)];

        {
            OpScope scope = op(OpKind::AttnNorm, l, d * sizeof(float), norm_flops);
            for (int64_t t = 0; t < n; ++t)
                rmsnorm(x_.data() + t * d, L.attn_norm.data(), xn_.data() + t * d, d, cfg_.rms_eps);
            in_embd_.set(xn_.data(), n, d);
        }
        project(OpKind::QKV, l, in_embd_, xn_.data(),
                {{OpKind::Q, L.wq, L.bq, q_.data()}, {OpKind::K, L.wk, L.bk, k_.data()},
                 {OpKind::V, L.wv, L.bv, v_.data()}});
        {
            OpScope scope = op(OpKind::Rope, l, 0, 3ull * static_cast<uint64_t>(n * (q_dim + kv_dim)));
            float* kc = k_cache_.data() + (l * n_ctx_ + pos0) * kv_dim;
            float* vt = v_cache_.data() + l * kv_dim * n_ctx_;  // this layer's [kv_dim, n_ctx]
            for (int64_t t = 0; t < n; ++t) {
                float* k = k_.data() + t * kv_dim;
                const float* v = v_.data() + t * kv_dim;
                apply_rope(q_.data() + t * q_dim, cfg_.n_head, pos0 + t);
                apply_rope(k, cfg_.n_head_kv, pos0 + t);
                std::copy(k, k + kv_dim, kc + t * kv_dim);
                for (int64_t c = 0; c < kv_dim; ++c) vt[c * n_ctx_ + pos0 + t] = v[c];
            }
        }
        {
            // Each token reads the cache up to its own position: K and V rows, F32.
            const auto keys = static_cast<uint64_t>(n * pos0 + n * (n + 1) / 2);
            OpScope scope = op(OpKind::Attention, l, 2ull * static_cast<uint64_t>(pos0 + n) * kv_dim * sizeof(float),
                               4ull * keys * static_cast<uint64_t>(cfg_.n_head * cfg_.head_dim));
            attention(l, n, pos0);
        }
        in_wide_.set(attn_.data(), n, q_dim);
        project(OpKind::O, l, in_wide_, attn_.data(), {{OpKind::O, L.wo, no_bias, xn_.data(), x_.data()}});

        {
            OpScope scope = op(OpKind::FfnNorm, l, d * sizeof(float), norm_flops);
            for (int64_t t = 0; t < n; ++t)
                rmsnorm(x_.data() + t * d, L.ffn_norm.data(), xn_.data() + t * d, d, cfg_.rms_eps);
        }
        // The FFN's [tokens, n_ff] intermediates are a prompt batch's largest scratch,
        // so it runs ffn_chunk_ tokens at a time (each token's FFN is independent of
        // the others'); each chunk's ops carry the chunk's position and token count.
        for (int64_t c0 = 0; c0 < n; c0 += ffn_chunk_) {
            const int64_t m = std::min(ffn_chunk_, n - c0);
            ev.pos = pos0 + c0;
            ev.n_tokens = static_cast<int32_t>(m);
            float* xn = xn_.data() + c0 * d;
            in_embd_.set(xn, m, d);
            project(OpKind::GateUp, l, in_embd_, xn,
                    {{OpKind::Gate, L.w_gate, no_bias, gate_.data()}, {OpKind::Up, L.w_up, no_bias, up_.data()}});
            {
                OpScope scope = op(OpKind::Activation, l, 0, 6ull * static_cast<uint64_t>(m * ff));
                f.swiglu(gate_.data(), up_.data(), gate_.data(), m * ff);
                in_wide_.set(gate_.data(), m, ff);
            }
            project(OpKind::Down, l, in_wide_, gate_.data(),
                    {{OpKind::Down, L.w_down, no_bias, xn, x_.data() + c0 * d}});
        }
        ev.pos = pos0;
        ev.n_tokens = static_cast<int32_t>(n);
    }
    n_past_ += n;

    if (logits_out) {
        // Only the rows whose logits are wanted go through the (large) output matrix.
        const int64_t first = all_logits ? 0 : n - 1;
        const int64_t rows = n - first;
        {
            OpScope scope = op(OpKind::OutputNorm, -1, d * sizeof(float), 4ull * static_cast<uint64_t>(rows * d));
            for (int64_t t = first; t < n; ++t)
                rmsnorm(x_.data() + t * d, W.output_norm.data(), xn_.data() + (t - first) * d, d, cfg_.rms_eps);
            in_embd_.set(xn_.data(), rows, d);
        }
        if (report_inputs) {
            ev.kind = OpKind::LmHead;
            ev.layer = -1;
            obs->matmul_input(ev, xn_.data(), rows, d);
        }
        OpScope scope = op(OpKind::LmHead, -1, W.output.bytes(), matmul_flops(W.output, rows));
        matmul(pool, W.output, in_embd_, logits_out, cfg_.n_vocab);
    }
}

}  // namespace pareto

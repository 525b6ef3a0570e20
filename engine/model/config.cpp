#include "model/config.h"

#include "format/gguf.h"
#include "util/error.h"

namespace pareto {

const char* arch_name(Arch a) { return a == Arch::Llama ? "llama" : "qwen2"; }

ModelConfig read_config(const GgufFile& f) {
    ModelConfig c;
    c.arch_name = f.require("general.architecture").as_string("general.architecture");
    if (c.arch_name == "llama") c.arch = Arch::Llama;
    else if (c.arch_name == "qwen2") c.arch = Arch::Qwen2;
    else fail(f.path() + ": architecture '" + c.arch_name + "' is not supported (supported: llama, qwen2)");
    c.name = f.get_string("general.name", "");

    const std::string a = c.arch_name + ".";
    auto req_int = [&](const std::string& key, int64_t lo, int64_t hi) {
        const int64_t v = f.require(a + key).as_int(f.path() + ": metadata '" + a + key + "'");
        if (v < lo || v > hi)
            fail(f.path() + ": metadata '" + a + key + "' = " + std::to_string(v) + " is outside [" +
                 std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    };
    auto opt_int = [&](const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
        return f.find(a + key) ? req_int(key, lo, hi) : fallback;
    };

    constexpr int64_t kBig = int64_t{1} << 20;
    c.n_embd = req_int("embedding_length", 1, kBig);
    c.n_layer = req_int("block_count", 1, 4096);
    c.n_ff = req_int("feed_forward_length", 1, kBig);
    c.n_head = req_int("attention.head_count", 1, 4096);
    c.n_head_kv = opt_int("attention.head_count_kv", c.n_head, 1, c.n_head);
    if (c.n_head % c.n_head_kv != 0)
        fail(f.path() + ": head_count " + std::to_string(c.n_head) + " is not a multiple of head_count_kv " +
             std::to_string(c.n_head_kv));
    c.head_dim = opt_int("attention.key_length", c.n_embd / c.n_head, 1, kBig);
    const int64_t v_len = opt_int("attention.value_length", c.head_dim, 1, kBig);
    if (v_len != c.head_dim) fail(f.path() + ": key_length and value_length differ, which is not supported");
    c.n_ctx_train = opt_int("context_length", 2048, 1, int64_t{1} << 24);
    c.rms_eps = static_cast<float>(f.get_float(a + "attention.layer_norm_rms_epsilon", 1e-5));
    if (!(c.rms_eps > 0.0f && c.rms_eps < 1.0f)) fail(f.path() + ": layer_norm_rms_epsilon is not in (0, 1)");

    c.rope_order = c.arch == Arch::Qwen2 ? RopeOrder::NeoX : RopeOrder::Normal;
    c.rope_dim = opt_int("rope.dimension_count", c.head_dim, 2, c.head_dim);
    if (c.rope_dim % 2 != 0) fail(f.path() + ": rope.dimension_count must be even");
    c.rope_theta = static_cast<float>(f.get_float(a + "rope.freq_base", c.arch == Arch::Qwen2 ? 1000000.0 : 10000.0));
    if (!(c.rope_theta > 1.0f)) fail(f.path() + ": rope.freq_base must be greater than 1");

    const std::string scaling = f.get_string(a + "rope.scaling.type", "none");
    double factor = f.get_float(a + "rope.scaling.factor", 0.0);
    if (factor == 0.0) factor = f.get_float(a + "rope.scale_linear", 0.0);  // older files
    if (scaling == "none" || factor == 0.0 || factor == 1.0) {
        c.rope_scaling = scaling == "yarn" && factor > 1.0 ? RopeScaling::Yarn : RopeScaling::None;
    } else if (scaling == "linear") {
        c.rope_scaling = RopeScaling::Linear;
    } else if (scaling == "yarn") {
        c.rope_scaling = RopeScaling::Yarn;
    } else {
        fail(f.path() + ": rope scaling type '" + scaling + "' is not supported (none, linear, yarn)");
    }
    if (c.rope_scaling != RopeScaling::None) {
        if (!(factor > 0.0)) fail(f.path() + ": rope.scaling.factor must be positive");
        c.rope_freq_scale = static_cast<float>(1.0 / factor);
    }
    c.rope_orig_ctx = opt_int("rope.scaling.original_context_length", c.n_ctx_train, 1, int64_t{1} << 24);

    c.n_vocab = opt_int("vocab_size", 0, 0, int64_t{1} << 24);  // else taken from token_embd
    return c;
}

}  // namespace pareto

#include "profiler/profile.h"

#include <algorithm>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "model/session.h"
#include "profiler/model_identity.h"
#include "profiler/recorder.h"
#include "tensor/kernels.h"
#include "util/error.h"
#include "util/machine.h"
#include "util/memory.h"
#include "util/utf8.h"

namespace pareto::prof {
namespace {

// "blk.12.ffn_up.weight" -> 12; -1 for tensors outside the blocks.
int32_t layer_of(const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    int32_t l = 0;
    size_t i = 4;
    if (i >= name.size() || name[i] < '0' || name[i] > '9') return -1;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) l = l * 10 + (name[i] - '0');
    return l;
}

// The model's type in llama.cpp's terms when the file says; otherwise the type of
// most of its weight bytes, or "mixed".
std::string model_type(const Model& model) {
    if (const GgufFile* g = model.gguf(); g && g->path() == model.path() && g->find("general.file_type"))
        return gguf_file_type_name(g->get_int("general.file_type", -1));
    std::map<std::string, uint64_t> bytes;
    for (const GgufTensor& t : model.tensors().tensors())
        if (t.shape.size() == 2) bytes[std::string(dtype_name(t.type))] += t.n_bytes;
    if (bytes.empty()) return "unknown";
    if (bytes.size() > 1) return "mixed";
    return bytes.begin()->first;
}

}  // namespace

const char* memory_category_name(MemoryEntry::Category c) {
    switch (c) {
        case MemoryEntry::Category::Weights: return "weights";
        case MemoryEntry::Category::KvCache: return "kv_cache";
        case MemoryEntry::Category::Scratch: return "scratch";
    }
    return "unknown";
}

ProfileParams profile_default_params() { return ProfileParams{}; }

std::string utc_timestamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<MemoryEntry> memory_breakdown(const Model& model, size_t kv_cache_bytes, size_t scratch_bytes) {
    std::vector<MemoryEntry> out;
    for (const GgufTensor& t : model.tensors().tensors()) {
        MemoryEntry e;
        e.category = MemoryEntry::Category::Weights;
        e.name = t.name;
        e.type = std::string(dtype_name(t.type));
        e.layer = layer_of(t.name);
        e.bytes = t.n_bytes;
        out.push_back(std::move(e));
    }
    out.push_back({MemoryEntry::Category::KvCache, "kv_cache", "F32", -1, kv_cache_bytes});
    out.push_back({MemoryEntry::Category::Scratch, "scratch", "F32", -1, scratch_bytes});
    return out;
}

RunConfig describe_model_and_machine(const Model& model, bool hash_model) {
    RunConfig c;
    c.created = utc_timestamp();
    c.pareto_version = PARETO_VERSION;
    c.model_path = model.path();
    if (hash_model) c.model_sha256 = model_sha256(model.path());
    c.model_name = model.config().name;
    c.architecture = model.config().arch_name;
    c.model_type = model_type(model);
    c.n_params = model.tensors().total_elements();
    c.weight_bytes = model.weight_bytes();
    c.cpu_model = cpu_model();
    c.simd = std::string(simd_name(kernels().level));
    return c;
}

Run profile_generation(const Model& model, const ProfileParams& params) {
    const Tokenizer& tok = model.tokenizer();
    // Only the BOS token is not a prompt either: nothing the user gave would be profiled.
    if (params.prompt.empty()) fail("the prompt is empty: there is nothing to profile");
    require_utf8(params.prompt, "the prompt");
    TokenizeOptions topt;
    topt.add_bos = tok.add_bos_default();
    const std::vector<TokenId> prompt = tok.encode(params.prompt, topt);
    if (prompt.empty()) fail("the prompt is empty: there is nothing to profile");
    const int64_t n_predict = std::max<int64_t>(params.generate.n_predict, 0);

    SessionParams sp = session_default_params();
    sp.n_threads = params.n_threads;
    sp.n_batch = params.n_batch;
    sp.n_ctx = params.n_ctx > 0 ? params.n_ctx : std::max<int64_t>(16, static_cast<int64_t>(prompt.size()) + n_predict);
    require_prompt_fits(prompt.size(), sp.n_ctx);
    Session session(model, sp);

    Run run;
    run.config = describe_model_and_machine(model, params.hash_model);
    RunConfig& c = run.config;
    c.name = params.name;
    c.compression_plan = params.compression_plan;
    c.threads = session.pool().size();
    c.n_ctx = session.n_ctx();
    c.n_batch = std::min(sp.n_batch, session.n_ctx());
    c.seed = params.generate.sampler.seed;
    const SamplerParams& s = params.generate.sampler;
    c.sampler = nlohmann::json{{"temperature", s.temperature}, {"top_k", s.top_k},       {"top_p", s.top_p},
                               {"min_p", s.min_p},             {"repeat_penalty", s.repeat_penalty},
                               {"repeat_last_n", s.repeat_last_n}, {"n_predict", params.generate.n_predict},
                               {"stop_at_eog", params.generate.stop_at_eog}}
                    .dump();
    c.prompt = params.prompt;
    c.n_prompt = static_cast<int64_t>(prompt.size());

    Recorder recorder;
    // Sized for the whole run up front: recording then allocates nothing.
    // Every eval counted as ending in logits, plus a sampling op: an upper bound.
    int64_t n_ops = n_predict * (ops_per_forward(model.config(), 1, c.n_batch) + 1);
    for (int64_t i = 0; i < c.n_prompt; i += c.n_batch)
        n_ops += ops_per_forward(model.config(), std::min(c.n_batch, c.n_prompt - i), c.n_batch) + 1;
    const auto steps = static_cast<size_t>(1 + n_predict);
    recorder.reserve(static_cast<size_t>(n_ops), steps);
    run.memory.reserve(steps + 2);
    auto sample_memory = [&] {
        run.memory.push_back({recorder.now_ns(), current_rss_bytes(), peak_rss_bytes()});
    };
    sample_memory();
    if (params.record) session.set_observer(&recorder);
    const GenerateStats st = generate(session, prompt, params.generate, [&](TokenId id) {
        recorder.set_token(id);
        sample_memory();  // between steps: outside every op and token interval
        return params.on_token ? params.on_token(id) : true;
    });
    session.set_observer(nullptr);
    sample_memory();
    c.n_generated = st.n_generated;
    recorder.take(run);
    run.memory_breakdown = memory_breakdown(model, session.kv_cache_bytes(), session.scratch_bytes());
    return run;
}

}  // namespace pareto::prof

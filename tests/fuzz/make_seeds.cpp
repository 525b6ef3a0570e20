// Builds the fuzz targets' seed corpora from real files: the shared model fixtures
// (GGUF headers, small GGUF files whole, tokenizer files, chat templates) and files
// the engine and profiler write (safetensors, tokenizer.json, plan presets, a trace).
// Nothing from ../shared is checked in; this program makes the corpus in the build
// folder:  make_seeds OUT_DIR  ->  OUT_DIR/<target>/<seed>, reading PARETO_TEST_DATA
// (default ../shared beside the checkout).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compress/plan.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "format/safetensors.h"
#include "model/config.h"
#include "model/synth.h"
#include "profiler/trace_store.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/hf_export.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace pareto;

namespace {

// Seeds much larger than these make every fuzz iteration slow; large files give their
// header, a slimmed copy (GGUF, safetensors) or a cut-down copy (vocab.json +
// merges.txt) instead.
constexpr size_t kMaxHeader = 320 * 1024;
constexpr size_t kMaxWholeFile = 64 * 1024;
constexpr size_t kMaxSlimTensor = 4096;  // tensors kept in a slimmed copy

fs::path g_out;
int g_count = 0;

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(p.string() + ": cannot open");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void seed(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail((dir / name).string() + ": cannot write");
    ++g_count;
}

std::string_view as_view(const std::vector<uint8_t>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }

std::vector<fs::path> files_under(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == extension) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<uint8_t> synth_model(const std::string& type, int64_t n_layer) {
    SynthOptions o;
    o.preset = "tiny";
    o.type = type;
    o.n_layer = n_layer;
    o.n_threads = 1;
    ModelSynthesizer synth(o);
    return synth.serialize();
}

// ---- GGUF: every fixture's header (metadata and tensor table), small files whole ----
void gguf_seeds(const fs::path& models) {
    for (const fs::path& p : files_under(models, ".gguf")) {
        const GgufFile f = GgufFile::open(p.string());
        const std::string bytes = read_bytes(p);
        const std::string stem = p.stem().string();
        if (f.data_offset() > kMaxHeader) continue;
        seed("gguf", stem + ".header", std::string_view(bytes).substr(0, f.data_offset()));
        if (bytes.size() <= kMaxWholeFile) {
            seed("gguf", stem + ".gguf", bytes);
            continue;
        }
        // A whole, valid file of the same metadata with only the small tensors (norms).
        GgufWriter slim;
        slim.copy_metadata(f);
        for (const GgufTensor& t : f.tensors())
            if (t.n_bytes <= kMaxSlimTensor) slim.add_tensor_view(t);
        seed("gguf", stem + ".slim.gguf", as_view(slim.serialize()));
    }
}

// ---- safetensors: files the engine's writer makes from a fixture's tensors ----------
void safetensors_seeds(const fs::path& models) {
    const GgufFile f = GgufFile::open((models / "tiny-fixtures" / "tiny-llama-f32.gguf").string());
    SafetensorsWriter all;
    all.set_metadata("format", "pt");
    SafetensorsWriter few;
    for (const GgufTensor& t : f.tensors()) {
        std::vector<uint64_t> shape(t.shape.rbegin(), t.shape.rend());  // row-major
        all.add_tensor_view(t.name, t.type, shape, std::span<const uint8_t>(t.data, t.n_bytes));
        if (t.n_bytes <= kMaxSlimTensor)
            few.add_tensor_view(t.name, t.type, shape, std::span<const uint8_t>(t.data, t.n_bytes));
    }
    const std::vector<uint8_t> a = all.serialize();
    if (a.size() <= kMaxWholeFile) seed("safetensors", "tiny-llama.safetensors", as_view(a));
    seed("safetensors", "small-tensors.safetensors", as_view(few.serialize()));

    SafetensorsWriter types;  // every dtype the reader takes, a scalar and an empty tensor
    types.set_metadata("note", "types");
    types.add_tensor("f32", DType::F32, {2, 3}, std::vector<uint8_t>(24, 1));
    types.add_tensor("f16", DType::F16, {4}, std::vector<uint8_t>(8, 2));
    types.add_tensor("bf16", DType::BF16, {1, 2}, std::vector<uint8_t>(4, 3));
    types.add_tensor("scalar", DType::F32, {}, std::vector<uint8_t>(4, 4));
    types.add_tensor("empty", DType::F16, {0, 5}, {});
    seed("safetensors", "types.safetensors", as_view(types.serialize()));
}

// ---- tokenizer.json [NUL tokenizer_config.json]: tokenizers the engine exports ------
void tokenizer_json_seeds(const fs::path& models) {
    struct Source { std::string name; fs::path gguf; };
    const std::vector<Source> sources = {
        {"stories260K-spm", models / "stories260K.gguf"},
        {"tiny-llama", models / "tiny-fixtures" / "tiny-llama-f32.gguf"},
        {"tiny-qwen2", models / "tiny-fixtures" / "tiny-qwen2-f32.gguf"},
    };
    for (const Source& s : sources) {
        const GgufFile f = GgufFile::open(s.gguf.string());
        const auto tok = Tokenizer::from_gguf(f);
        const std::string json = hf_tokenizer_json(*tok);
        if (json.size() > kMaxHeader) continue;
        seed("tokenizer_json", s.name + ".json", json);
        std::string with_config = json;
        with_config += '\0';
        with_config += hf_tokenizer_config_json(*tok, 2048);
        seed("tokenizer_json", s.name + "+config.json", with_config);
    }
    const std::vector<uint8_t> synth = synth_model("F16", 1);
    const GgufFile f = GgufFile::parse(std::span<const uint8_t>(synth), "synth");
    const auto tok = Tokenizer::from_gguf(f);
    const std::string json = hf_tokenizer_json(*tok);
    if (json.size() <= kMaxHeader) seed("tokenizer_json", "synth-bpe.json", json);
}

// ---- vocab.json NUL merges.txt: Qwen2's files cut down to their first tokens --------
void vocab_merges_seeds(const fs::path& models) {
    const fs::path dir = models / "qwen2-tokenizer";
    const nlohmann::json vocab = nlohmann::json::parse(read_bytes(dir / "vocab.json"));
    const std::string merges = read_bytes(dir / "merges.txt");
    for (const size_t n_tokens : {size_t{300}, size_t{3000}}) {
        nlohmann::json small = nlohmann::json::object();
        for (const auto& [text, id] : vocab.items())
            if (id.get<size_t>() < n_tokens) small[text] = id;
        // The merges whose parts and result are all in the cut-down vocabulary.
        std::string kept;
        size_t pos = 0;
        while (pos < merges.size()) {
            size_t end = merges.find('\n', pos);
            if (end == std::string::npos) end = merges.size();
            const std::string line = merges.substr(pos, end - pos);
            pos = end + 1;
            const size_t space = line.find(' ');
            if (line.rfind("#", 0) == 0) { kept += line + "\n"; continue; }
            if (space == std::string::npos) continue;
            const std::string a = line.substr(0, space), b = line.substr(space + 1);
            if (small.contains(a) && small.contains(b) && small.contains(a + b)) kept += line + "\n";
        }
        seed("vocab_merges", "qwen2-" + std::to_string(n_tokens) + ".txt", small.dump() + '\0' + kept);
    }
}

// ---- compression plans: every preset for a fixture's config -----------------------------
void plan_seeds(const fs::path& models) {
    const GgufFile f = GgufFile::open((models / "tiny-fixtures" / "tiny-llama-f32.gguf").string());
    const ModelConfig config = read_config(f);
    for (const std::string_view name : preset_names())
        seed("plan", std::string(name) + ".json", plan_to_json(preset_plan(name, config)));
}

// ---- HDF5 trace: a small one the profiler's trace store writes -------------------------
prof::Run small_run(uint64_t seed_value, int steps, bool with_accuracy) {
    prof::Run r;
    prof::RunConfig& c = r.config;
    c.created = "2026-11-23T00:00:00Z";
    c.pareto_version = "fuzz-seed";
    c.model_path = "/models/m.gguf";
    c.model_sha256 = std::string(64, 'a');
    c.model_name = "seed model";
    c.architecture = "llama";
    c.model_type = "Q4_0";
    c.compression_plan = R"({"default_type": "Q4_0"})";
    c.threads = 2;
    c.n_ctx = 512;
    c.seed = seed_value;
    c.prompt = "Once upon a time";
    c.n_prompt = 5;
    c.n_generated = steps;
    int64_t t = 1000;
    for (int s = 0; s < steps; ++s) {
        prof::TokenRecord tok{s, s == 0 ? Phase::Prefill : Phase::Decode, s == 0 ? 5 : 1, s == 0 ? 0 : 4 + s, 10 + s, t, 0};
        for (int i = 0; i < 3; ++i) {
            prof::OpRecord o;
            o.t_begin_ns = t;
            t += 500;
            o.t_end_ns = t;
            o.pos = tok.pos;
            o.bytes_read = 1000u * uint64_t(i + 1);
            o.flops = 5000;
            o.step = s;
            o.layer = i;
            o.n_tokens = tok.n_tokens;
            o.kind = static_cast<OpKind>(i % kOpKindCount);
            o.phase = tok.phase;
            r.ops.push_back(o);
        }
        tok.t_end_ns = ++t;
        r.tokens.push_back(tok);
        r.memory.push_back({t, 1000u + uint64_t(s), 2000u + uint64_t(s)});
    }
    r.memory_breakdown.push_back({prof::MemoryEntry::Category::Weights, "blk.0.attn_q.weight", "Q4_0", 0, 12345});
    r.memory_breakdown.push_back({prof::MemoryEntry::Category::KvCache, "kv_cache", "F32", -1, 999});
    if (with_accuracy) {
        prof::AccuracyRecord a;
        a.text = "wiki.test.raw";
        a.n_ctx = 128;
        a.n_chunks = 1;
        a.n_scored = 127;
        a.ppl = 12.5;
        r.accuracy = a;
    }
    return r;
}

void trace_seeds() {
    const fs::path work = g_out / "trace-work";
    fs::remove_all(work);
    fs::create_directories(work);
    const std::string one = (work / "one.h5").string();
    prof::append_run(one, small_run(1, 2, false));
    seed("trace", "one-run.h5", read_bytes(one));
    const std::string two = (work / "two.h5").string();
    prof::append_run(two, small_run(2, 3, true));
    prof::append_run(two, small_run(3, 1, false));
    seed("trace", "two-runs.h5", read_bytes(two));
    fs::remove_all(work);
}

// ---- chat templates: the published templates with a conversation ------------------------
void chat_template_seeds(const fs::path& models) {
    const std::string conversation = std::string("\x01") +
        "system\x1fYou are helpful.\x1euser\x1fHi there\x1e" "assistant\x1f<think>hmm</think>Hello!\x1euser\x1fWhat is 2+2?";
    std::vector<std::pair<std::string, std::string>> templates;
    for (const fs::path& p : files_under(models / "templates", ".jinja")) templates.emplace_back(p.stem().string(), read_bytes(p));
    const nlohmann::json config = nlohmann::json::parse(read_bytes(models / "qwen2-tokenizer" / "tokenizer_config.json"));
    if (config.contains("chat_template") && config["chat_template"].is_string())
        templates.emplace_back("qwen2-tokenizer-config", config["chat_template"].get<std::string>());
    for (const fs::path& p : files_under(models / "vocab", ".gguf")) {
        const GgufFile f = GgufFile::open(p.string());
        const std::string t = f.get_string("tokenizer.chat_template", "");
        if (!t.empty()) templates.emplace_back(p.stem().string(), t);
    }
    for (const auto& [name, text] : templates) {
        seed("chat_template", name + ".txt", text + '\0' + conversation);
        std::string no_prompt = text;  // flag byte 0: no generation prompt
        no_prompt += '\0';
        no_prompt += '\0';
        no_prompt += "user\x1fhello";
        seed("chat_template", name + "-no-prompt.txt", no_prompt);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds OUT_DIR  (fixtures from PARETO_TEST_DATA, default %s)\n",
                     PARETO_TEST_DATA_DEFAULT);
        return 2;
    }
    const char* env = std::getenv("PARETO_TEST_DATA");
    const fs::path models = fs::path(env && *env ? env : PARETO_TEST_DATA_DEFAULT) / "models";
    g_out = argv[1];
    const char* ci = std::getenv("CI");
    if (!fs::is_directory(models)) {
        std::fprintf(stderr, "make_seeds: %s: no such folder (the shared fixtures; set PARETO_TEST_DATA)\n", models.c_str());
        return ci && std::string(ci) == "true" ? 1 : 77;  // 77: ctest's skip
    }
    try {
        gguf_seeds(models);
        safetensors_seeds(models);
        tokenizer_json_seeds(models);
        vocab_merges_seeds(models);
        plan_seeds(models);
        trace_seeds();
        chat_template_seeds(models);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_seeds: %s\n", e.what());
        return 1;
    }
    std::printf("make_seeds: %d seeds in %s\n", g_count, g_out.c_str());
    return 0;
}

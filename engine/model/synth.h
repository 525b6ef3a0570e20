#pragma once
// Synthetic models: a real architecture's shapes (Qwen2.5-0.5B, DeepSeek-R1-Distill-
// Qwen-1.5B, Llama-3.2-1B, ...) with seeded random weights and a working tokenizer,
// written as a GGUF file that Pareto and llama.cpp both load. For speed and memory
// work without downloading real weights: the cost of a model depends on its shapes
// and types, not on what its weights say.
//
//     SynthOptions o;
//     o.preset = "qwen2-0.5b";
//     o.type = "Q4_K_M";
//     ModelSynthesizer synth(o);       // validates, plans every tensor, builds metadata
//     synth.write("/tmp/qwen2-0.5b-q4_k_m.gguf");
//
// Weights: a seeded splitmix64 stream per tensor row (the same file for the same
// seed on every platform and thread count), approximately normal with std 0.02
// (biases 0.01); norms are 1. Tensors are generated and quantized in parallel over
// rows, in chunks of about 64 MiB, while the previous chunk is written, so memory
// stays near two chunks whatever the model's size.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/gguf_writer.h"
#include "model/config.h"
#include "tensor/dtype.h"

namespace pareto {

class ThreadPool;

struct SynthPreset {
    std::string_view name;
    std::string_view description;  // the model whose shapes these are ("Qwen2.5-0.5B")
    Arch arch;                     // its architecture (the default for SynthOptions::arch)
    int64_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx_train;
    double rope_theta, rms_eps;
    bool tied_output;              // lm_head shares token_embd
};

std::span<const SynthPreset> synth_presets();
// Throws pareto::Error naming the known presets.
const SynthPreset& find_synth_preset(std::string_view name);

// A weight type for the whole model: one type for every matrix ("Q8_0"), or a mix
// ("Q4_K_M", "Q5_K_M") that gives some matrices more bits. Norms and biases are
// always F32.
struct SynthType {
    std::string name;       // as given, upper case
    DType base = DType::F16;
    bool mix = false;       // *_K_M
    uint32_t file_type = 1; // general.file_type (llama.cpp's llama_ftype numbering)
};
SynthType parse_synth_type(std::string_view name);  // throws naming the supported types
std::string synth_type_names();                      // "F32, F16, ..." for help and errors

// The type a weight matrix gets under `type` before the row-length fallback:
//   pure types: `base` everywhere;
//   Q4_K_M / Q5_K_M: Q6_K for the output matrix (token_embd when tied), and for
//     attn_v and ffn_down in the first and last eighth of the layers and every third
//     layer in between; `base` (Q4_K / Q5_K) for everything else.
// `name` is the GGUF tensor name ("blk.3.attn_v.weight"), `layer` its block (-1 for
// global tensors).
DType synth_matrix_type(const SynthType& type, std::string_view name, int64_t layer, int64_t n_layer, bool tied);
// When a row of `row_len` values is not a whole number of `type`'s blocks, the type
// used instead: Q2_K, Q3_K -> Q4_0; Q4_K -> Q5_0; Q5_K -> Q5_1; Q6_K -> Q8_0 (all
// 32-value blocks); then F16 when even 32 does not divide the row.
DType synth_fallback_type(DType type, int64_t row_len);

struct SynthOptions {
    std::string preset = "tiny";
    std::optional<Arch> arch;       // default: the preset's
    std::string type = "F16";       // see parse_synth_type
    uint64_t seed = 0;
    // "" for a built-in byte-level BPE; a GGUF file (its tokenizer.* keys are copied);
    // or a folder with a HuggingFace vocab.json + merges.txt (+ tokenizer_config.json).
    std::string tokenizer;
    std::string tokenizer_pre;      // HF folder: the pre-tokenizer; "" guesses from the vocabulary
    int64_t n_layer = 0;            // > 0 overrides the preset's layer count
    int n_threads = 0;              // 0: one per hardware thread
    std::string name;               // general.name; "" gives "synth <preset>"
};

struct SynthTensorPlan {
    std::string name;
    DType type;
    std::vector<uint64_t> shape;    // GGUF order
    DType wanted;                   // before the row-length fallback (== type when none)
    size_t n_bytes;
};

struct SynthSummary {
    ModelConfig config;             // as read_config() reads the file back (n_vocab set, tied, bias)
    SynthType type;
    std::string tokenizer;          // what the vocabulary is, for the report
    size_t n_tokens = 0;            // real (non-padding) entries of the vocabulary
    uint64_t n_params = 0;
    uint64_t weight_bytes = 0;      // every tensor's bytes
    uint64_t file_bytes = 0;
    std::vector<SynthTensorPlan> tensors;
    std::map<std::string, size_t> tensors_by_type;  // type name -> count
    std::vector<std::string> fallbacks;             // "blk.0.attn_q.weight: Q4_K -> Q5_0 (row 896)"
};

struct SynthProgress {
    uint64_t bytes_done = 0;
    uint64_t bytes_total = 0;
    std::string_view tensor;
};
using SynthProgressFn = std::function<void(const SynthProgress&)>;

class ModelSynthesizer {
public:
    // Validates the options and plans the model; throws pareto::Error naming a bad
    // preset, type, layer count or tokenizer.
    explicit ModelSynthesizer(const SynthOptions& options);
    ~ModelSynthesizer();
    ModelSynthesizer(const ModelSynthesizer&) = delete;
    ModelSynthesizer& operator=(const ModelSynthesizer&) = delete;

    const SynthSummary& summary() const { return summary_; }
    const GgufWriter& writer() const { return writer_; }

    // Generates and writes the model atomically (see GgufWriter::write). `progress`
    // is called after each chunk, on the calling thread.
    void write(const std::string& path, const SynthProgressFn& progress = {});
    // The whole file in memory (tests, tiny models).
    std::vector<uint8_t> serialize();

private:
    void add_metadata(const SynthOptions& o, const SynthPreset& p, size_t* n_tokens);
    void plan_tensors();
    void generate_rows(size_t tensor, uint64_t row_begin, uint64_t n_rows, uint8_t* dst);

    struct Init;
    SynthSummary summary_;
    GgufWriter writer_;
    uint64_t seed_ = 0;
    std::vector<Init> inits_;
    std::unique_ptr<ThreadPool> pool_;
    std::vector<std::vector<float>> scratch_;  // one row of floats per thread
    SynthProgressFn progress_;
    uint64_t bytes_done_ = 0;
};

}  // namespace pareto

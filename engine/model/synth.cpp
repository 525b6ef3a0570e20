#include "model/synth.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "format/gguf.h"
#include "tensor/half.h"
#include "tensor/quant.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

// ---- presets -----------------------------------------------------------------------

// Shapes as published in each model's config.json.
constexpr SynthPreset kPresets[] = {
    // name, description, arch, embd, layers, heads, kv heads, head dim, ffn, vocab, ctx, rope theta, rms eps, tied
    {"tiny", "tiny test", Arch::Llama,  // rows of 256: every K-quant applies
     256, 2, 4, 2, 64, 512, 1024, 2048, 10000.0, 1e-5, false},
    {"tiny-tied", "tiny test, tied output", Arch::Qwen2,
     256, 2, 4, 2, 64, 512, 1024, 2048, 1000000.0, 1e-6, true},
    {"smollm2-135m", "SmolLM2-135M", Arch::Llama,
     576, 30, 9, 3, 64, 1536, 49152, 8192, 100000.0, 1e-5, true},
    {"qwen2-0.5b", "Qwen2.5-0.5B", Arch::Qwen2,
     896, 24, 14, 2, 64, 4864, 151936, 32768, 1000000.0, 1e-6, true},
    {"qwen2-1.5b", "Qwen2.5-1.5B", Arch::Qwen2,
     1536, 28, 12, 2, 128, 8960, 151936, 32768, 1000000.0, 1e-6, true},
    {"r1-distill-qwen-1.5b", "DeepSeek-R1-Distill-Qwen-1.5B", Arch::Qwen2,
     1536, 28, 12, 2, 128, 8960, 151936, 131072, 10000.0, 1e-6, false},
    {"llama-1b", "Llama-3.2-1B", Arch::Llama,
     2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000.0, 1e-5, true},
    {"llama-3b", "Llama-3.2-3B", Arch::Llama,
     3072, 28, 24, 8, 128, 8192, 128256, 131072, 500000.0, 1e-5, true},
};

std::string upper(std::string_view s) {
    std::string u(s);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
}

// ---- random weights ----------------------------------------------------------------

inline uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

// n approximately normal values with standard deviation `std`: each is the sum of the
// four 16-bit lanes of one splitmix64 output (Irwin-Hall, bounded at 3.46 std), in
// exact integer and IEEE float arithmetic, so every platform gives the same bits.
void fill_normal(float* out, int64_t n, uint64_t tensor_seed, uint64_t row, float std) {
    uint64_t state = tensor_seed ^ (row * 0xD1B54A32D192ED03ull);
    splitmix64(state);
    // Four uniform lanes of 0..65535: mean 131070, variance 4 * (65536^2 - 1) / 12.
    const float scale = std / 37837.2273f;
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t z = splitmix64(state);
        const uint32_t sum = static_cast<uint32_t>(z & 0xffff) + static_cast<uint32_t>((z >> 16) & 0xffff) +
                             static_cast<uint32_t>((z >> 32) & 0xffff) + static_cast<uint32_t>(z >> 48);
        out[i] = (static_cast<float>(sum) - 131070.0f) * scale;
    }
}

void convert_row(DType type, const float* src, uint8_t* dst, int64_t n) {
    switch (type) {
        case DType::F32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            return;
        case DType::F16:
            for (int64_t i = 0; i < n; ++i) {
                const uint16_t h = f32_to_f16(src[i]);
                std::memcpy(dst + 2 * i, &h, 2);
            }
            return;
        case DType::BF16:
            for (int64_t i = 0; i < n; ++i) {
                const uint16_t h = f32_to_bf16(src[i]);
                std::memcpy(dst + 2 * i, &h, 2);
            }
            return;
        default:
            quantize_row_ref(type, src, dst, n);
    }
}

bool is_quantized(DType t) { return t != DType::F32 && t != DType::F16 && t != DType::BF16; }

// ---- tokenizer metadata --------------------------------------------------------------

// The text the built-in tokenizer learns its merges from (written for Pareto).
constexpr std::string_view kBuiltinText =
    "The small computer on the desk hums quietly while it reads a long text, one word at a time. "
    "It has two cores, a little memory and no fan, so every byte it moves must earn its place. "
    "When a model is too large for the board, we make it smaller: we store its weights with fewer bits, "
    "we measure what that costs in speed and in quality, and we choose the point where both are good enough. "
    "A language model predicts the next token from the tokens before it. The prompt is read in one pass; "
    "then the model writes its answer token by token, and each new token needs every weight once. "
    "That is why decoding is limited by memory bandwidth and prompt processing by arithmetic. "
    "The cache keeps the keys and values of past tokens, so the model never computes them twice. "
    "On a cold morning the river was grey and the boats stayed in the harbour. The children walked to school "
    "along the water, counting the birds on the wall: one, two, three, four, five, six, seven, eight, nine, ten. "
    "Their teacher asked them to write a story about the sea, and the best story would be read aloud on Friday. "
    "She wrote that the sea is never the same twice, that it remembers the wind of yesterday and the moon of tonight. "
    "He wrote about a fisherman who found a bottle with a letter inside, and the letter was a map of the town. "
    "In 2024 the town had 12,500 people, 3 bridges, 14 shops and 1 library that opened at 9:30 every day. "
    "Numbers matter: 0.5, 1.5, 2048, 4096, 32768 and 131072 are sizes you will meet again and again. "
    "Good tools tell you what they did and why. They print the time they took, the memory they used, "
    "and the errors they found, with the name of the file and the line where things went wrong. "
    "If the answer is wrong, the first question is simple: what changed since the last time it was right? "
    "Measure first, then change one thing, then measure again. Write down what you tried, even when it failed. "
    "The quick brown fox jumps over the lazy dog, and the lazy dog does not seem to mind at all. "
    "Questions, answers, and notes: where is the model? which type is faster? how much memory is left? "
    "Hello, world! This is a test of the tokenizer, with punctuation; quotes \"like these\"; and (brackets). "
    "def add(a, b):\n    return a + b\n\nfor i in range(10):\n    print(i, add(i, i))\n";

// GPT-2's printable spelling of a byte: printable Latin-1 bytes stand for
// themselves; the others are mapped, in order, to U+0100 onwards.
std::string byte_token_text(int b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    uint32_t cp = static_cast<uint32_t>(b);
    if (!printable) {
        uint32_t k = 0;
        for (int x = 0; x < b; ++x) {
            const bool p = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
            if (!p) ++k;
        }
        cp = 256 + k;
    }
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else {  // all code points here are below U+0800: two bytes
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

GgufValue string_array(const std::vector<std::string>& v) {
    GgufValue::Array a;
    a.reserve(v.size());
    for (const auto& s : v) a.push_back(GgufValue::make_string(s));
    return GgufValue::make_array(GgufType::STRING, std::move(a));
}

GgufValue int32_array(const std::vector<int32_t>& v) {
    GgufValue::Array a;
    a.reserve(v.size());
    for (int32_t x : v) a.push_back(GgufValue::make_int(GgufType::INT32, x));
    return GgufValue::make_array(GgufType::INT32, std::move(a));
}

GgufValue u32(uint64_t v) { return GgufValue::make_uint(GgufType::UINT32, v); }
GgufValue f32(double v) { return GgufValue::make_float(GgufType::FLOAT32, v); }

struct VocabOut {
    std::vector<std::pair<std::string, GgufValue>> keys;  // tokenizer.* keys, in order
    size_t n_tokens = 0;                                   // entries before padding
    size_t n_total = 0;                                    // after padding
    std::string description;
};

constexpr int32_t kTypeNormal = 1, kTypeControl = 3, kTypeUnused = 5, kTypeByte = 6;

// A byte-level BPE of our own: 256 byte tokens, merges learned greedily (most
// frequent adjacent pair first, ties to the lower ids) from kBuiltinText split by the
// real pre-tokenizer, the family's special tokens, then reserved control tokens up to
// the vocabulary size.
VocabOut builtin_vocab(Arch arch, int64_t n_vocab) {
    const bool qwen = arch == Arch::Qwen2;
    const std::string pre = qwen ? "qwen2" : "llama-bpe";
    const std::vector<std::string> specials =
        qwen ? std::vector<std::string>{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}
             : std::vector<std::string>{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                        "<|end_header_id|>", "<|eot_id|>"};
    const int64_t min_vocab = 256 + static_cast<int64_t>(specials.size());
    if (n_vocab < min_vocab)
        fail("the built-in tokenizer needs a vocabulary of at least " + std::to_string(min_vocab) + " tokens");
    const size_t max_merges = static_cast<size_t>(n_vocab - min_vocab);

    std::vector<std::string> tokens;
    std::map<std::string, int32_t> id_of;
    for (int b = 0; b < 256; ++b) {
        tokens.push_back(byte_token_text(b));
        id_of.emplace(tokens.back(), b);
    }

    // Words (pre-tokenizer pieces) with their counts, as sequences of token ids.
    std::map<std::string, int64_t> counts;
    for (std::string_view piece : PreTokenizer(pre).split(kBuiltinText)) ++counts[std::string(piece)];
    std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
    for (const auto& [w, c] : counts) {
        std::vector<int32_t> ids;
        for (unsigned char ch : w) ids.push_back(ch);
        words.emplace_back(std::move(ids), c);
    }

    std::vector<std::string> merges;
    while (merges.size() < max_merges) {
        std::map<std::pair<int32_t, int32_t>, int64_t> pairs;
        for (const auto& [ids, c] : words)
            for (size_t i = 0; i + 1 < ids.size(); ++i) pairs[{ids[i], ids[i + 1]}] += c;
        std::pair<int32_t, int32_t> best{-1, -1};
        int64_t best_count = 1;  // a merge must occur at least twice
        for (const auto& [p, c] : pairs)
            if (c > best_count) {  // map order: ties keep the lower ids
                best = p;
                best_count = c;
            }
        if (best.first < 0) break;
        const std::string text = tokens[best.first] + tokens[best.second];
        merges.push_back(tokens[best.first] + " " + tokens[best.second]);
        int32_t id;
        if (auto it = id_of.find(text); it != id_of.end()) {
            id = it->second;
        } else {
            id = static_cast<int32_t>(tokens.size());
            tokens.push_back(text);
            id_of.emplace(text, id);
        }
        for (auto& [ids, c] : words) {
            std::vector<int32_t> out;
            out.reserve(ids.size());
            for (size_t i = 0; i < ids.size(); ++i) {
                if (i + 1 < ids.size() && ids[i] == best.first && ids[i + 1] == best.second) {
                    out.push_back(id);
                    ++i;
                } else {
                    out.push_back(ids[i]);
                }
            }
            ids = std::move(out);
        }
        if (static_cast<int64_t>(tokens.size()) + static_cast<int64_t>(specials.size()) >= n_vocab) break;
    }
    const size_t n_learned = tokens.size() - 256;
    std::vector<int32_t> types(tokens.size(), kTypeNormal);
    const auto first_special = static_cast<int32_t>(tokens.size());
    for (const auto& s : specials) {
        tokens.push_back(s);
        types.push_back(kTypeControl);
    }
    const size_t n_real = tokens.size();
    for (int64_t k = 0; static_cast<int64_t>(tokens.size()) < n_vocab; ++k) {
        tokens.push_back("<|reserved_special_token_" + std::to_string(k) + "|>");
        types.push_back(kTypeControl);
    }

    VocabOut v;
    v.n_tokens = n_real;
    v.n_total = tokens.size();
    v.description = "built-in byte-level BPE (pre " + pre + "): 256 bytes, " + std::to_string(n_learned) +
                    " merged tokens, " + std::to_string(specials.size()) + " special, " +
                    std::to_string(tokens.size() - n_real) + " reserved";
    const int32_t bos = first_special;                   // <|endoftext|> / <|begin_of_text|>
    const int32_t eos = first_special + (qwen ? 0 : 1);  // <|endoftext|> / <|end_of_text|>
    v.keys.emplace_back("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
    v.keys.emplace_back("tokenizer.ggml.pre", GgufValue::make_string(pre));
    v.keys.emplace_back("tokenizer.ggml.tokens", string_array(tokens));
    v.keys.emplace_back("tokenizer.ggml.token_type", int32_array(types));
    v.keys.emplace_back("tokenizer.ggml.merges", string_array(merges));
    v.keys.emplace_back("tokenizer.ggml.bos_token_id", u32(static_cast<uint64_t>(bos)));
    v.keys.emplace_back("tokenizer.ggml.eos_token_id", u32(static_cast<uint64_t>(eos)));
    v.keys.emplace_back("tokenizer.ggml.padding_token_id", u32(static_cast<uint64_t>(eos)));
    v.keys.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::make_bool(!qwen));
    v.keys.emplace_back("tokenizer.ggml.add_eos_token", GgufValue::make_bool(false));
    return v;
}

// Pads the token arrays of a copied vocabulary to n_vocab entries with unused
// "[PAD<id>]" tokens, as converters do when a model's embedding has spare rows.
void pad_vocab(VocabOut& v, int64_t n_vocab) {
    auto find = [&](std::string_view key) -> GgufValue* {
        for (auto& [k, val] : v.keys)
            if (k == key) return &val;
        return nullptr;
    };
    GgufValue* tokens = find("tokenizer.ggml.tokens");
    if (!tokens) fail("the tokenizer has no 'tokenizer.ggml.tokens'");
    const size_t n = tokens->as_array("tokenizer.ggml.tokens").size();
    v.n_tokens = n;
    v.n_total = std::max<size_t>(n, static_cast<size_t>(n_vocab));
    if (n >= static_cast<size_t>(n_vocab)) return;

    GgufValue::Array t = tokens->as_array();
    for (size_t i = n; i < static_cast<size_t>(n_vocab); ++i)
        t.push_back(GgufValue::make_string("[PAD" + std::to_string(i) + "]"));
    *tokens = GgufValue::make_array(GgufType::STRING, std::move(t));

    GgufValue* types = find("tokenizer.ggml.token_type");
    GgufValue::Array ty;
    if (types) {
        ty = types->as_array("tokenizer.ggml.token_type");
    } else {  // absent: normal tokens, byte tokens recognised by their "<0xXX>" form
        for (size_t i = 0; i < n; ++i) {
            const std::string& s = tokens->as_array()[i].as_string();
            const bool byte = s.size() == 6 && s.rfind("<0x", 0) == 0 && s[5] == '>';
            ty.push_back(GgufValue::make_int(GgufType::INT32, byte ? kTypeByte : kTypeNormal));
        }
    }
    const GgufType ty_elem = types ? types->element_type() : GgufType::INT32;
    for (size_t i = n; i < static_cast<size_t>(n_vocab); ++i) ty.push_back(GgufValue::make_int(ty_elem, kTypeUnused));
    if (types) *types = GgufValue::make_array(ty_elem, std::move(ty));
    else v.keys.emplace_back("tokenizer.ggml.token_type", GgufValue::make_array(GgufType::INT32, std::move(ty)));

    if (GgufValue* scores = find("tokenizer.ggml.scores")) {
        GgufValue::Array sc = scores->as_array("tokenizer.ggml.scores");
        const GgufType elem = scores->element_type();
        for (size_t i = sc.size(); i < static_cast<size_t>(n_vocab); ++i) sc.push_back(GgufValue::make_float(elem, -1000.0));
        *scores = GgufValue::make_array(elem, std::move(sc));
    }
}

VocabOut gguf_vocab(const std::string& path, int64_t n_vocab) {
    const GgufFile f = GgufFile::open(path);
    Tokenizer::from_gguf(f);  // refuses a broken vocabulary here, with the file's name
    VocabOut v;
    for (const auto& [key, value] : f.metadata())
        if (key.rfind("tokenizer.", 0) == 0) v.keys.emplace_back(key, value);
    pad_vocab(v, n_vocab);
    v.description = "copied from " + path + " (" + f.get_string("tokenizer.ggml.model", "?") + ", pre " +
                    f.get_string("tokenizer.ggml.pre", "default") + ", " + std::to_string(v.n_tokens) + " tokens)";
    return v;
}

std::vector<std::string> read_merges_txt(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(p.string() + ": cannot open");
    std::vector<std::string> merges;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const bool header = first && line.rfind("#version", 0) == 0;
        first = false;
        if (line.empty() || header) continue;
        merges.push_back(line);
    }
    return merges;
}

VocabOut hf_vocab(const std::string& dir, const std::string& pre_wanted, Arch arch, int64_t n_vocab) {
    std::string pre = pre_wanted;
    if (pre.empty()) {
        // Guess the family from tokenizer_config.json (a Llama 3 tokenizer names
        // <|begin_of_text|>, Qwen's <|im_start|> and its class Qwen2Tokenizer).
        const std::string cfg_path = std::filesystem::path(dir) / "tokenizer_config.json";
        std::ifstream cin(cfg_path, std::ios::binary);
        const std::string cfg((std::istreambuf_iterator<char>(cin)), std::istreambuf_iterator<char>());
        if (cfg.find("<|begin_of_text|>") != std::string::npos) pre = "llama-bpe";
        else if (cfg.find("<|im_start|>") != std::string::npos || cfg.find("Qwen2") != std::string::npos) pre = "qwen2";
        else pre = arch == Arch::Qwen2 ? "qwen2" : "llama-bpe";
    }
    const auto tok = Tokenizer::from_hf_vocab_merges(dir, pre);
    const size_t n = tok->vocab_size();
    std::vector<std::string> tokens(n);
    std::vector<int32_t> types(n);
    for (size_t i = 0; i < n; ++i) {
        const auto id = static_cast<TokenId>(i);
        types[i] = static_cast<int32_t>(tok->token_kind(id));
        tokens[i] = tok->token_text(id);
        if (tok->token_kind(id) == TokenKind::Unused && tokens[i].empty()) tokens[i] = "[PAD" + std::to_string(i) + "]";
    }
    // Without a BOS in the config, byte-level vocabularies use their end-of-text token
    // (as converted Qwen2 files do); never adding it unless the config says so.
    std::optional<TokenId> bos = tok->bos();
    if (!bos) bos = tok->find_token("<|endoftext|>");
    if (!bos) bos = tok->eos();

    VocabOut v;
    v.keys.emplace_back("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
    v.keys.emplace_back("tokenizer.ggml.pre", GgufValue::make_string(pre));
    v.keys.emplace_back("tokenizer.ggml.tokens", string_array(tokens));
    v.keys.emplace_back("tokenizer.ggml.token_type", int32_array(types));
    v.keys.emplace_back("tokenizer.ggml.merges", string_array(read_merges_txt(std::filesystem::path(dir) / "merges.txt")));
    if (bos) v.keys.emplace_back("tokenizer.ggml.bos_token_id", u32(static_cast<uint64_t>(*bos)));
    if (tok->eos()) v.keys.emplace_back("tokenizer.ggml.eos_token_id", u32(static_cast<uint64_t>(*tok->eos())));
    if (tok->pad()) v.keys.emplace_back("tokenizer.ggml.padding_token_id", u32(static_cast<uint64_t>(*tok->pad())));
    v.keys.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::make_bool(tok->add_bos_default()));
    v.keys.emplace_back("tokenizer.ggml.add_eos_token", GgufValue::make_bool(tok->add_eos_default()));
    pad_vocab(v, n_vocab);
    v.description = "HuggingFace vocab.json + merges.txt from " + dir + " (pre " + pre + ", " +
                    std::to_string(v.n_tokens) + " tokens)";
    return v;
}

VocabOut make_vocab(const SynthOptions& o, Arch arch, int64_t n_vocab) {
    if (o.tokenizer.empty()) return builtin_vocab(arch, n_vocab);
    std::error_code ec;
    if (std::filesystem::is_directory(o.tokenizer, ec)) {
        const auto dir = std::filesystem::path(o.tokenizer);
        if (!std::filesystem::exists(dir / "vocab.json") || !std::filesystem::exists(dir / "merges.txt"))
            fail("tokenizer folder " + o.tokenizer + " has no vocab.json and merges.txt");
        return hf_vocab(o.tokenizer, o.tokenizer_pre, arch, n_vocab);
    }
    if (!std::filesystem::exists(o.tokenizer, ec))
        fail("tokenizer " + o.tokenizer + ": no such file or folder (give a GGUF file or a folder with vocab.json + merges.txt)");
    return gguf_vocab(o.tokenizer, n_vocab);
}

constexpr DType kPureTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0,
                                DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K,
                                DType::Q4_K, DType::Q5_K, DType::Q6_K};

// Layers whose attn_v and ffn_down get more bits in the *_K_M mixes: the first and
// last eighth of the stack, and every third layer in between.
bool more_bits_layer(int64_t layer, int64_t n_layer) {
    const int64_t eighth = n_layer / 8;
    return layer < eighth || layer >= 7 * n_layer / 8 || (layer - eighth) % 3 == 2;
}

}  // namespace

// ---- public helpers --------------------------------------------------------------------

std::span<const SynthPreset> synth_presets() { return kPresets; }

const SynthPreset& find_synth_preset(std::string_view name) {
    for (const auto& p : kPresets)
        if (p.name == name) return p;
    std::string known;
    for (const auto& p : kPresets) known += (known.empty() ? "" : ", ") + std::string(p.name);
    fail("unknown preset '" + std::string(name) + "' (known: " + known + ")");
}

std::string synth_type_names() {
    std::string s;
    for (DType t : kPureTypes) s += std::string(dtype_name(t)) + ", ";
    return s + "Q4_K_M, Q5_K_M";
}

SynthType parse_synth_type(std::string_view name) {
    SynthType t;
    t.name = upper(name);
    if (t.name == "Q4_K_M" || t.name == "Q5_K_M") {
        t.mix = true;
        t.base = t.name == "Q4_K_M" ? DType::Q4_K : DType::Q5_K;
        t.file_type = t.name == "Q4_K_M" ? 15 : 17;
        return t;
    }
    const auto d = dtype_from_name(t.name);
    if (!d || std::find(std::begin(kPureTypes), std::end(kPureTypes), *d) == std::end(kPureTypes))
        fail("unknown or unsupported type '" + std::string(name) + "' (supported: " + synth_type_names() + ")");
    t.base = *d;
    t.file_type = dtype_file_type(*d).value_or(0);
    return t;
}

DType synth_matrix_type(const SynthType& type, std::string_view name, int64_t layer, int64_t n_layer, bool tied) {
    if (!type.mix) return type.base;
    const bool output = name == "output.weight" || (tied && name == "token_embd.weight");
    if (output) return DType::Q6_K;
    const bool sensitive = name.ends_with(".attn_v.weight") || name.ends_with(".ffn_down.weight");
    if (sensitive && layer >= 0 && more_bits_layer(layer, n_layer)) return DType::Q6_K;
    return type.base;
}

DType synth_fallback_type(DType type, int64_t row_len) {
    const auto& info = dtype_info(type);
    if (row_len % info.block_elems == 0) return type;
    DType alt = DType::F16;
    switch (type) {
        case DType::Q2_K:
        case DType::Q3_K: alt = DType::Q4_0; break;
        case DType::Q4_K: alt = DType::Q5_0; break;
        case DType::Q5_K: alt = DType::Q5_1; break;
        case DType::Q6_K: alt = DType::Q8_0; break;
        default: break;
    }
    if (row_len % dtype_info(alt).block_elems != 0) alt = DType::F16;
    return alt;
}

// ---- the synthesizer -------------------------------------------------------------------

struct ModelSynthesizer::Init {
    enum Kind { Normal, Constant } kind = Normal;
    float value = 0;          // std (Normal) or the value (Constant)
    uint64_t seed = 0;
    int64_t cols = 0;
    DType type = DType::F32;
    size_t row_bytes = 0;
};

ModelSynthesizer::ModelSynthesizer(const SynthOptions& o) {
    const SynthPreset& p = find_synth_preset(o.preset);
    summary_.type = parse_synth_type(o.type);
    if (o.n_layer < 0 || o.n_layer > 4096) fail("layer count " + std::to_string(o.n_layer) + " is out of range (1 to 4096)");
    if (o.n_threads < 0 || o.n_threads > 1024) fail("thread count " + std::to_string(o.n_threads) + " is out of range");
    seed_ = o.seed;

    ModelConfig& c = summary_.config;
    c.arch = o.arch.value_or(p.arch);
    c.arch_name = arch_name(c.arch);
    c.n_embd = p.n_embd;
    c.n_layer = o.n_layer > 0 ? o.n_layer : p.n_layer;
    c.n_head = p.n_head;
    c.n_head_kv = p.n_head_kv;
    c.head_dim = p.head_dim;
    c.n_ff = p.n_ff;
    c.n_ctx_train = p.n_ctx_train;
    c.rms_eps = static_cast<float>(p.rms_eps);
    c.rope_order = c.arch == Arch::Qwen2 ? RopeOrder::NeoX : RopeOrder::Normal;
    c.rope_dim = p.head_dim;
    c.rope_theta = static_cast<float>(p.rope_theta);
    c.has_qkv_bias = c.arch == Arch::Qwen2;
    c.tied_output = p.tied_output;
    c.name = o.name.empty() ? "synth " + std::string(p.name) : o.name;

    size_t n_tokens = 0;
    add_metadata(o, p, &n_tokens);
    summary_.n_tokens = n_tokens;

    pool_ = std::make_unique<ThreadPool>(o.n_threads);
    plan_tensors();
}

ModelSynthesizer::~ModelSynthesizer() = default;

void ModelSynthesizer::add_metadata(const SynthOptions& o, const SynthPreset& p, size_t* n_tokens) {
    ModelConfig& c = summary_.config;
    VocabOut vocab = make_vocab(o, c.arch, p.n_vocab);
    c.n_vocab = static_cast<int64_t>(vocab.n_total);
    summary_.tokenizer = vocab.description;
    *n_tokens = vocab.n_tokens;

    GgufWriter& w = writer_;
    const std::string a = c.arch_name + ".";
    w.add("general.architecture", GgufValue::make_string(c.arch_name));
    w.add("general.type", GgufValue::make_string("model"));
    w.add("general.name", GgufValue::make_string(c.name));
    w.add("general.description",
          GgufValue::make_string("Random weights with the shapes of " + std::string(p.description) +
                                 ", made by pareto-cli synth (not a trained model)"));
    w.add("general.file_type", u32(summary_.type.file_type));
    if (is_quantized(summary_.type.base)) w.add("general.quantization_version", u32(2));
    w.set_alignment(32);
    w.add("pareto.synth.preset", GgufValue::make_string(std::string(p.name)));
    w.add("pareto.synth.type", GgufValue::make_string(summary_.type.name));
    w.add("pareto.synth.seed", GgufValue::make_uint(GgufType::UINT64, seed_));

    w.add(a + "vocab_size", u32(static_cast<uint64_t>(c.n_vocab)));
    w.add(a + "context_length", u32(static_cast<uint64_t>(c.n_ctx_train)));
    w.add(a + "embedding_length", u32(static_cast<uint64_t>(c.n_embd)));
    w.add(a + "block_count", u32(static_cast<uint64_t>(c.n_layer)));
    w.add(a + "feed_forward_length", u32(static_cast<uint64_t>(c.n_ff)));
    w.add(a + "attention.head_count", u32(static_cast<uint64_t>(c.n_head)));
    w.add(a + "attention.head_count_kv", u32(static_cast<uint64_t>(c.n_head_kv)));
    w.add(a + "attention.key_length", u32(static_cast<uint64_t>(c.head_dim)));
    w.add(a + "attention.value_length", u32(static_cast<uint64_t>(c.head_dim)));
    w.add(a + "rope.dimension_count", u32(static_cast<uint64_t>(c.rope_dim)));
    w.add(a + "rope.freq_base", f32(p.rope_theta));
    w.add(a + "attention.layer_norm_rms_epsilon", f32(p.rms_eps));
    for (auto& [key, value] : vocab.keys) w.add(key, std::move(value));
}

void ModelSynthesizer::plan_tensors() {
    const ModelConfig& c = summary_.config;
    const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };

    // Weights std 0.02 as in common initialisations; biases smaller; norms 1.
    constexpr float kWeightStd = 0.02f, kBiasStd = 0.01f;
    auto add = [&](const std::string& name, std::vector<uint64_t> shape, DType wanted, Init::Kind kind, float value) {
        const auto cols = static_cast<int64_t>(shape[0]);
        const DType type = synth_fallback_type(wanted, cols);
        if (type != wanted)
            summary_.fallbacks.push_back(name + ": " + std::string(dtype_name(wanted)) + " -> " +
                                         std::string(dtype_name(type)) + " (row " + std::to_string(cols) + ")");
        Init in;
        in.kind = kind;
        in.value = value;
        in.seed = [&] {
            uint64_t s = seed_ ^ fnv1a(name);
            return splitmix64(s);
        }();
        in.cols = cols;
        in.type = type;
        in.row_bytes = *dtype_row_bytes(type, u(cols));
        uint64_t rows = 1;
        for (size_t i = 1; i < shape.size(); ++i) rows *= shape[i];
        const size_t n_bytes = in.row_bytes * rows;
        summary_.tensors.push_back(SynthTensorPlan{name, type, shape, wanted, n_bytes});
        summary_.n_params += u(cols) * rows;
        summary_.weight_bytes += n_bytes;
        ++summary_.tensors_by_type[std::string(dtype_name(type))];
        const size_t index = inits_.size();
        inits_.push_back(in);
        writer_.add_tensor_generated_rows(name, type, std::move(shape),
                                          [this, index](uint64_t r0, uint64_t n, uint8_t* dst) {
                                              generate_rows(index, r0, n, dst);
                                          });
    };
    auto matrix = [&](const std::string& name, int64_t cols, int64_t rows, int64_t layer) {
        add(name, {u(cols), u(rows)}, synth_matrix_type(summary_.type, name, layer, c.n_layer, c.tied_output),
            Init::Normal, kWeightStd);
    };
    auto norm = [&](const std::string& name, int64_t n) { add(name, {u(n)}, DType::F32, Init::Constant, 1.0f); };
    auto bias = [&](const std::string& name, int64_t n) { add(name, {u(n)}, DType::F32, Init::Normal, kBiasStd); };

    matrix("token_embd.weight", c.n_embd, c.n_vocab, -1);
    for (int64_t l = 0; l < c.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        norm(b + "attn_norm.weight", c.n_embd);
        matrix(b + "attn_q.weight", c.n_embd, c.q_dim(), l);
        if (c.has_qkv_bias) bias(b + "attn_q.bias", c.q_dim());
        matrix(b + "attn_k.weight", c.n_embd, c.kv_dim(), l);
        if (c.has_qkv_bias) bias(b + "attn_k.bias", c.kv_dim());
        matrix(b + "attn_v.weight", c.n_embd, c.kv_dim(), l);
        if (c.has_qkv_bias) bias(b + "attn_v.bias", c.kv_dim());
        matrix(b + "attn_output.weight", c.q_dim(), c.n_embd, l);
        norm(b + "ffn_norm.weight", c.n_embd);
        matrix(b + "ffn_gate.weight", c.n_embd, c.n_ff, l);
        matrix(b + "ffn_up.weight", c.n_embd, c.n_ff, l);
        matrix(b + "ffn_down.weight", c.n_ff, c.n_embd, l);
    }
    norm("output_norm.weight", c.n_embd);
    if (!c.tied_output) matrix("output.weight", c.n_embd, c.n_vocab, -1);

    // Every quantized type in the plan must have a reference quantizer: try one block
    // of each here, on this thread, so a missing one is an Error rather than a failure
    // inside a worker.
    int64_t max_cols = 0;
    for (const Init& in : inits_) {
        max_cols = std::max(max_cols, in.cols);
        if (!is_quantized(in.type)) continue;
        if (!dtype_has_reference(in.type))
            fail("type " + std::string(dtype_name(in.type)) + " has no reference quantizer in this build");
    }
    for (const auto& [type_name, count] : summary_.tensors_by_type) {
        const DType t = *dtype_from_name(type_name);
        if (!is_quantized(t)) continue;
        const auto n = static_cast<int64_t>(dtype_info(t).block_elems);
        std::vector<float> x(static_cast<size_t>(n), 0.01f);
        std::vector<uint8_t> y(*dtype_row_bytes(t, static_cast<uint64_t>(n)));
        quantize_row_ref(t, x.data(), y.data(), n);
    }
    scratch_.assign(static_cast<size_t>(pool_->size()), std::vector<float>(static_cast<size_t>(max_cols)));
    summary_.file_bytes = writer_.file_size();
}

void ModelSynthesizer::generate_rows(size_t tensor, uint64_t row_begin, uint64_t n_rows, uint8_t* dst) {
    const Init& in = inits_[tensor];
    const auto n = static_cast<int64_t>(n_rows);
    pool_->parallel_for(
        n,
        [&](int64_t b, int64_t e, int ith) {
            float* row = scratch_[static_cast<size_t>(ith)].data();
            for (int64_t r = b; r < e; ++r) {
                if (in.kind == Init::Constant) std::fill(row, row + in.cols, in.value);
                else fill_normal(row, in.cols, in.seed, row_begin + static_cast<uint64_t>(r), in.value);
                convert_row(in.type, row, dst + static_cast<size_t>(r) * in.row_bytes, in.cols);
            }
        },
        n * in.cols * 16);
    bytes_done_ += n_rows * in.row_bytes;
    if (progress_) progress_(SynthProgress{bytes_done_, summary_.weight_bytes, summary_.tensors[tensor].name});
}

void ModelSynthesizer::write(const std::string& path, const SynthProgressFn& progress) {
    progress_ = progress;
    bytes_done_ = 0;
    try {
        writer_.write(path);
    } catch (...) {
        progress_ = nullptr;
        throw;
    }
    progress_ = nullptr;
}

std::vector<uint8_t> ModelSynthesizer::serialize() {
    bytes_done_ = 0;
    return writer_.serialize();
}

}  // namespace pareto

#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <utility>

#include "util/error.h"

namespace pareto {
namespace {

// The patterns below are the models' own pre-tokenizer rules (from their
// HuggingFace tokenizer.json), written in PCRE2 syntax. Non-ASCII characters in
// classes are spelled \x{...} so the source stays ASCII.

// GPT-2: contractions, letters, digits and other symbols each with an optional
// leading space; runs of whitespace keep their last space for the next word.
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Llama 3: case-insensitive contractions, a letter run may take one leading
// non-letter (not a newline), digits in groups of up to three, newlines grouped.
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Qwen2 (and the DeepSeek-R1 Qwen distills): as Llama 3 but every digit alone.
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// DeepSeek LLM: newlines alone; runs of cased letters (Latin, Greek, Cyrillic,
// Armenian, Georgian, Cherokee, fullwidth Latin, ...) with an optional leading
// space; ASCII/fullwidth/CJK punctuation runs; trailing whitespace; CJK, Hangul and
// the other scripts between U+0800 and U+4E00 in runs; digit runs.
constexpr const char* kDeepseekLlmLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})"
    R"(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})"
    R"(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})"
    R"(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
    R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D})"
    R"(\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3})"
    R"(\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
    R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
    R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
    R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
    R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF})"
    R"(\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F})"
    R"(\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
    R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
constexpr const char* kDeepseekPunct = R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
constexpr const char* kDeepseekCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";

struct Family {
    const char* name;
    std::vector<const char*> steps;
};

const std::vector<Family>& families() {
    static const std::vector<Family> all = {
        {"default", {kGpt2}},
        {"gpt-2", {kGpt2}},
        {"gpt2", {kGpt2}},
        {"llama-bpe", {kLlama3}},
        {"llama3", {kLlama3}},
        {"qwen2", {kQwen2}},
        {"deepseek-r1-qwen", {kQwen2}},
        {"deepseek-llm",
         {R"([\r\n])", kDeepseekLlmLetters, kDeepseekPunct, R"(\s+$)", kDeepseekCjk, R"(\p{N}+)"}},
        // DeepSeek Coder: newlines, letter runs, punctuation runs, CJK runs, then
        // every digit alone.
        {"deepseek-coder", {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"}},
        // SmolLM/StarCoder: digits split one by one (HuggingFace's Digits), then GPT-2.
        {"smollm", {R"(\p{N})", kGpt2}},
        {"starcoder", {R"(\p{N})", kGpt2}},
    };
    return all;
}

const Family* find_family(std::string_view name) {
    for (const Family& f : families())
        if (name == f.name) return &f;
    return nullptr;
}

}  // namespace

// One compiled pattern. PCRE2_UCP makes \s, \p{..} and (?i) Unicode-aware;
// PCRE2_MATCH_INVALID_UTF lets arbitrary bytes through (they simply never match)
// instead of failing the whole match; DOLLAR_ENDONLY makes "$" mean end of piece.
class PreTokenizer::Regex {
public:
    explicit Regex(const char* pattern) {
        int err = 0;
        PCRE2_SIZE offset = 0;
        code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &err,
                              &offset, nullptr);
        if (!code_) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            fail("pre-tokenizer regex does not compile at offset " + std::to_string(offset) + ": " +
                 reinterpret_cast<const char*>(msg));
        }
        // JIT is several times faster; when it is unavailable the interpreter is used.
        pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
    }
    ~Regex() { pcre2_code_free(code_); }
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Appends the matches of the pattern in `piece` and the gaps between them.
    void split(std::string_view piece, pcre2_match_data* md, std::vector<std::string_view>& out) const {
        const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
        size_t at = 0;      // start of the next search
        size_t emitted = 0; // end of what has been appended
        while (at < piece.size()) {
            const int rc = pcre2_match(code_, subject, piece.size(), at, 0, md, nullptr);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(rc, msg, sizeof msg);
                fail(std::string("pre-tokenizer regex match failed: ") + reinterpret_cast<const char*>(msg));
            }
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
            const size_t begin = ov[0], end = ov[1];
            if (end == begin) {  // none of our patterns match empty, but never loop forever
                at = end + 1;
                continue;
            }
            if (begin > emitted) out.push_back(piece.substr(emitted, begin - emitted));
            out.push_back(piece.substr(begin, end - begin));
            emitted = at = end;
        }
        if (emitted < piece.size()) out.push_back(piece.substr(emitted));
    }

    pcre2_match_data* new_match_data() const { return pcre2_match_data_create_from_pattern(code_, nullptr); }

private:
    pcre2_code* code_ = nullptr;
};

PreTokenizer::PreTokenizer(const std::string& family) {
    const Family* f = find_family(family);
    if (!f) fail("unknown pre-tokenizer '" + family + "' (known: " + known_families() + ")");
    for (const char* pattern : f->steps) steps_.push_back(std::make_unique<Regex>(pattern));
}

PreTokenizer::~PreTokenizer() = default;

bool PreTokenizer::is_known(std::string_view family) { return find_family(family) != nullptr; }

std::string PreTokenizer::known_families() {
    std::string s;
    for (const Family& f : families()) s += (s.empty() ? "" : ", ") + std::string(f.name);
    return s;
}

std::vector<std::string> PreTokenizer::patterns_of(std::string_view family) {
    const Family* f = find_family(family);
    if (!f) fail("unknown pre-tokenizer '" + std::string(family) + "' (known: " + known_families() + ")");
    return std::vector<std::string>(f->steps.begin(), f->steps.end());
}

std::optional<std::string> PreTokenizer::family_of(const std::vector<std::string>& patterns) {
    // The first family listed wins among aliases; "default" is only an alias of GPT-2's.
    for (const Family& f : families()) {
        if (std::string_view(f.name) == "default" || f.steps.size() != patterns.size()) continue;
        if (std::equal(patterns.begin(), patterns.end(), f.steps.begin())) return std::string(f.name);
    }
    return std::nullopt;
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> pieces;
    if (text.empty()) return pieces;
    pieces.push_back(text);
    std::vector<std::string_view> next;
    for (const auto& step : steps_) {
        // Match data is per call so that one PreTokenizer can serve many threads.
        std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(step->new_match_data(),
                                                                              &pcre2_match_data_free);
        if (!md) fail("out of memory for pre-tokenizer match data");
        next.clear();
        next.reserve(pieces.size() * 2);
        for (std::string_view piece : pieces) step->split(piece, md.get(), next);
        std::swap(pieces, next);
    }
    return pieces;
}

}  // namespace pareto

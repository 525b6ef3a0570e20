// Hostile and hard inputs through the whole model path (load, session, eval): random
// bit flips in real model files, NaN and Inf weights, a memory budget too small for
// the model, invalid UTF-8 and prompts longer than the context. Each either works or
// fails with a pareto::Error naming the problem; nothing crashes or yields NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <vector>

#include "eval/perplexity.h"
#include "format/gguf.h"
#include "model/convert.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "model/weight_check.h"
#include "support/test_data.h"
#include "tensor/ops.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/memory.h"
#include "util/utf8.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "hostile_test_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string str(const std::string& sub) const { return (path / sub).string(); }
};

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Sets an environment variable for one scope.
struct ScopedEnv {
    std::string name;
    ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

// Load, a short session, a prompt and a few generated tokens: what a user's first
// command does with a file. Returns "" or the pareto::Error's message; any other
// exception fails the test.
std::string load_and_run(const std::string& path) {
    try {
        const auto model = Model::load(path);
        SessionParams sp = session_default_params();
        sp.n_ctx = 32;
        sp.n_threads = 1;
        Session session(*model, sp);
        const std::vector<TokenId> prompt = {1, 2, 3, 4};
        GenerateParams gp = generate_default_params();
        gp.n_predict = 4;
        generate(session, std::span<const TokenId>(prompt.data(), std::min<size_t>(prompt.size(), model->config().n_vocab)), gp,
                 [](TokenId) { return true; });
        for (float v : session.logits()) EXPECT_TRUE(std::isfinite(v)) << "finite logits are checked by eval";
        return "";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_FALSE(what.empty());
        return what;
    } catch (const std::exception& e) {
        ADD_FAILURE() << path << ": not a pareto::Error: " << e.what();
        return "other";
    }
}

// Flips 1..4 random bits per copy of `original`, `iterations` times; half the flips
// land in the first 4 KiB (header, metadata, tensor table), half anywhere.
void bit_flip_loop(const std::string& original, const std::string& scratch, int iterations, uint32_t seed) {
    const std::vector<uint8_t> bytes = read_bytes(original);
    ASSERT_GT(bytes.size(), 4096u);
    std::mt19937 rng(seed);
    int loaded = 0, refused = 0;
    for (int it = 0; it < iterations; ++it) {
        std::vector<uint8_t> copy = bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            const size_t span = rng() % 2 ? 4096 : copy.size();
            const size_t at = rng() % span;
            copy[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
        }
        write_bytes(scratch, copy);
        SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(it));
        (load_and_run(scratch).empty() ? loaded : refused)++;
    }
    // Both outcomes must occur, or the loop tested less than it claims.
    EXPECT_GT(loaded, 0);
    EXPECT_GT(refused, 0);
    std::printf("%s: %d iterations, %d ran, %d refused with an error\n", original.c_str(), iterations, loaded, refused);
}

TEST(BitFlips, Stories260KGguf) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    TempDir dir;
    bit_flip_loop(path, dir.str("flipped.gguf"), 300, 1);
}

TEST(BitFlips, TinyQwen2Gguf) {
    PARETO_REQUIRE_DATA(path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
    TempDir dir;
    bit_flip_loop(path, dir.str("flipped.gguf"), 300, 2);
}

TEST(BitFlips, TinyQwen2Safetensors) {
    PARETO_REQUIRE_DATA(path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
    TempDir dir;
    write_hf_checkpoint(*Model::load(path), dir.str("hf"));
    // The folder is what loads; the flipped file replaces its weights each time.
    const std::string st = dir.str("hf/model.safetensors");
    const std::string pristine = dir.str("pristine.safetensors");
    fs::copy_file(st, pristine);
    const std::vector<uint8_t> bytes = read_bytes(pristine);
    std::mt19937 rng(3);
    int loaded = 0, refused = 0;
    for (int it = 0; it < 200; ++it) {
        std::vector<uint8_t> copy = bytes;
        for (int f = 0, n = 1 + static_cast<int>(rng() % 4); f < n; ++f) {
            const size_t span = rng() % 2 ? std::min<size_t>(4096, copy.size()) : copy.size();
            copy[rng() % span] ^= static_cast<uint8_t>(1u << (rng() % 8));
        }
        write_bytes(st, copy);
        SCOPED_TRACE("iteration " + std::to_string(it));
        (load_and_run(dir.str("hf")).empty() ? loaded : refused)++;
    }
    EXPECT_GT(loaded, 0);
    EXPECT_GT(refused, 0);
}

// stories260K with one weight replaced: written to `out`, returns nothing.
void write_with_weight(const std::string& original, const std::string& out, const std::string& tensor, uint64_t element,
                       float value) {
    std::vector<uint8_t> bytes = read_bytes(original);
    const GgufFile f = GgufFile::parse(bytes, original);
    const GgufTensor* t = f.find_tensor(tensor);
    ASSERT_NE(t, nullptr) << tensor;
    ASSERT_EQ(t->type, DType::F32) << "the fixture's tensors are F32";
    const size_t at = static_cast<size_t>(t->data - bytes.data()) + element * sizeof(float);
    std::memcpy(bytes.data() + at, &value, sizeof value);
    write_bytes(out, bytes);
}

TEST(NonFinite, FirstNonFiniteFindsEveryKindAtEveryPlace) {
    std::vector<float> x(10000, 1.0f);
    EXPECT_EQ(first_non_finite(x.data(), x.size()), kAllFinite);
    EXPECT_EQ(first_non_finite(x.data(), 0), kAllFinite);
    x[9999] = std::numeric_limits<float>::max();  // large is fine
    EXPECT_EQ(first_non_finite(x.data(), x.size()), kAllFinite);
    for (size_t at : {size_t{0}, size_t{4095}, size_t{4096}, size_t{9999}})
        for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
            std::vector<float> y = x;
            y[at] = bad;
            y[std::min<size_t>(at + 7, 9999)] = bad;
            EXPECT_EQ(first_non_finite(y.data(), y.size()), at);
        }
}

TEST(NonFinite, NaNWeightIsFoundAndStopsEvalPerplexityAndGeneration) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    TempDir dir;
    const std::string nan_model = dir.str("nan.gguf");
    write_with_weight(path, nan_model, "blk.2.ffn_down.weight", 77, std::numeric_limits<float>::quiet_NaN());

    EXPECT_FALSE(find_non_finite_weight(Model::load(path)->tensors())) << "the fixture itself is clean";
    const auto model = Model::load(nan_model);
    const auto bad = find_non_finite_weight(model->tensors());
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->tensor, "blk.2.ffn_down.weight");
    EXPECT_EQ(bad->index, 77u);
    EXPECT_TRUE(std::isnan(bad->value));

    const std::string err = load_and_run(nan_model);
    EXPECT_NE(err.find("NaN or infinite logits"), std::string::npos) << err;
    EXPECT_NE(err.find("--check-weights"), std::string::npos) << err;

    PerplexityParams pp = perplexity_default_params();
    pp.n_ctx = 32;
    pp.n_threads = 1;
    std::string text;
    for (int i = 0; i < 40; ++i) text += "Once upon a time there was a little girl. ";
    EXPECT_TRUE(std::isfinite(perplexity(*Model::load(path), text, pp).ppl)) << "the clean model's is finite";
    try {
        const PerplexityResult r = perplexity(*model, text, pp);
        ADD_FAILURE() << "perplexity of a NaN model returned " << r.ppl;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
    }
}

TEST(NonFinite, InfinityInANormAndInF16Scales) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    TempDir dir;
    const std::string inf_model = dir.str("inf.gguf");
    write_with_weight(path, inf_model, "blk.0.attn_norm.weight", 3, std::numeric_limits<float>::infinity());
    const auto bad = find_non_finite_weight(Model::load(inf_model)->tensors());
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->tensor, "blk.0.attn_norm.weight");
    EXPECT_TRUE(std::isinf(bad->value));
    EXPECT_NE(load_and_run(inf_model).find("NaN or infinite logits"), std::string::npos);

    // A quantized file: an F16 block scale set to NaN poisons its 32 weights.
    PARETO_REQUIRE_DATA(q8, "models/quantized/stories260K-Q8_0.gguf");
    std::vector<uint8_t> bytes = read_bytes(q8);
    const GgufFile f = GgufFile::parse(bytes, q8);
    const GgufTensor* t = f.find_tensor("blk.1.attn_q.weight");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->type, DType::Q8_0);
    const uint16_t nan_half = 0x7e00;
    const size_t block = 5;  // Q8_0: 34-byte blocks, the F16 scale first
    std::memcpy(bytes.data() + (t->data - bytes.data()) + block * 34, &nan_half, 2);
    write_bytes(dir.str("q8nan.gguf"), bytes);
    const auto qbad = find_non_finite_weight(Model::load(dir.str("q8nan.gguf"))->tensors());
    ASSERT_TRUE(qbad);
    EXPECT_EQ(qbad->tensor, "blk.1.attn_q.weight");
    EXPECT_EQ(qbad->index / 32, block);
}

TEST(MemoryBudget, ParsesSizesAndRefusesNonsense) {
    EXPECT_EQ(parse_memory_limit("off"), 0u);
    EXPECT_EQ(parse_memory_limit("0"), 0u);
    EXPECT_EQ(parse_memory_limit("12345"), 12345u);
    EXPECT_EQ(parse_memory_limit("4K"), 4096u);
    EXPECT_EQ(parse_memory_limit("3M"), 3u << 20);
    EXPECT_EQ(parse_memory_limit("2G"), size_t{2} << 30);
    for (const char* bad : {"", "x", "12x", "-5M", "1T", "99999999999999999999", "5 M"})
        EXPECT_THROW(parse_memory_limit(bad), Error) << bad;
    {
        ScopedEnv env("PARETO_MEMORY_LIMIT", "7M");
        EXPECT_EQ(memory_budget().bytes, 7u << 20);
        EXPECT_EQ(memory_budget().source, "PARETO_MEMORY_LIMIT");
    }
    EXPECT_EQ(memory_budget().source, "MemAvailable");
    EXPECT_GT(memory_budget().bytes, 0u) << "this machine has /proc/meminfo";
}

TEST(MemoryBudget, ASessionThatDoesNotFitIsRefusedWithTheNumbers) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    SessionParams sp = session_default_params();
    sp.n_threads = 1;
    sp.n_ctx = 2048;
    const SessionFootprint fp = session_footprint(model->config(), sp);
    const size_t need = model->weight_bytes() + fp.kv_cache_bytes + fp.scratch_bytes;
    {
        // One byte too few is refused; exactly enough is not.
        ScopedEnv env("PARETO_MEMORY_LIMIT", std::to_string(need - 1).c_str());
        try {
            Session s(*model, sp);
            ADD_FAILURE() << "a session needing " << need << " bytes fitted in " << need - 1;
        } catch (const Error& e) {
            const std::string m = e.what();
            for (const char* part : {"not enough memory", "stories260K.gguf", "context of 2048", "weights", "KV cache",
                                     "scratch", "available (PARETO_MEMORY_LIMIT)", "PARETO_MEMORY_LIMIT=off"})
                EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;
        }
        sp.n_ctx = 64;  // a shorter context fits
        EXPECT_NO_THROW(Session(*model, sp));
        sp.n_ctx = 2048;
    }
    {
        ScopedEnv env("PARETO_MEMORY_LIMIT", std::to_string(need).c_str());
        EXPECT_NO_THROW(Session(*model, sp));
    }
    {
        ScopedEnv env("PARETO_MEMORY_LIMIT", "off");
        EXPECT_NO_THROW(Session(*model, sp));
    }
}

TEST(TextInput, InvalidUtf8IsNamedWithItsOffset) {
    EXPECT_NO_THROW(require_utf8("", "the prompt"));
    EXPECT_NO_THROW(require_utf8("héllo \xef\xbf\xbd ok", "the prompt"));
    for (const auto& [text, offset, byte] : std::vector<std::tuple<std::string, size_t, std::string>>{
             {"a\xff", 1, "0xFF"}, {"ab\xc3", 2, "0xC3"}, {"\xc0\xaf", 0, "0xC0"}, {"ok \xed\xa0\x80", 3, "0xED"}}) {
        try {
            require_utf8(text, "the prompt");
            ADD_FAILURE() << "accepted invalid UTF-8";
        } catch (const Error& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("the prompt is not valid UTF-8: byte " + byte + " at offset " + std::to_string(offset)),
                      std::string::npos)
                << m;
        }
    }
}

TEST(TextInput, PromptsLongerThanTheContextAreRefusedBeforeAnyWork) {
    EXPECT_NO_THROW(require_prompt_fits(64, 64));
    try {
        require_prompt_fits(65, 64);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the prompt is 65 tokens, longer than the context of 64"), std::string::npos);
    }
    EXPECT_THROW(require_prompt_fits(10, 64, 60), Error);
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    SessionParams sp = session_default_params();
    sp.n_ctx = 16;
    sp.n_threads = 1;
    Session session(*model, sp);
    const std::vector<TokenId> prompt(17, 5);
    EXPECT_THROW(generate(session, prompt, generate_default_params(), [](TokenId) { return true; }), Error);
    EXPECT_EQ(session.n_past(), 0) << "nothing was evaluated";
}

TEST(AtomicWrite, TemporariesOfDeadWritersAreRemovedOnTheNextWrite) {
    TempDir dir;
    const std::string target = dir.str("model.gguf");
    const std::string dead = target + ".tmp.2147483646.0.1";  // above any pid_max
    const std::string alive = target + ".tmp." + std::to_string(::getpid()) + ".99.1";
    const std::string other = dir.str("other.gguf.tmp.2147483646.0.1");
    for (const auto& p : {dead, alive, other}) write_bytes(p, {1, 2, 3});
    write_file_atomically(target, "new contents");
    EXPECT_FALSE(fs::exists(dead)) << "a killed writer's temporary file stays forever";
    EXPECT_TRUE(fs::exists(alive)) << "a live writer's temporary file was removed";
    EXPECT_TRUE(fs::exists(other)) << "another file's temporary was removed";
    EXPECT_EQ(read_bytes(target).size(), 12u);
}

}  // namespace
}  // namespace pareto

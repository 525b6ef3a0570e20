// safetensors reader and writer: round trips, shards, and a test per class of
// damaged header (each must be a pareto::Error naming the problem), then every
// truncation and random mutations, where only a clean parse or an Error is allowed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "format/safetensors.h"
#include "tensor/half.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// A file from a literal header and data section.
Bytes file_of(const std::string& header, const Bytes& data, std::optional<uint64_t> length = std::nullopt) {
    const uint64_t n = length.value_or(header.size());
    Bytes b(8 + header.size() + data.size());
    std::memcpy(b.data(), &n, 8);
    std::memcpy(b.data() + 8, header.data(), header.size());
    if (!data.empty()) std::memcpy(b.data() + 8 + header.size(), data.data(), data.size());
    return b;
}

std::string error_of(const Bytes& b) {
    try {
        SafetensorsFile::parse(b, "t.safetensors");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_ERROR_WITH(bytes, needle)                                                        \
    do {                                                                                        \
        const std::string msg_ = error_of(bytes);                                               \
        EXPECT_NE(msg_.find(needle), std::string::npos) << "message: \"" << msg_ << "\"";      \
        EXPECT_NE(msg_.find("t.safetensors"), std::string::npos) << "message: \"" << msg_ << "\""; \
    } while (0)

Bytes floats(std::initializer_list<float> v) {
    Bytes b(v.size() * 4);
    std::memcpy(b.data(), std::data(v), b.size());
    return b;
}

// A scratch folder under the build tree, removed at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::current_path() / "safetensors_test_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_text(const std::string& path, const std::string& s) {
    std::ofstream out(path, std::ios::binary);
    out << s;
}

// Two F32 tensors and one BF16, with metadata, as the writer lays them out.
Bytes sample_file() {
    SafetensorsWriter w;
    w.set_metadata("format", "pt");
    w.add_tensor("a.weight", DType::F32, {2, 3}, floats({1, 2, 3, 4, 5, 6}));
    Bytes bf(4 * 2);
    for (int i = 0; i < 4; ++i) {
        const uint16_t h = f32_to_bf16(static_cast<float>(i) + 0.5f);
        std::memcpy(bf.data() + 2 * i, &h, 2);
    }
    w.add_tensor("b.weight", DType::BF16, {4}, bf);
    w.add_tensor("c.bias", DType::F32, {1}, floats({-7}));
    return w.serialize();
}

// ---- round trips -------------------------------------------------------------------

TEST(Safetensors, WriterRoundTrip) {
    const Bytes b = sample_file();
    const SafetensorsFile f = SafetensorsFile::parse(b, "sample");
    ASSERT_EQ(f.tensors().size(), 3u);
    EXPECT_EQ(f.metadata().at("format"), "pt");
    EXPECT_EQ((8 + f.header_size()) % 8, 0u) << "data must start 8-aligned";
    const SafetensorsTensor* a = f.find("a.weight");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->type, DType::F32);
    EXPECT_EQ(a->shape, (std::vector<uint64_t>{2, 3}));
    EXPECT_EQ(a->n_elements, 6u);
    float v[6];
    std::memcpy(v, a->data, 24);
    EXPECT_EQ(v[5], 6.0f);
    const SafetensorsTensor* bw = f.find("b.weight");
    ASSERT_NE(bw, nullptr);
    EXPECT_EQ(bw->type, DType::BF16);
    uint16_t h;
    std::memcpy(&h, bw->data + 6, 2);
    EXPECT_EQ(bf16_to_f32(h), 3.5f);
    // The wide types first, so every tensor is aligned to its element size.
    EXPECT_EQ(f.tensors().back().name, "b.weight");
    for (const auto& t : f.tensors())
        EXPECT_EQ(static_cast<size_t>(t.data - b.data()) % dtype_info(t.type).block_bytes, 0u) << t.name;
    EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(Safetensors, EmptyTensorsAndScalars) {
    SafetensorsWriter w;
    w.add_tensor("scalar", DType::F32, {}, floats({3}));
    w.add_tensor("empty", DType::F16, {0, 5}, {});
    const Bytes b = w.serialize();
    const SafetensorsFile f = SafetensorsFile::parse(b, "x");
    EXPECT_EQ(f.find("scalar")->n_elements, 1u);
    EXPECT_EQ(f.find("empty")->n_bytes(), 0u);
}

TEST(Safetensors, WriterRefusesBadInput) {
    SafetensorsWriter w;
    EXPECT_THROW(w.add_tensor("x", DType::Q4_0, {32}, Bytes(18)), Error);
    EXPECT_THROW(w.add_tensor("x", DType::F32, {3}, Bytes(8)), Error);
    EXPECT_THROW(w.add_tensor("", DType::F32, {1}, Bytes(4)), Error);
    EXPECT_THROW(w.add_tensor("__metadata__", DType::F32, {1}, Bytes(4)), Error);
    w.add_tensor("x", DType::F32, {1}, Bytes(4));
    EXPECT_THROW(w.add_tensor("x", DType::F32, {1}, Bytes(4)), Error);
}

TEST(Safetensors, ShardedCheckpointThroughTheIndex) {
    TempDir dir;
    SafetensorsWriter a, b;
    a.add_tensor("x", DType::F32, {2}, floats({1, 2}));
    a.add_tensor("y", DType::F32, {1}, floats({3}));
    b.add_tensor("z", DType::F32, {1}, floats({4}));
    a.write(dir.file("model-00001-of-00002.safetensors"));
    b.write(dir.file("model-00002-of-00002.safetensors"));
    write_text(dir.file("model.safetensors.index.json"),
               R"({"metadata": {"total_size": 16}, "weight_map": {"x": "model-00001-of-00002.safetensors",
                   "z": "model-00002-of-00002.safetensors", "y": "model-00001-of-00002.safetensors"}})");
    const SafetensorsCheckpoint c = SafetensorsCheckpoint::open(dir.path.string());
    EXPECT_EQ(c.files().size(), 2u);
    ASSERT_EQ(c.tensors().size(), 3u);
    EXPECT_EQ(c.metadata().at("total_size"), "16");
    ASSERT_NE(c.find("z"), nullptr);
    float z;
    std::memcpy(&z, c.find("z")->data, 4);
    EXPECT_EQ(z, 4.0f);
    // The index file itself, and a single shard, open too.
    EXPECT_EQ(SafetensorsCheckpoint::open(dir.file("model.safetensors.index.json")).tensors().size(), 3u);
    EXPECT_EQ(SafetensorsCheckpoint::open(dir.file("model-00002-of-00002.safetensors")).tensors().size(), 1u);
}

TEST(Safetensors, SingleFileFolder) {
    TempDir dir;
    write_bytes(dir.file("model.safetensors"), sample_file());
    const SafetensorsCheckpoint c = SafetensorsCheckpoint::open(dir.path.string());
    EXPECT_EQ(c.tensors().size(), 3u);
    EXPECT_EQ(c.metadata().at("format"), "pt");
}

// ---- damaged headers, one class at a time -----------------------------------------

TEST(SafetensorsHostile, TooShortForALength) {
    EXPECT_ERROR_WITH((Bytes{1, 2, 3}), "too short");
    EXPECT_ERROR_WITH(Bytes{}, "too short");
}

TEST(SafetensorsHostile, HeaderLengthBeyondTheFile) {
    EXPECT_ERROR_WITH(file_of("{}", {}, 3), "runs past the end of the file");
    EXPECT_ERROR_WITH(file_of("{}", {}, 1000), "runs past the end of the file");
}

TEST(SafetensorsHostile, AbsurdHeaderLength) {
    EXPECT_ERROR_WITH(file_of("{}", {}, uint64_t{1} << 40), "absurd");
    EXPECT_ERROR_WITH(file_of("{}", {}, ~uint64_t{0}), "absurd");
}

TEST(SafetensorsHostile, HeaderIsNotAJsonObject) {
    EXPECT_ERROR_WITH(file_of("", {}), "not a JSON object");
    EXPECT_ERROR_WITH(file_of("[1, 2]", {}), "not a JSON object");
    EXPECT_ERROR_WITH(file_of(" {}", {}), "not a JSON object");
    EXPECT_ERROR_WITH(file_of("{\"a\": ", {}), "not valid JSON");
    EXPECT_ERROR_WITH(file_of("{\"a\": 1} trailing", {}), "not valid JSON");
    EXPECT_ERROR_WITH(file_of("{\"\xff\": 1}", {}), "not valid JSON");  // not UTF-8
    const std::string with_nul("{\"a\0\": 1}", 9);
    EXPECT_ERROR_WITH(file_of(with_nul, {}), "not valid JSON");
}

TEST(SafetensorsHostile, MissingFields) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", floats({1})), "has no \"dtype\"");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", floats({1})), "has no \"shape\"");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1]}})", floats({1})), "has no \"data_offsets\"");
    EXPECT_ERROR_WITH(file_of(R"({"w": 5})", {}), "not described by an object");
}

TEST(SafetensorsHostile, MistypedFields) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": 1, "shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                      "\"dtype\" is not a string");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", floats({1})),
                      "\"shape\" is not an array");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", floats({1})),
                      "not a [begin, end] pair");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})", floats({1})),
                      "not a non-negative integer");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", floats({1})),
                      "not a non-negative integer");
    EXPECT_ERROR_WITH(file_of(R"({"__metadata__": {"a": 1}})", {}), "__metadata__ value 'a' is not a string");
    EXPECT_ERROR_WITH(file_of(R"({"__metadata__": []})", {}), "__metadata__ is not an object");
    EXPECT_ERROR_WITH(file_of(R"({"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                      "empty name");
}

TEST(SafetensorsHostile, UnknownAndUnsupportedDtypes) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                      "unknown dtype 'F33'");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", Bytes(8)),
                      "dtype I64, which Pareto does not read");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}})", Bytes(4)),
                      "dtype F8_E4M3");
}

TEST(SafetensorsHostile, ShapeAndOffsetsDisagree) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", floats({1})),
                      "needs 8 bytes but data_offsets hold 4");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 4]}})", Bytes(4)),
                      "needs 8 bytes");
}

TEST(SafetensorsHostile, OffsetsPastTheData) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", floats({1})),
                      "past the data");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551615]}})", floats({1})),
                      "past the data");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", floats({1})),
                      "end before they begin");
}

TEST(SafetensorsHostile, OverlappingRanges) {
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                              floats({1, 2, 3})),
                      "overlaps tensor 'a'");
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                 "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                              floats({1})),
                      "overlaps");
}

TEST(SafetensorsHostile, HolesAndTrailingBytes) {
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", floats({1, 2})),
                      "belong to no tensor");
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", floats({1, 2})),
                      "the file holds 8 data bytes");
}

TEST(SafetensorsHostile, NegativeHugeAndOverflowingDims) {
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", floats({1})),
                      "negative");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1099511627777], "data_offsets": [0, 4]}})", floats({1})),
                      "absurd");
    // Each dimension allowed, the product wraps around 64 bits.
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}})", floats({1})),
                      "64 bits");
    // Product fits, bytes do not (x4).
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1099511627776, 8388608], "data_offsets": [0, 4]}})", floats({1})),
                      "too large");
    // A zero anywhere makes the product zero (no false overflow), and then the size must be 0.
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1099511627776, 0, 1099511627776], "data_offsets": [0, 4]}})", floats({1})),
                      "needs 0 bytes");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})", floats({1})),
                      "9 dimensions");
    EXPECT_ERROR_WITH(file_of(R"({"w": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 4]}})", floats({1})),
                      "not a non-negative integer");
}

TEST(SafetensorsHostile, DuplicateNames) {
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                 "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                              floats({1, 2})),
                      "names 'a' twice");
    EXPECT_ERROR_WITH(file_of(R"({"a": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                      "names 'dtype' twice");
}

TEST(SafetensorsHostile, ControlBytesInNamesAreNotEchoed) {
    const std::string msg = error_of(file_of("{\"a\\u001b[31m\": 5}", {}));
    EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
    EXPECT_NE(msg.find("a?[31m"), std::string::npos) << msg;
}

class IndexErrors : public ::testing::Test {
protected:
    void SetUp() override {
        SafetensorsWriter w;
        w.add_tensor("x", DType::F32, {1}, floats({1}));
        w.write(dir.file("shard1.safetensors"));
    }
    std::string error_with_index(const std::string& json) {
        write_text(dir.file("model.safetensors.index.json"), json);
        try {
            SafetensorsCheckpoint::open(dir.path.string());
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    }
    TempDir dir;
};

#define EXPECT_CONTAINS(haystack, needle)                                                   \
    do {                                                                                    \
        const std::string h_ = (haystack);                                                  \
        EXPECT_NE(h_.find(needle), std::string::npos) << "message: \"" << h_ << "\"";      \
    } while (0)

TEST_F(IndexErrors, ValidIndexLoads) { EXPECT_EQ(error_with_index(R"({"weight_map": {"x": "shard1.safetensors"}})"), ""); }

TEST_F(IndexErrors, MissingShard) {
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": "shard2.safetensors"}})"),
                    "names shard 'shard2.safetensors', which does not exist");
}

TEST_F(IndexErrors, TensorAbsentFromItsShard) {
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": "shard1.safetensors", "y": "shard1.safetensors"}})"),
                    "puts tensor 'y' in 'shard1.safetensors', which does not hold it");
}

TEST_F(IndexErrors, ShardPathsThatLeaveTheFolder) {
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": "../shard1.safetensors"}})"), "not a plain file name");
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": "/etc/passwd"}})"), "not a plain file name");
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": ""}})"), "not a plain file name");
}

TEST_F(IndexErrors, MalformedIndex) {
    EXPECT_CONTAINS(error_with_index("{"), "not valid JSON");
    EXPECT_CONTAINS(error_with_index("[]"), "not a JSON object");
    EXPECT_CONTAINS(error_with_index("{}"), "no \"weight_map\"");
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {}})"), "not a non-empty object");
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": 3}})"), "is not a file name");
    EXPECT_CONTAINS(error_with_index(R"({"weight_map": {"x": "shard1.safetensors", "x": "shard1.safetensors"}})"),
                    "names 'x' twice");
}

TEST(SafetensorsFiles, MissingAndEmptyFolders) {
    TempDir dir;
    try {
        SafetensorsCheckpoint::open(dir.path.string());
        FAIL();
    } catch (const Error& e) {
        EXPECT_CONTAINS(e.what(), "no model.safetensors or model.safetensors.index.json");
    }
    EXPECT_THROW(SafetensorsCheckpoint::open(dir.file("none.safetensors")), Error);
}

// ---- every truncation, random mutations ----------------------------------------------

// A parse that succeeds must give views inside the buffer.
bool parses_cleanly(std::span<const uint8_t> b) {
    try {
        const SafetensorsFile f = SafetensorsFile::parse(b, "fuzz");
        for (const auto& t : f.tensors()) {
            EXPECT_GE(t.data, b.data());
            EXPECT_LE(t.data + t.n_bytes(), b.data() + b.size());
            if (t.n_bytes() > 0) {
                volatile uint8_t touch = t.data[0];
                touch = t.data[t.n_bytes() - 1];
                (void)touch;
            }
        }
        return true;
    } catch (const Error&) {
        return false;
    }
}

TEST(SafetensorsHostile, CutAtEveryLength) {
    const Bytes b = sample_file();
    for (size_t n = 0; n < b.size(); ++n)
        EXPECT_FALSE(parses_cleanly(std::span<const uint8_t>(b.data(), n))) << "a file cut at byte " << n << " parsed";
    EXPECT_TRUE(parses_cleanly(b));
}

int fuzz_iterations(int base) {
    const char* env = std::getenv("PARETO_FUZZ_SCALE");
    return base * (env ? std::max(1, std::atoi(env)) : 1);
}

TEST(SafetensorsHostile, MutationFuzz) {
    const Bytes original = sample_file();
    uint64_t header_len;
    std::memcpy(&header_len, original.data(), 8);
    const size_t header_end = 8 + static_cast<size_t>(header_len);
    std::mt19937_64 rng(20240917);
    const char* tokens[] = {"0", "-1", "4", "8", "18446744073709551615", "1099511627776", "\"F32\"", "\"I8\"",
                            "[]", "{}", "null", "\"", ",", "]", "}", "[0, 4]", "\"a.weight\""};
    size_t parsed = 0, refused = 0;
    const int n = fuzz_iterations(4000);
    for (int it = 0; it < n; ++it) {
        Bytes b = original;
        const int mutations = 1 + static_cast<int>(rng() % 3);
        for (int m = 0; m < mutations; ++m) {
            switch (rng() % 4) {
                case 0: b[rng() % header_end] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
                case 1: b[8 + rng() % header_len] = "0123456789,:[]{}\"-eE. "[rng() % 22]; break;
                case 2: {  // replace a run of the JSON by a token (the lengths shift)
                    const size_t at = 8 + rng() % header_len;
                    const size_t len = std::min<size_t>(rng() % 6, header_end - at);
                    const std::string tok = tokens[rng() % std::size(tokens)];
                    b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), tok.begin(), tok.end());
                    break;
                }
                default: {  // the length field
                    const uint64_t choices[] = {0, 1, header_len - 1, header_len + 1, header_len + 8,
                                                b.size() - 8, b.size(), ~uint64_t{0}, uint64_t{1} << 63};
                    const uint64_t v = choices[rng() % std::size(choices)];
                    std::memcpy(b.data(), &v, 8);
                }
            }
        }
        const size_t size = rng() % 8 == 0 ? static_cast<size_t>(rng() % (b.size() + 1)) : b.size();
        if (parses_cleanly(std::span<const uint8_t>(b.data(), size))) ++parsed;
        else ++refused;
    }
    EXPECT_EQ(parsed + refused, static_cast<size_t>(n));
    EXPECT_GT(refused, static_cast<size_t>(n) / 4);  // the damage is real
    EXPECT_GT(parsed, 10u);                          // and not everything fails
}

}  // namespace
}  // namespace pareto

// GGUF reader and writer: round trips (byte for byte against real files), writer
// input checks and atomic writes, and hostile files built by corrupting real ones.
// Every damaged file must be refused with a pareto::Error naming the problem; none may
// crash or throw anything else (the ASan/UBSan build checks for stray reads).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr const char* kStories = "models/stories260K.gguf";

// ---- small helpers -------------------------------------------------------------------

Bytes read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, std::span<const uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

template <typename T>
T peek(std::span<const uint8_t> b, size_t at) {
    if (at + sizeof(T) > b.size()) throw std::out_of_range("peek past the end");
    T v;
    std::memcpy(&v, b.data() + at, sizeof(T));
    return v;
}

template <typename T>
void poke(Bytes& b, size_t at, T v) {
    if (at + sizeof(T) > b.size()) throw std::out_of_range("poke past the end");
    std::memcpy(b.data() + at, &v, sizeof(T));
}

// The message of the pareto::Error that parsing `bytes` throws, or "" when it parses.
// Any other exception escapes and fails the test.
std::string parse_error(std::span<const uint8_t> bytes) {
    try {
        GgufFile::parse(bytes, "damaged.gguf");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_ERROR_WITH(message_expr, needle)                                         \
    do {                                                                                \
        const std::string msg_ = (message_expr);                                        \
        EXPECT_FALSE(msg_.empty()) << "expected a pareto::Error mentioning: " << (needle); \
        EXPECT_NE(msg_.find(needle), std::string::npos)                                 \
            << "message \"" << msg_ << "\" does not mention \"" << (needle) << "\"";     \
    } while (0)

#define EXPECT_PARSE_ERROR(bytes, needle) EXPECT_ERROR_WITH(parse_error(bytes), needle)

// A directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = fs::temp_directory_path() /
                ("pareto_test_gguf_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

private:
    fs::path path_;
};

// ---- an independent map of a valid file's fields, to know where to corrupt ----------
//
// Deliberately separate from the reader under test: it trusts its input and only
// records the byte offset of every field.

struct Layout {
    struct Kv {
        std::string key;
        size_t at = 0;        // the key's length field
        size_t type_at = 0;   // the value type field
        size_t value_at = 0;  // the value (for arrays: the element type field)
        uint32_t type = 0;
    };
    struct Tensor {
        std::string name;
        size_t at = 0;  // the name's length field
        size_t ndims_at = 0;
        size_t dims_at = 0;  // first dimension
        uint32_t ndims = 0;
        size_t type_at = 0;
        size_t offset_at = 0;
    };
    std::vector<Kv> kv;
    std::vector<Tensor> tensors;
    size_t header_end = 0;   // end of the tensor table
    size_t data_offset = 0;  // start of the tensor data (with alignment 32 unless set)
    std::vector<size_t> u64_fields;  // every count, length, dimension and offset
    std::vector<size_t> u32_fields;  // every type id and dimension count

    const Kv& key(std::string_view k) const {
        for (const auto& e : kv)
            if (e.key == k) return e;
        throw std::runtime_error("layout: no key " + std::string(k));
    }
    const Tensor& tensor(std::string_view n) const {
        for (const auto& t : tensors)
            if (t.name == n) return t;
        throw std::runtime_error("layout: no tensor " + std::string(n));
    }
};

Layout map_layout(std::span<const uint8_t> b) {
    Layout L;
    size_t p = 8;
    auto u32 = [&] {
        L.u32_fields.push_back(p);
        const auto v = peek<uint32_t>(b, p);
        p += 4;
        return v;
    };
    auto u64 = [&] {
        L.u64_fields.push_back(p);
        const auto v = peek<uint64_t>(b, p);
        p += 8;
        return v;
    };
    auto str = [&] {
        const uint64_t n = u64();
        std::string s(reinterpret_cast<const char*>(b.data() + p), static_cast<size_t>(n));
        p += static_cast<size_t>(n);
        return s;
    };
    std::function<void(uint32_t)> skip = [&](uint32_t t) {
        static constexpr size_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
        if (t == 8) {
            str();
        } else if (t == 9) {
            const uint32_t et = u32();
            const uint64_t n = u64();
            for (uint64_t i = 0; i < n; ++i) skip(et);
        } else {
            p += sizes[t];
        }
    };
    const uint64_t n_tensors = u64();
    const uint64_t n_kv = u64();
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv; ++i) {
        Layout::Kv e;
        e.at = p;
        e.key = str();
        e.type_at = p;
        e.type = u32();
        e.value_at = p;
        if (e.key == "general.alignment") alignment = peek<uint32_t>(b, p);
        skip(e.type);
        L.kv.push_back(e);
    }
    for (uint64_t i = 0; i < n_tensors; ++i) {
        Layout::Tensor t;
        t.at = p;
        t.name = str();
        t.ndims_at = p;
        t.ndims = u32();
        t.dims_at = p;
        for (uint32_t d = 0; d < t.ndims; ++d) u64();
        t.type_at = p;
        u32();
        t.offset_at = p;
        u64();
        L.tensors.push_back(t);
    }
    L.header_end = p;
    L.data_offset = (p + alignment - 1) / alignment * alignment;
    return L;
}

// ---- deep comparison -----------------------------------------------------------------

bool is_unsigned(GgufType t) {
    return t == GgufType::UINT8 || t == GgufType::UINT16 || t == GgufType::UINT32 || t == GgufType::UINT64;
}
bool is_signed(GgufType t) {
    return t == GgufType::INT8 || t == GgufType::INT16 || t == GgufType::INT32 || t == GgufType::INT64;
}

// True when a and b have the same type and value; floats compare bit for bit so NaN
// payloads and the sign of zero count.
bool same_value(const GgufValue& a, const GgufValue& b) {
    if (a.type() != b.type()) return false;
    const GgufType t = a.type();
    if (is_unsigned(t)) return a.as_uint() == b.as_uint();
    if (is_signed(t)) return a.as_int() == b.as_int();
    if (t == GgufType::FLOAT32 || t == GgufType::FLOAT64)
        return std::bit_cast<uint64_t>(a.as_float()) == std::bit_cast<uint64_t>(b.as_float());
    if (t == GgufType::BOOL) return a.as_bool() == b.as_bool();
    if (t == GgufType::STRING) return a.as_string() == b.as_string();
    if (a.element_type() != b.element_type()) return false;
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
        if (!same_value(x[i], y[i])) return false;
    return true;
}

void expect_same_metadata(const std::vector<std::pair<std::string, GgufValue>>& a,
                          const std::vector<std::pair<std::string, GgufValue>>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].first, b[i].first) << "key " << i;
        EXPECT_TRUE(same_value(a[i].second, b[i].second)) << "value of " << a[i].first;
    }
}

void expect_same_tensors(const GgufFile& a, const GgufFile& b) {
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const GgufTensor& x = a.tensors()[i];
        const GgufTensor& y = b.tensors()[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type) << x.name;
        EXPECT_EQ(x.shape, y.shape) << x.name;
        EXPECT_EQ(x.n_elements, y.n_elements) << x.name;
        ASSERT_EQ(x.n_bytes, y.n_bytes) << x.name;
        EXPECT_EQ(0, std::memcmp(x.data, y.data, x.n_bytes)) << x.name;
    }
}

// ---- a synthetic file with every metadata type and several tensor types -------------

Bytes pattern_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
}

GgufValue nested(int depth) {  // `depth` levels of arrays around a uint8 array
    GgufValue v = GgufValue::make_array(GgufType::UINT8, {GgufValue::make_uint(GgufType::UINT8, 7)});
    for (int i = 1; i < depth; ++i) v = GgufValue::make_array(GgufType::ARRAY, {v, v});
    return v;
}

GgufWriter synthetic_writer() {
    using V = GgufValue;
    using T = GgufType;
    GgufWriter w;
    w.add("general.architecture", V::make_string("llama"));
    w.add("test.u8", V::make_uint(T::UINT8, 255));
    w.add("test.i8", V::make_int(T::INT8, -128));
    w.add("test.u16", V::make_uint(T::UINT16, 65535));
    w.add("test.i16", V::make_int(T::INT16, -32768));
    w.add("test.u32", V::make_uint(T::UINT32, 4294967295u));
    w.add("test.i32", V::make_int(T::INT32, std::numeric_limits<int32_t>::min()));
    w.add("test.u64", V::make_uint(T::UINT64, std::numeric_limits<uint64_t>::max()));
    w.add("test.i64", V::make_int(T::INT64, std::numeric_limits<int64_t>::min()));
    w.add("test.f32", V::make_float(T::FLOAT32, 0.1));
    w.add("test.f32_neg_zero", V::make_float(T::FLOAT32, -0.0));
    w.add("test.f32_inf", V::make_float(T::FLOAT32, -INFINITY));
    w.add("test.f32_nan", V::make_float(T::FLOAT32, std::bit_cast<float>(0x7fc01234u)));
    w.add("test.f64", V::make_float(T::FLOAT64, 1.0 / 3.0));
    w.add("test.bool_true", V::make_bool(true));
    w.add("test.bool_false", V::make_bool(false));
    w.add("test.string", V::make_string("h\xc3\xa9llo, w\xe2\x82\xacrld"));
    w.add("test.string_empty", V::make_string(""));
    w.add("test.string_nul", V::make_string(std::string("a\0b", 3)));
    // Placeholders the hostile tests rename to general.alignment (same length) to
    // plant values the writer itself refuses.
    w.add("general.alignmenX", V::make_uint(T::UINT32, 32));
    w.add("general.alignmenY", V::make_uint(T::UINT64, 32));
    w.add("test.array_u8", V::make_array(T::UINT8, {V::make_uint(T::UINT8, 1), V::make_uint(T::UINT8, 2)}));
    w.add("test.array_i16", V::make_array(T::INT16, {V::make_int(T::INT16, -5)}));
    w.add("test.array_i32", V::make_array(T::INT32, {V::make_int(T::INT32, -1), V::make_int(T::INT32, 1 << 30)}));
    w.add("test.array_u64", V::make_array(T::UINT64, {V::make_uint(T::UINT64, 1ull << 60)}));
    w.add("test.array_f32", V::make_array(T::FLOAT32, {V::make_float(T::FLOAT32, 1.5), V::make_float(T::FLOAT32, -2)}));
    w.add("test.array_f64", V::make_array(T::FLOAT64, {V::make_float(T::FLOAT64, 1e300)}));
    w.add("test.array_bool", V::make_array(T::BOOL, {V::make_bool(true), V::make_bool(false)}));
    w.add("test.array_string", V::make_array(T::STRING, {V::make_string("<s>"), V::make_string(""),
                                                          V::make_string("\xe2\x96\x81the")}));
    w.add("test.array_empty", V::make_array(T::INT64, {}));
    w.add("test.array_nested", nested(static_cast<int>(gguf::kMaxArrayNesting)));
    w.add_tensor("f32", DType::F32, {8, 3}, pattern_bytes(8 * 3 * 4, 1));
    w.add_tensor("f16", DType::F16, {5}, pattern_bytes(10, 2));  // 10 bytes: padding follows
    w.add_tensor("bf16", DType::BF16, {4, 2, 2, 1}, pattern_bytes(32, 3));
    w.add_tensor("q4_0", DType::Q4_0, {64, 2}, pattern_bytes(2 * 2 * 18, 4));
    w.add_tensor("q8_0", DType::Q8_0, {32}, pattern_bytes(34, 5));
    w.add_tensor("q4_k", DType::Q4_K, {256}, pattern_bytes(144, 6));
    w.add_tensor("i8", DType::I8, {3}, pattern_bytes(3, 7));
    return w;
}

// ---- fixtures ------------------------------------------------------------------------

class Stories : public ::testing::Test {
protected:
    void SetUp() override {
        PARETO_REQUIRE_DATA(path, kStories);
        path_ = path;
        bytes_ = read_bytes(path_);
        layout_ = map_layout(bytes_);
    }
    std::string path_;
    Bytes bytes_;
    Layout layout_;
};

// =======================================================================================
// Writer
// =======================================================================================

TEST(GgufWriter, RoundTripsEveryMetadataTypeAndTensorType) {
    const GgufWriter w = synthetic_writer();
    const Bytes bytes = w.serialize();
    EXPECT_EQ(bytes.size(), w.file_size());
    const GgufFile f = GgufFile::parse(bytes, "synthetic");
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.data_offset() % 32, 0u);
    expect_same_metadata(w.metadata(), f.metadata());

    // Spot checks of values, so that a symmetric writer/reader bug cannot hide.
    EXPECT_EQ(f.require("test.u64").as_uint(), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(f.require("test.i64").as_int(), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(f.require("test.f32").as_float(), static_cast<double>(0.1f));
    EXPECT_TRUE(std::signbit(f.require("test.f32_neg_zero").as_float()));
    EXPECT_EQ(f.require("test.string_nul").as_string(), std::string("a\0b", 3));
    EXPECT_EQ(f.require("test.array_string").as_array()[2].as_string(), "\xe2\x96\x81the");
    EXPECT_EQ(f.require("test.array_empty").element_type(), GgufType::INT64);
    EXPECT_TRUE(f.require("test.array_empty").as_array().empty());

    ASSERT_EQ(f.tensors().size(), 7u);
    const std::vector<std::string> names = {"f32", "f16", "bf16", "q4_0", "q8_0", "q4_k", "i8"};
    uint64_t expected_offset = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        const GgufTensor& t = f.tensors()[i];
        EXPECT_EQ(t.name, names[i]);
        EXPECT_EQ(t.offset, expected_offset) << t.name;  // in order, each padded to 32
        EXPECT_EQ(t.offset % 32, 0u);
        expected_offset += (t.n_bytes + 31) / 32 * 32;
        const Bytes want = pattern_bytes(t.n_bytes, static_cast<uint32_t>(i + 1));
        EXPECT_EQ(0, std::memcmp(t.data, want.data(), want.size())) << t.name;
    }
    EXPECT_EQ(f.require_tensor("bf16").shape, (std::vector<uint64_t>{4, 2, 2, 1}));
    EXPECT_EQ(f.require_tensor("q4_0").type, DType::Q4_0);
    EXPECT_EQ(f.require_tensor("q4_0").n_bytes, 72u);
    // The last tensor is padded too, as llama.cpp's files are.
    EXPECT_EQ(bytes.size(), f.data_offset() + expected_offset);
}

TEST(GgufWriter, EmptyWriterAndMetadataOnlyFiles) {
    GgufWriter w;
    const Bytes empty = w.serialize();
    EXPECT_EQ(empty.size(), 24u);  // magic, version, two counts
    const GgufFile f = GgufFile::parse(empty);
    EXPECT_TRUE(f.metadata().empty());
    EXPECT_TRUE(f.tensors().empty());

    // With no tensors the file ends right after the header, as vocab-only files do.
    w.add("general.name", GgufValue::make_string("abc"));
    const Bytes meta = w.serialize();
    EXPECT_EQ(meta.size(), 24u + 8 + 12 + 4 + 8 + 3);
    EXPECT_EQ(GgufFile::parse(meta).get_string("general.name", ""), "abc");
}

TEST(GgufWriter, AlignmentIsHonoured) {
    for (const uint32_t align : {1u, 8u, 64u, 4096u}) {
        GgufWriter w = synthetic_writer();
        w.set_alignment(align);
        EXPECT_EQ(w.alignment(), align);
        const Bytes bytes = w.serialize();
        EXPECT_EQ(bytes.size(), w.file_size());
        const GgufFile f = GgufFile::parse(bytes);
        EXPECT_EQ(f.alignment(), align);
        EXPECT_EQ(f.require("general.alignment").type(), GgufType::UINT32);
        EXPECT_EQ(f.data_offset() % align, 0u);
        for (const auto& t : f.tensors()) EXPECT_EQ(t.offset % align, 0u) << t.name << " at alignment " << align;
        if (align == 1) {  // no padding anywhere: tensors are back to back
            const auto& ts = f.tensors();
            for (size_t i = 1; i < ts.size(); ++i) EXPECT_EQ(ts[i].offset, ts[i - 1].offset + ts[i - 1].n_bytes);
            EXPECT_EQ(bytes.size(), f.data_offset() + ts.back().offset + ts.back().n_bytes);
        }
    }
}

TEST(GgufWriter, RejectsBadAlignment) {
    GgufWriter w;
    EXPECT_ERROR_WITH(error_of([&] { w.set_alignment(0); }), "not a power of two");
    EXPECT_ERROR_WITH(error_of([&] { w.set_alignment(48); }), "not a power of two");
    EXPECT_ERROR_WITH(error_of([&] { w.set_alignment(1u << 21); }), "not a power of two");
    EXPECT_ERROR_WITH(
        error_of([&] { w.set("general.alignment", GgufValue::make_uint(GgufType::UINT64, 32)); }),
        "must be a uint32");
    EXPECT_ERROR_WITH(error_of([&] { w.add("general.alignment", GgufValue::make_string("32")); }),
                      "must be a uint32");
    EXPECT_EQ(w.find("general.alignment"), nullptr);  // nothing half-applied
    EXPECT_EQ(w.alignment(), 32u);
}

TEST(GgufWriter, MetadataAddSetRemove) {
    using V = GgufValue;
    GgufWriter w;
    w.add("a", V::make_uint(GgufType::UINT32, 1));
    w.add("b", V::make_string("x"));
    w.add("c", V::make_bool(true));
    EXPECT_ERROR_WITH(error_of([&] { w.add("b", V::make_string("y")); }), "duplicate metadata key 'b'");
    EXPECT_ERROR_WITH(error_of([&] { w.add("", V::make_bool(true)); }), "key is empty");
    EXPECT_ERROR_WITH(error_of([&] { w.set(std::string(gguf::kMaxKeyLength + 1, 'k'), V::make_bool(true)); }),
                      "bytes long");
    w.set("b", V::make_float(GgufType::FLOAT64, 2.5));  // replaced in place, type may change
    w.set("d", V::make_int(GgufType::INT8, -1));        // appended
    ASSERT_EQ(w.metadata().size(), 4u);
    EXPECT_EQ(w.metadata()[1].first, "b");
    EXPECT_EQ(w.metadata()[1].second.as_float(), 2.5);
    EXPECT_EQ(w.metadata()[3].first, "d");
    EXPECT_TRUE(w.remove("a"));
    EXPECT_FALSE(w.remove("a"));
    EXPECT_EQ(w.find("a"), nullptr);
    ASSERT_NE(w.find("d"), nullptr);  // the index survived the removal
    EXPECT_EQ(w.find("d")->as_int(), -1);
    w.add("a", V::make_uint(GgufType::UINT32, 9));  // re-added at the end
    const Bytes bytes = w.serialize();
    const GgufFile f = GgufFile::parse(bytes);
    std::vector<std::string> keys;
    for (const auto& kv : f.metadata()) keys.push_back(kv.first);
    EXPECT_EQ(keys, (std::vector<std::string>{"b", "c", "d", "a"}));
    EXPECT_EQ(f.get_int("a", 0), 9);
}

TEST(GgufWriter, ArrayLimitsMatchTheReader) {
    GgufWriter w;
    w.add("ok", nested(static_cast<int>(gguf::kMaxArrayNesting)));
    EXPECT_ERROR_WITH(error_of([&] { w.add("deep", nested(static_cast<int>(gguf::kMaxArrayNesting) + 1)); }),
                      "nests arrays");
    const Bytes bytes = w.serialize();
    EXPECT_NO_THROW(GgufFile::parse(bytes));
}

TEST(GgufWriter, ValueFactoriesRefuseValuesThatDoNotFit) {
    using V = GgufValue;
    using T = GgufType;
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::UINT8, 256); }), "does not fit in type uint8");
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::UINT16, 65536); }), "does not fit in type uint16");
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::UINT32, 1ull << 32); }), "does not fit in type uint32");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::INT8, -129); }), "does not fit in type int8");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::INT16, 32768); }), "does not fit in type int16");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::INT32, 1ll << 31); }), "does not fit in type int32");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::UINT32, -1); }), "does not fit in type uint32");
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::INT64, 1ull << 63); }), "does not fit in type int64");
    EXPECT_ERROR_WITH(error_of([] { V::make_float(T::FLOAT32, 1e39); }), "does not fit in type float32");
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::STRING, 1); }), "cannot make a value of type string");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::BOOL, 1); }), "cannot make a value of type bool");
    EXPECT_ERROR_WITH(error_of([] { V::make_float(T::INT32, 1); }), "cannot make a value of type int32");
    EXPECT_ERROR_WITH(error_of([] { V::make_array(T::UINT8, {V::make_int(T::INT8, 1)}); }),
                      "array of uint8 holds a int8 at index 0");
    EXPECT_ERROR_WITH(error_of([] { V::make_array(static_cast<T>(13), {}); }), "unknown element type id 13");

    // Boundary values fit; an integer factory takes either signedness of type.
    EXPECT_EQ(V::make_int(T::UINT8, 255).as_uint(), 255u);
    EXPECT_EQ(V::make_uint(T::INT64, std::numeric_limits<int64_t>::max()).as_int(),
              std::numeric_limits<int64_t>::max());
    EXPECT_EQ(V::make_int(T::INT8, -128).as_int(), -128);
    EXPECT_EQ(V::make_float(T::FLOAT32, 3.4028234663852886e38).as_float(), 3.4028234663852886e38);
    EXPECT_TRUE(std::isinf(V::make_float(T::FLOAT32, INFINITY).as_float()));
    EXPECT_TRUE(std::isnan(V::make_float(T::FLOAT32, NAN).as_float()));
    // float32 values are rounded when made, so memory and file agree.
    EXPECT_EQ(V::make_float(T::FLOAT32, 0.1).as_float(), static_cast<double>(0.1f));
    // A uint64 beyond int64's range is still a number.
    EXPECT_EQ(V::make_uint(T::UINT64, std::numeric_limits<uint64_t>::max()).as_float(), 18446744073709551616.0);
    // Accessors refuse the wrong kind with pareto::Error naming `what`.
    EXPECT_ERROR_WITH(error_of([] { V::make_string("x").as_int("the key"); }), "the key should be an integer");
    EXPECT_ERROR_WITH(error_of([] { V::make_uint(T::UINT8, 1).as_bool("flag"); }), "flag should be a bool");
    EXPECT_ERROR_WITH(error_of([] { V::make_int(T::INT32, -3).as_uint("n"); }), "n must not be negative");
    EXPECT_ERROR_WITH(error_of([] { V::make_bool(true).as_array("arr"); }), "arr should be an array");
}

TEST(GgufWriter, RejectsBadTensors) {
    GgufWriter w;
    w.add_tensor("x", DType::F32, {4}, Bytes(16));
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("x", DType::F32, {4}, Bytes(16)); }), "duplicate tensor name 'x'");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("", DType::F32, {4}, Bytes(16)); }), "tensor name is empty");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor(std::string(64, 'n'), DType::F32, {4}, Bytes(16)); }),
                      "at most 63");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::F32, {4}, Bytes(15)); }),
                      "has 15 bytes of data, but F32 [4] needs 16");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::Q8_0, {32, 2}, Bytes(34)); }),
                      "but Q8_0 [32, 2] needs 68");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::Q4_0, {33}, Bytes(18)); }),
                      "row length 33 is not a multiple of the Q4_0 block size 32");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::Q4_K, {128, 2}, Bytes(144)); }),
                      "not a multiple of the Q4_K block size 256");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::F32, {}, Bytes(4)); }), "has 0 dimensions");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::F32, {1, 1, 1, 1, 1}, Bytes(4)); }),
                      "has 5 dimensions");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::F32, {4, 0}, Bytes(0)); }), "invalid dimension 0");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", DType::F32, {gguf::kMaxDim + 1}, Bytes(4)); }),
                      "invalid dimension");
    EXPECT_ERROR_WITH(
        error_of([&] { w.add_tensor("y", DType::F32, {gguf::kMaxDim, gguf::kMaxDim}, Bytes(4)); }),
        "element count overflows");
    EXPECT_ERROR_WITH(
        error_of([&] { w.add_tensor("y", DType::F32, {gguf::kMaxDim, uint64_t{1} << 22}, Bytes(4)); }),
        "byte size overflows");
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor("y", static_cast<DType>(4), {4}, Bytes(4)); }),
                      "unknown tensor type id 4");
    const Bytes view(16);
    EXPECT_ERROR_WITH(error_of([&] { w.add_tensor_view("x", DType::F32, {4}, view); }), "duplicate tensor name");
    EXPECT_EQ(w.tensor_count(), 1u);  // nothing refused was added
}

TEST(GgufWriter, ViewsAreReadAtWriteTimeCopiesAreNot) {
    Bytes viewed(16, 1);
    Bytes copied(16, 2);
    GgufWriter w;
    w.add_tensor_view("viewed", DType::F32, {4}, viewed);
    w.add_tensor("copied", DType::F32, {4}, copied);
    viewed.assign(16, 3);  // same buffer, new contents
    copied.assign(16, 4);
    const Bytes out = w.serialize();
    const GgufFile f = GgufFile::parse(out);
    EXPECT_EQ(f.require_tensor("viewed").data[0], 3);
    EXPECT_EQ(f.require_tensor("copied").data[0], 2);

    // The writer may be copied; the copy owns its own bytes.
    GgufWriter copy = w;
    w = GgufWriter();
    const Bytes copy_bytes = copy.serialize();
    EXPECT_EQ(GgufFile::parse(copy_bytes).require_tensor("copied").data[15], 2);
}

TEST(GgufWriter, WriteCreatesAndReplacesAtomically) {
    TempDir dir;
    const std::string path = dir.file("model.gguf");
    const GgufWriter w = synthetic_writer();
    w.write(path);
    EXPECT_EQ(read_bytes(path), w.serialize());
    {
        const GgufFile f = GgufFile::open(path);
        expect_same_metadata(w.metadata(), f.metadata());
        EXPECT_EQ(f.path(), path);
    }
    GgufWriter small;
    small.add("general.name", GgufValue::make_string("replacement"));
    small.write(path);  // replaces the existing file
    EXPECT_EQ(GgufFile::open(path).get_string("general.name", ""), "replacement");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});  // no temporary files left

    // A relative path writes into the current directory.
    const fs::path old_cwd = fs::current_path();
    fs::current_path(dir.file(""));
    small.write("relative.gguf");
    fs::current_path(old_cwd);
    EXPECT_EQ(read_bytes(dir.file("relative.gguf")), small.serialize());
}

TEST(GgufWriter, WriteErrorsNameThePathAndReason) {
    TempDir dir;
    const GgufWriter w = synthetic_writer();
    const std::string missing = dir.file("no/such/dir/model.gguf");
    const std::string msg = error_of([&] { w.write(missing); });
    EXPECT_ERROR_WITH(msg, missing);
    EXPECT_ERROR_WITH(msg, "No such file or directory");

    // The target is a directory: rename refuses, and nothing is left behind.
    fs::create_directories(dir.file("taken.gguf"));
    const std::string msg2 = error_of([&] { w.write(dir.file("taken.gguf")); });
    EXPECT_ERROR_WITH(msg2, dir.file("taken.gguf"));
    EXPECT_ERROR_WITH(msg2, "Is a directory");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken.gguf"});
}

// A write that fails half way (here: the file size limit, as a full disk would) must
// leave the existing good file exactly as it was and remove its temporary file.
TEST(GgufWriter, FailedWriteKeepsTheExistingFile) {
    TempDir dir;
    const std::string path = dir.file("model.gguf");
    GgufWriter good;
    good.add("general.name", GgufValue::make_string("good"));
    good.write(path);
    const Bytes before = read_bytes(path);

    GgufWriter big;
    big.add("general.name", GgufValue::make_string("big"));
    big.add_tensor("w", DType::F32, {256, 1024}, Bytes(256 * 1024 * 4, 0x5a));

    struct rlimit old_limit {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    struct sigaction ignore {}, old_action {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old_action), 0);  // get EFBIG instead of a signal
    struct rlimit limit = old_limit;
    limit.rlim_cur = 64 * 1024;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
    const std::string msg = error_of([&] { big.write(path); });
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::sigaction(SIGXFSZ, &old_action, nullptr);

    EXPECT_ERROR_WITH(msg, path);
    EXPECT_ERROR_WITH(msg, "File too large");
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});
    EXPECT_EQ(GgufFile::open(path).get_string("general.name", ""), "good");
}

// =======================================================================================
// Round trips of real files
// =======================================================================================

// Re-writes a file from its parsed form: all metadata, then every tensor by view.
GgufWriter rewrite(const GgufFile& src) {
    GgufWriter w;
    w.copy_metadata(src);
    for (const auto& t : src.tensors()) w.add_tensor_view(t);
    return w;
}

TEST_F(Stories, RoundTripIsByteIdentical) {
    const GgufFile src = GgufFile::open(path_);
    const GgufWriter w = rewrite(src);
    const Bytes out = w.serialize();
    ASSERT_EQ(out.size(), bytes_.size());
    EXPECT_TRUE(out == bytes_) << "first difference at byte "
                               << (std::mismatch(out.begin(), out.end(), bytes_.begin()).first - out.begin());

    TempDir dir;
    const std::string path = dir.file("stories-copy.gguf");
    w.write(path);
    EXPECT_TRUE(read_bytes(path) == bytes_);
    const GgufFile back = GgufFile::open(path);
    EXPECT_EQ(back.version(), src.version());
    EXPECT_EQ(back.alignment(), src.alignment());
    EXPECT_EQ(back.data_offset(), src.data_offset());
    expect_same_metadata(src.metadata(), back.metadata());
    expect_same_tensors(src, back);
    for (size_t i = 0; i < src.tensors().size(); ++i) EXPECT_EQ(src.tensors()[i].offset, back.tensors()[i].offset);
}

TEST_F(Stories, CopiedMetadataCanBeEdited) {
    const GgufFile src = GgufFile::open(path_);
    GgufWriter w = rewrite(src);
    w.set("general.name", GgufValue::make_string("stories260K-edited"));
    w.set("general.file_type", GgufValue::make_uint(GgufType::UINT32, 0));
    const Bytes bytes = w.serialize();
    const GgufFile back = GgufFile::parse(bytes);
    EXPECT_EQ(back.get_string("general.name", ""), "stories260K-edited");
    EXPECT_EQ(back.metadata()[5].first, "general.name");  // kept its place
    EXPECT_EQ(back.metadata().back().first, "general.file_type");
    EXPECT_EQ(back.metadata().size(), src.metadata().size() + 1);
    expect_same_tensors(src, back);
    // copy_metadata refuses to merge into keys that are already there.
    GgufWriter again = rewrite(src);
    EXPECT_ERROR_WITH(error_of([&] { again.copy_metadata(src); }), "duplicate metadata key");
}

// Editing a model's metadata in place: the writer reads tensor views from the very file
// it replaces. The rename leaves the mapped old file intact until it is closed.
TEST_F(Stories, RewritingTheOpenFileInPlace) {
    TempDir dir;
    const std::string path = dir.file("model.gguf");
    write_bytes(path, bytes_);
    {
        const GgufFile src = GgufFile::open(path);
        GgufWriter w = rewrite(src);
        w.set("general.name", GgufValue::make_string("renamed in place"));
        w.write(path);
        const GgufFile back = GgufFile::open(path);
        EXPECT_EQ(back.get_string("general.name", ""), "renamed in place");
        expect_same_tensors(src, back);
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});
}

// Every GGUF fixture, quantized and vocab-only (no tensors) ones included.
TEST(GgufRoundTrip, EveryFixtureIsByteIdentical) {
    const std::vector<std::string> fixtures = {
        "models/stories260K.gguf",
        "models/llama-2-tiny-random.gguf",
        "models/quantized/stories260K-Q4_0.gguf",
        "models/quantized/stories260K-Q4_K_M.gguf",
        "models/quantized/stories260K-Q8_0.gguf",
        "models/tiny-fixtures/tiny-llama-f32.gguf",
        "models/tiny-fixtures/tiny-qwen2-f32.gguf",
        "models/vocab/ggml-vocab-llama-spm.gguf",
        "models/vocab/ggml-vocab-gpt-2.gguf",
        "models/vocab/ggml-vocab-deepseek-coder.gguf",
    };
    size_t checked = 0;
    for (const auto& rel : fixtures) {
        const std::string path = test::find_data(rel);
        if (path.empty()) continue;
        SCOPED_TRACE(rel);
        const GgufFile src = GgufFile::open(path);
        const Bytes out = rewrite(src).serialize();
        const Bytes orig = read_bytes(path);
        ASSERT_EQ(out.size(), orig.size());
        EXPECT_TRUE(out == orig) << "first difference at byte "
                                 << (std::mismatch(out.begin(), out.end(), orig.begin()).first - out.begin());
        ++checked;
    }
    if (checked == 0) {
        PARETO_REQUIRE_DATA(path, kStories);
    }
}

// =======================================================================================
// Reader: good files, paths, versions, lookups
// =======================================================================================

TEST_F(Stories, ReadsTheKnownContents) {
    const GgufFile f = GgufFile::open(path_);
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.metadata().size(), 19u);
    EXPECT_EQ(f.tensors().size(), 48u);
    EXPECT_EQ(f.get_string("general.architecture", ""), "llama");
    EXPECT_EQ(f.get_int("llama.embedding_length", 0), 64);
    EXPECT_EQ(f.require("tokenizer.ggml.tokens").as_array().size(), 512u);
    EXPECT_EQ(f.data_offset(), layout_.data_offset);
    const GgufTensor& emb = f.require_tensor("token_embd.weight");
    EXPECT_EQ(emb.shape, (std::vector<uint64_t>{64, 512}));
    EXPECT_EQ(emb.n_bytes, 64u * 512 * 4);
    EXPECT_EQ(emb.data, f.tensors()[0].data);
}

TEST_F(Stories, RequireNamesTheMissingKeyOrTensor) {
    const GgufFile f = GgufFile::parse(bytes_, "stories.gguf");
    EXPECT_ERROR_WITH(error_of([&] { f.require("llama.nope"); }), "required metadata key 'llama.nope' is missing");
    EXPECT_ERROR_WITH(error_of([&] { f.require_tensor("blk.9.attn_q.weight"); }),
                      "required tensor 'blk.9.attn_q.weight' is missing");
    EXPECT_ERROR_WITH(error_of([&] { f.require("llama.nope"); }), "stories.gguf");
    EXPECT_EQ(f.find("llama.nope"), nullptr);
    EXPECT_EQ(f.find_tensor("nope"), nullptr);
    EXPECT_EQ(f.get_int("llama.nope", 42), 42);
    // Present but of the wrong type: the error names the key.
    EXPECT_ERROR_WITH(error_of([&] { f.get_int("general.name", 0); }), "'general.name' should be an integer");
    EXPECT_ERROR_WITH(error_of([&] { f.get_string("llama.block_count", ""); }),
                      "'llama.block_count' should be a string");
    EXPECT_ERROR_WITH(error_of([&] { f.get_bool("llama.block_count", false); }), "should be a bool");
}

TEST_F(Stories, Version2Loads) {
    Bytes v2 = bytes_;
    poke<uint32_t>(v2, 4, 2);
    const GgufFile f = GgufFile::parse(v2);
    EXPECT_EQ(f.version(), 2u);
    const GgufFile orig = GgufFile::parse(bytes_);
    expect_same_metadata(orig.metadata(), f.metadata());
    expect_same_tensors(orig, f);

    TempDir dir;
    write_bytes(dir.file("v2.gguf"), v2);
    EXPECT_EQ(GgufFile::open(dir.file("v2.gguf")).version(), 2u);
}

TEST(GgufReader, BadPaths) {
    TempDir dir;
    const std::string missing = dir.file("missing.gguf");
    const std::string msg = error_of([&] { GgufFile::open(missing); });
    EXPECT_ERROR_WITH(msg, missing);
    EXPECT_ERROR_WITH(msg, "No such file or directory");
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("")); }), "not a regular file");
    write_bytes(dir.file("empty.gguf"), Bytes{});
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("empty.gguf")); }), "the file is empty");
    write_bytes(dir.file("text.gguf"), Bytes{'h', 'e', 'l', 'l', 'o', '\n'});
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("text.gguf")); }), "not a GGUF file");
}

// =======================================================================================
// Reader: hostile files
// =======================================================================================

TEST_F(Stories, TruncationAtEveryHeaderOffsetAndSampledDataOffsets) {
    std::vector<size_t> cuts;
    for (size_t n = 0; n <= layout_.data_offset + 64; ++n) cuts.push_back(n);
    for (size_t n = layout_.data_offset + 65; n < bytes_.size(); n += 997) cuts.push_back(n);
    for (size_t n = bytes_.size() - 64; n < bytes_.size(); ++n) cuts.push_back(n);
    for (const size_t n : cuts) {
        const std::string msg = parse_error(std::span<const uint8_t>(bytes_.data(), n));
        ASSERT_FALSE(msg.empty()) << "a file cut at byte " << n << " parsed";
        ASSERT_TRUE(msg.find("truncated") != std::string::npos || (n == 0 && msg.find("empty") != std::string::npos))
            << "cut at " << n << ": " << msg;
    }
    EXPECT_TRUE(parse_error(bytes_).empty());
}

// A file whose last tensor is followed by alignment padding: cutting the padding away
// loses nothing, so those cuts parse; any cut into tensor data does not.
TEST(GgufReader, TruncationIntoTrailingPadding) {
    PARETO_REQUIRE_DATA(path, "models/quantized/stories260K-Q4_0.gguf");
    const Bytes bytes = read_bytes(path);
    const GgufFile f = GgufFile::parse(bytes);
    uint64_t end = 0;
    for (const auto& t : f.tensors()) end = std::max<uint64_t>(end, f.data_offset() + t.offset + t.n_bytes);
    ASSERT_LT(end, bytes.size());  // this fixture has trailing padding
    for (size_t n = end - 40; n <= bytes.size(); ++n) {
        const std::string msg = parse_error(std::span<const uint8_t>(bytes.data(), n));
        if (n >= end) {
            EXPECT_TRUE(msg.empty()) << n << ": " << msg;
        } else {
            EXPECT_ERROR_WITH(msg, "truncated");
        }
    }
}

TEST_F(Stories, TruncatedAndDamagedFilesOnDisk) {
    TempDir dir;
    write_bytes(dir.file("cut.gguf"), std::span<const uint8_t>(bytes_.data(), bytes_.size() - 100));
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("cut.gguf")); }), "truncated");
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("cut.gguf")); }), dir.file("cut.gguf"));
    write_bytes(dir.file("cut_header.gguf"), std::span<const uint8_t>(bytes_.data(), 5000));
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("cut_header.gguf")); }), "truncated");

    Bytes bad = bytes_;
    bad[0] = 'X';
    write_bytes(dir.file("magic.gguf"), bad);
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("magic.gguf")); }), "not a GGUF file");

    bad = bytes_;
    poke<uint64_t>(bad, layout_.tensors[1].offset_at, 0);
    write_bytes(dir.file("overlap.gguf"), bad);
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("overlap.gguf")); }), "overlap");

    bad = bytes_;
    poke<uint32_t>(bad, 4, 4);
    write_bytes(dir.file("version.gguf"), bad);
    EXPECT_ERROR_WITH(error_of([&] { GgufFile::open(dir.file("version.gguf")); }), "unsupported GGUF version 4");
}

TEST_F(Stories, WrongMagic) {
    Bytes b = bytes_;
    std::memcpy(b.data(), "GGML", 4);
    EXPECT_PARSE_ERROR(b, "not a GGUF file (magic is \"GGML\"");
    std::memcpy(b.data(), "\x00\x01\x02\x03", 4);
    EXPECT_PARSE_ERROR(b, "not a GGUF file");
    EXPECT_PARSE_ERROR(std::span<const uint8_t>(bytes_.data(), 3), "only 3 bytes long");
}

TEST_F(Stories, UnsupportedVersions) {
    Bytes b = bytes_;
    poke<uint32_t>(b, 4, 1);
    EXPECT_PARSE_ERROR(b, "GGUF version 1 is not supported");
    poke<uint32_t>(b, 4, 4);
    EXPECT_PARSE_ERROR(b, "unsupported GGUF version 4");
    poke<uint32_t>(b, 4, 0);
    EXPECT_PARSE_ERROR(b, "unsupported GGUF version 0");
    poke<uint32_t>(b, 4, 0x03000000);  // version 3 written big-endian
    EXPECT_PARSE_ERROR(b, "big-endian");
    poke<uint32_t>(b, 4, 0x02000000);
    EXPECT_PARSE_ERROR(b, "big-endian");
}

TEST_F(Stories, AbsurdCounts) {
    for (const uint64_t n : {uint64_t{1} << 40, std::numeric_limits<uint64_t>::max(), uint64_t{100000}}) {
        Bytes b = bytes_;
        poke<uint64_t>(b, 16, n);
        EXPECT_PARSE_ERROR(b, "metadata count " + std::to_string(n) + " is more than the file can hold");
        b = bytes_;
        poke<uint64_t>(b, 8, n);
        EXPECT_PARSE_ERROR(b, "tensor count " + std::to_string(n) + " is more than the file can hold");
    }
    // A few more records than exist: they are read from the padding and tensor data.
    Bytes b = bytes_;
    poke<uint64_t>(b, 8, 49);
    EXPECT_FALSE(parse_error(b).empty());
    b = bytes_;
    poke<uint64_t>(b, 16, 20);
    EXPECT_FALSE(parse_error(b).empty());
}

TEST_F(Stories, AbsurdStringLengths) {
    Bytes b = bytes_;
    poke<uint64_t>(b, layout_.kv[0].at, uint64_t{1} << 62);
    EXPECT_PARSE_ERROR(b, "a metadata key is absurdly long (4611686018427387904 bytes)");
    b = bytes_;
    poke<uint64_t>(b, layout_.kv[0].at, gguf::kMaxKeyLength + 1);
    EXPECT_PARSE_ERROR(b, "a metadata key is absurdly long");
    b = bytes_;
    poke<uint64_t>(b, layout_.key("tokenizer.ggml.model").value_at, uint64_t{1} << 62);
    EXPECT_PARSE_ERROR(b, "a string value needs 4611686018427387904 bytes");
    b = bytes_;
    poke<uint64_t>(b, layout_.key("tokenizer.ggml.model").value_at, std::numeric_limits<uint64_t>::max());
    EXPECT_PARSE_ERROR(b, "a string value needs");
    b = bytes_;
    // A string inside an array: the tokens array's first element.
    poke<uint64_t>(b, layout_.key("tokenizer.ggml.tokens").value_at + 12, uint64_t{1} << 40);
    EXPECT_PARSE_ERROR(b, "a string value needs");
    b = bytes_;
    poke<uint64_t>(b, layout_.tensors[3].at, uint64_t{1} << 50);
    EXPECT_PARSE_ERROR(b, "a tensor name is absurdly long");
}

TEST_F(Stories, AbsurdArrayLengths) {
    const size_t tokens = layout_.key("tokenizer.ggml.tokens").value_at;  // element type, then length
    const size_t scores = layout_.key("tokenizer.ggml.scores").value_at;
    Bytes b = bytes_;
    poke<uint64_t>(b, tokens + 4, uint64_t{1} << 40);
    EXPECT_PARSE_ERROR(b, "'tokenizer.ggml.tokens' claims 1099511627776 array elements");
    b = bytes_;
    poke<uint64_t>(b, tokens + 4, std::numeric_limits<uint64_t>::max());
    EXPECT_PARSE_ERROR(b, "array elements");
    b = bytes_;
    poke<uint64_t>(b, scores + 4, bytes_.size() / 4 + 1);  // below the cap, beyond the file
    EXPECT_PARSE_ERROR(b, "more than the file can hold");
    b = bytes_;
    poke<uint64_t>(b, scores + 4, gguf::kMaxArrayLength + 1);
    EXPECT_PARSE_ERROR(b, "at most 16777216 are supported");
    b = bytes_;
    poke<uint64_t>(b, scores + 4, 513);  // one more float: swallows the next key's length
    EXPECT_FALSE(parse_error(b).empty());
}

// Many arrays, each under the per-array cap, must not add up to an unbounded
// allocation: the reader keeps a budget of array elements for the whole file.
TEST(GgufHostile, ManyLargeArraysExhaustTheFileBudget) {
    const uint64_t per_array = gguf::kMaxMetadataElements / 2 + 1;  // two fit the file, not the budget
    Bytes b;
    auto put = [&](const auto& v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(v));
    };
    put(gguf::kMagic);
    put(uint32_t{3});
    put(uint64_t{0});  // tensors
    put(uint64_t{2});  // metadata pairs
    for (const char* key : {"a.first", "a.second"}) {
        put(static_cast<uint64_t>(std::strlen(key)));
        b.insert(b.end(), key, key + std::strlen(key));
        put(static_cast<uint32_t>(GgufType::ARRAY));
        put(static_cast<uint32_t>(GgufType::UINT8));
        put(per_array);
        b.resize(b.size() + per_array, 0);
    }
    EXPECT_PARSE_ERROR(b, "metadata 'a.second' brings the file's array elements past");
}

TEST_F(Stories, UnknownMetadataValueTypes) {
    for (const uint32_t t : {13u, 14u, 255u, 0x80000000u, 0xffffffffu}) {
        Bytes b = bytes_;
        poke<uint32_t>(b, layout_.key("general.name").type_at, t);
        EXPECT_PARSE_ERROR(b, "metadata 'general.name' has unknown value type " + std::to_string(t));
        b = bytes_;
        poke<uint32_t>(b, layout_.key("tokenizer.ggml.token_type").value_at, t);
        EXPECT_PARSE_ERROR(b, "'tokenizer.ggml.token_type' is an array of unknown value type " + std::to_string(t));
    }
}

TEST_F(Stories, UnknownTensorTypeIds) {
    for (const uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 40u, 1000u, 0xffffffffu}) {
        Bytes b = bytes_;
        poke<uint32_t>(b, layout_.tensors[2].type_at, id);
        EXPECT_PARSE_ERROR(b, "tensor 2 'output.weight' has unknown tensor type id " + std::to_string(id));
    }
    // A known type whose block does not divide the row: F32 [64, 512] relabelled Q4_K.
    Bytes b = bytes_;
    poke<uint32_t>(b, layout_.tensors[0].type_at, static_cast<uint32_t>(DType::Q4_K));
    EXPECT_PARSE_ERROR(b, "row length 64 is not a multiple of the Q4_K block size 256");
}

TEST_F(Stories, BadDimensionCounts) {
    for (const uint32_t n : {0u, 5u, 100u, 0xffffffffu}) {
        Bytes b = bytes_;
        poke<uint32_t>(b, layout_.tensors[0].ndims_at, n);
        EXPECT_PARSE_ERROR(b, "'token_embd.weight' has " + std::to_string(n) + " dimensions (1 to 4 allowed)");
    }
}

TEST_F(Stories, BadDimensions) {
    const size_t d0 = layout_.tensors[0].dims_at;  // token_embd.weight [64, 512]
    Bytes b = bytes_;
    poke<uint64_t>(b, d0 + 8, 0);
    EXPECT_PARSE_ERROR(b, "'token_embd.weight' has a zero dimension (dimension 1)");
    b = bytes_;
    poke<uint64_t>(b, d0, 0);
    EXPECT_PARSE_ERROR(b, "has a zero dimension (dimension 0)");
    b = bytes_;
    poke<uint64_t>(b, d0, gguf::kMaxDim + 1);
    EXPECT_PARSE_ERROR(b, "has an absurd dimension 1099511627777");
    b = bytes_;
    poke<uint64_t>(b, d0, std::numeric_limits<uint64_t>::max());
    EXPECT_PARSE_ERROR(b, "has an absurd dimension");
    // Element count: 2^40 * 2^40 overflows int64.
    b = bytes_;
    poke<uint64_t>(b, d0, gguf::kMaxDim);
    poke<uint64_t>(b, d0 + 8, gguf::kMaxDim);
    EXPECT_PARSE_ERROR(b, "'token_embd.weight': element count overflows");
    // Byte size: 2^62 float32 elements fit in int64, their 2^64 bytes do not fit in 64 bits.
    b = bytes_;
    poke<uint64_t>(b, d0, gguf::kMaxDim);
    poke<uint64_t>(b, d0 + 8, uint64_t{1} << 22);
    EXPECT_PARSE_ERROR(b, "'token_embd.weight': byte size overflows");
    // Large but representable: the data would lie outside the file.
    b = bytes_;
    poke<uint64_t>(b, d0 + 8, 1u << 20);
    EXPECT_PARSE_ERROR(b, "lies outside the file");
}

TEST_F(Stories, OffsetsOutsideTheFile) {
    const auto& last = layout_.tensors.back();
    for (const uint64_t off : {uint64_t{1} << 60, std::numeric_limits<uint64_t>::max() - 31,
                               static_cast<uint64_t>(bytes_.size()), peek<uint64_t>(bytes_, last.offset_at) + 32}) {
        Bytes b = bytes_;
        poke<uint64_t>(b, last.offset_at, off);
        EXPECT_PARSE_ERROR(b, "tensor '" + last.name + "' data (");
        EXPECT_PARSE_ERROR(b, "lies outside the file");
    }
}

TEST_F(Stories, MisalignedOffsets) {
    for (const uint64_t delta : {1u, 4u, 16u}) {
        Bytes b = bytes_;
        const auto& t = layout_.tensors[5];
        poke<uint64_t>(b, t.offset_at, peek<uint64_t>(bytes_, t.offset_at) + delta);
        EXPECT_PARSE_ERROR(b, "tensor '" + t.name + "' data offset");
        EXPECT_PARSE_ERROR(b, "is not aligned to 32 bytes");
    }
}

TEST_F(Stories, OverlappingTensors) {
    Bytes b = bytes_;
    poke<uint64_t>(b, layout_.tensors[1].offset_at, peek<uint64_t>(bytes_, layout_.tensors[0].offset_at));
    EXPECT_PARSE_ERROR(b, "tensors 'token_embd.weight' and 'output_norm.weight' overlap");
    // Partial overlap: tensor 0 (131072 bytes) and tensor 2 starting 32 bytes before its end.
    b = bytes_;
    poke<uint64_t>(b, layout_.tensors[2].offset_at, uint64_t{131072 - 32});
    EXPECT_PARSE_ERROR(b, "overlap");
}

TEST_F(Stories, DuplicateKeysAndNames) {
    Bytes b = bytes_;
    const auto& bos = layout_.key("tokenizer.ggml.bos_token_id");
    b[bos.at + 8 + std::string("tokenizer.ggml.").size()] = 'e';  // -> eos_token_id, which follows
    EXPECT_PARSE_ERROR(b, "duplicate metadata key 'tokenizer.ggml.eos_token_id'");

    b = bytes_;
    const auto& q = layout_.tensor("blk.0.attn_q.weight");
    b[q.at + 8 + std::string("blk.0.attn_").size()] = 'k';
    EXPECT_PARSE_ERROR(b, "duplicate tensor name 'blk.0.attn_k.weight'");
}

TEST_F(Stories, EmptyKeysAndNames) {
    Bytes b = bytes_;
    poke<uint64_t>(b, layout_.kv[3].at, 0);
    EXPECT_PARSE_ERROR(b, "metadata entry 3 has an empty key");
    b = bytes_;
    poke<uint64_t>(b, layout_.tensors[7].at, 0);
    EXPECT_PARSE_ERROR(b, "tensor 7 '' has an empty name");
}

TEST_F(Stories, ControlBytesInNamesAreNotEchoed) {
    Bytes b = bytes_;
    const auto& q = layout_.tensor("blk.0.attn_q.weight");
    b[q.at + 8] = '\x1b';  // ESC
    poke<uint32_t>(b, q.type_at, 99);
    const std::string msg = parse_error(b);
    EXPECT_ERROR_WITH(msg, "'?lk.0.attn_q.weight' has unknown tensor type id 99");
    EXPECT_EQ(msg.find('\x1b'), std::string::npos);
}

class Synthetic : public ::testing::Test {
protected:
    void SetUp() override {
        bytes_ = synthetic_writer().serialize();
        layout_ = map_layout(bytes_);
    }
    // Renames a placeholder key to general.alignment (both are 17 bytes long).
    void plant_alignment(Bytes& b, const char* placeholder) const {
        std::memcpy(b.data() + layout_.key(placeholder).at + 8, "general.alignment", 17);
    }
    Bytes bytes_;
    Layout layout_;
};

TEST_F(Synthetic, ThePlaceholdersPlantAValidAlignment) {
    Bytes b = bytes_;
    plant_alignment(b, "general.alignmenX");
    EXPECT_EQ(GgufFile::parse(b).alignment(), 32u);
}

TEST_F(Synthetic, BadAlignment) {
    const size_t value_at = layout_.key("general.alignmenX").value_at;
    for (const uint32_t a : {0u, 3u, 48u, 1u << 21, 0x80000000u}) {
        Bytes b = bytes_;
        plant_alignment(b, "general.alignmenX");
        poke<uint32_t>(b, value_at, a);
        EXPECT_PARSE_ERROR(b, "general.alignment " + std::to_string(a) + " is not a power of two");
    }
    Bytes b = bytes_;
    plant_alignment(b, "general.alignmenY");
    EXPECT_PARSE_ERROR(b, "general.alignment must be a uint32 but is uint64");
    // A valid alignment the tensor offsets do not honour.
    b = bytes_;
    plant_alignment(b, "general.alignmenX");
    poke<uint32_t>(b, value_at, 64);
    EXPECT_PARSE_ERROR(b, "is not aligned to 64 bytes");
}

TEST_F(Synthetic, BoolValuesAboveOne) {
    for (const uint8_t v : {2, 0x80, 0xff}) {
        Bytes b = bytes_;
        b[layout_.key("test.bool_true").value_at] = v;
        EXPECT_PARSE_ERROR(b, "metadata 'test.bool_true' has a bool value of " + std::to_string(v));
        b = bytes_;
        b[layout_.key("test.array_bool").value_at + 12 + 1] = v;  // second element
        EXPECT_PARSE_ERROR(b, "metadata 'test.array_bool' has a bool value of " + std::to_string(v));
    }
}

TEST_F(Synthetic, ArraysNestedTooDeeply) {
    // The innermost array of test.array_nested holds uint8s; make it hold arrays
    // instead, so it nests one level deeper than allowed. Its first (and only)
    // element, 7, then reads as the start of an array header.
    Bytes b = bytes_;
    size_t p = layout_.key("test.array_nested").value_at;
    for (uint32_t level = 1; level < gguf::kMaxArrayNesting; ++level) p += 12;  // outer arrays' headers
    ASSERT_EQ(peek<uint32_t>(b, p), static_cast<uint32_t>(GgufType::UINT8));
    poke<uint32_t>(b, p, static_cast<uint32_t>(GgufType::ARRAY));
    EXPECT_PARSE_ERROR(b, "metadata 'test.array_nested' nests arrays too deeply");
}

TEST_F(Synthetic, TruncationAnywhere) {
    for (size_t n = 0; n < bytes_.size(); ++n) {
        const std::string msg = parse_error(std::span<const uint8_t>(bytes_.data(), n));
        // The last tensor (3 bytes) is followed by 29 bytes of padding.
        if (n >= bytes_.size() - 29) {
            EXPECT_TRUE(msg.empty()) << n << ": " << msg;
        } else {
            ASSERT_FALSE(msg.empty()) << "cut at " << n << " parsed";
        }
    }
}

// ---- mutation fuzzing ------------------------------------------------------------------
//
// Random damage to the header region of a real file. The only acceptable outcomes are a
// successful parse (whose tensor views must then lie inside the buffer) or a
// pareto::Error; a crash, a sanitizer report or any other exception fails.

// PARETO_FUZZ_SCALE=N multiplies the iteration counts, for a long run by hand.
int fuzz_iterations(int base) {
    const char* env = std::getenv("PARETO_FUZZ_SCALE");
    const int scale = env ? std::max(1, std::atoi(env)) : 1;
    return base * scale;
}

struct FuzzStats {
    size_t parsed = 0;
    size_t refused = 0;
};

FuzzStats fuzz(const Bytes& original, const Layout& layout, size_t region_end, uint64_t seed, int iterations) {
    std::mt19937_64 rng(seed);
    Bytes b = original;
    FuzzStats stats;
    static constexpr uint64_t kInteresting64[] = {0, 1, 2, 31, 32, 33, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
                                                  0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
                                                  uint64_t{1} << 40, (uint64_t{1} << 40) + 1,
                                                  0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff};
    static constexpr uint32_t kInteresting32[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 24, 30, 31,
                                                  34, 39, 40, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff};
    for (int it = 0; it < iterations; ++it) {
        const int n_mutations = 1 + static_cast<int>(rng() % 4);
        for (int m = 0; m < n_mutations; ++m) {
            switch (rng() % 5) {
                case 0: b[rng() % region_end] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
                case 1: b[rng() % region_end] = static_cast<uint8_t>(rng()); break;
                case 2: {
                    const size_t at = layout.u64_fields[rng() % layout.u64_fields.size()];
                    const uint64_t old = peek<uint64_t>(b, at);
                    const uint64_t choices[] = {kInteresting64[rng() % std::size(kInteresting64)], old + 1, old - 1,
                                                old * 2, old + 32, old ^ (uint64_t{1} << (rng() % 64))};
                    poke<uint64_t>(b, at, choices[rng() % std::size(choices)]);
                    break;
                }
                case 3: {
                    const size_t at = layout.u32_fields[rng() % layout.u32_fields.size()];
                    poke<uint32_t>(b, at, kInteresting32[rng() % std::size(kInteresting32)]);
                    break;
                }
                default: {  // shift a run of bytes by one, as a lost or doubled byte would
                    const size_t at = rng() % (region_end - 64);
                    std::memmove(b.data() + at, b.data() + at + 1, 63);
                    break;
                }
            }
        }
        // Sometimes cut the damaged file as well.
        const size_t size = (rng() % 8 == 0) ? static_cast<size_t>(rng() % b.size()) : b.size();
        const std::span<const uint8_t> view(b.data(), size);
        try {
            const GgufFile f = GgufFile::parse(view, "fuzz");
            ++stats.parsed;
            for (const auto& t : f.tensors()) {  // views must be inside the buffer
                EXPECT_GE(t.data, view.data());
                EXPECT_LE(t.data + t.n_bytes, view.data() + view.size());
                volatile uint8_t touch = t.data[0];
                touch = t.data[t.n_bytes - 1];
                (void)touch;
            }
            for (const auto& kv : f.metadata()) (void)kv.second.to_display();
        } catch (const Error&) {
            ++stats.refused;
        }
        std::memcpy(b.data(), original.data(), region_end);  // undo
    }
    return stats;
}

TEST_F(Stories, MutationFuzzOfTheHeader) {
    const int n = fuzz_iterations(3000);
    const FuzzStats s = fuzz(bytes_, layout_, layout_.data_offset, 20240601, n);
    EXPECT_EQ(s.parsed + s.refused, static_cast<size_t>(n));
    EXPECT_GT(s.refused, 1000u);  // the damage is real
    EXPECT_GT(s.parsed, 10u);     // and the check is not "everything fails"
}

TEST_F(Synthetic, MutationFuzzOfTheWholeFile) {
    const int n = fuzz_iterations(4000);
    const FuzzStats s = fuzz(bytes_, layout_, bytes_.size(), 7, n);
    EXPECT_EQ(s.parsed + s.refused, static_cast<size_t>(n));
    EXPECT_GT(s.refused, 1000u);
    EXPECT_GT(s.parsed, 10u);
}

}  // namespace
}  // namespace pareto

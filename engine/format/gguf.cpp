#include "format/gguf.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>

#include "util/error.h"

namespace pareto {

// Compact array storage: STRING elements as views (into the file's mapping, kept
// alive by `owner`, or into `owned`), numbers and bools as 8-byte words (uint64,
// int64 or double bits according to the element type), nested arrays as values.
struct GgufValue::ArrayData {
    std::shared_ptr<const void> owner;
    std::vector<std::string> owned;
    std::vector<std::string_view> strings;
    std::vector<uint64_t> words;
    Array nested;
    mutable std::once_flag materialize_once;
    mutable Array materialized;

    size_t size(GgufType element_type) const {
        if (element_type == GgufType::STRING) return strings.size();
        if (element_type == GgufType::ARRAY) return nested.size();
        return words.size();
    }
};

namespace {

// GGUF is little-endian and the cursor copies values straight out of the file.
static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

// The gguf:: limits are generous caps that no real model reaches; they keep a hostile
// header from making us allocate or loop for hours before the bounds checks catch it.
using gguf::kMagic;
using gguf::kMaxArrayNesting;
using gguf::kMaxDims;
using gguf::kMaxKeyLength;

// Names from a hostile file can hold control bytes; error messages show them tamed.
std::string printable(std::string_view s) {
    constexpr size_t kMaxShown = 80;
    std::string out;
    for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
        const auto ch = static_cast<unsigned char>(s[i]);
        out += (ch < 0x20 || ch == 0x7f) ? '?' : static_cast<char>(ch);
    }
    if (s.size() > kMaxShown) out += "...";
    return out;
}

// Reserve space from a count read from the file, but never more than a little: the
// count is untrusted, and a flipped bit must not turn into a multi-gigabyte allocation
// before the bounds checks see the lie. Vectors grow as needed beyond this.
size_t safe_reserve(uint64_t n) { return static_cast<size_t>(std::min<uint64_t>(n, 4096)); }

// Bounds-checked little-endian cursor over the file bytes.
class Cursor {
public:
    Cursor(std::span<const uint8_t> bytes, const std::string& label) : bytes_(bytes), label_(label) {}

    uint64_t elements_left = gguf::kMaxMetadataElements;  // array elements the file may still hold
    std::shared_ptr<const void> owner;                       // keeps viewed bytes alive (may be null)

    // A string's bytes in place, without copying.
    std::string_view read_view(const char* what) {
        const uint64_t len = read<uint64_t>(what);
        need(len, what);
        std::string_view v(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        return v;
    }

    size_t pos() const { return pos_; }
    size_t remaining() const { return bytes_.size() - pos_; }

    [[noreturn]] void error(const std::string& what) const {
        fail(label_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
    }

    void need(uint64_t n, const char* what) const {
        if (n > remaining())
            error(std::string("file is truncated or corrupt: ") + what + " needs " + std::to_string(n) +
                  " bytes but only " + std::to_string(remaining()) + " remain");
    }

    template <typename T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    std::string read_string(const char* what, uint64_t max_len = std::numeric_limits<uint64_t>::max()) {
        const uint64_t len = read<uint64_t>(what);
        if (len > max_len) error(std::string(what) + " is absurdly long (" + std::to_string(len) + " bytes)");
        need(len, what);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        return s;
    }

private:
    std::span<const uint8_t> bytes_;
    const std::string& label_;
    size_t pos_ = 0;
};

// Smallest encoded size of one value of type t, used to bound array counts by the
// bytes that remain before allocating anything.
uint64_t min_encoded_size(GgufType t) {
    switch (t) {
        case GgufType::UINT8: case GgufType::INT8: case GgufType::BOOL: return 1;
        case GgufType::UINT16: case GgufType::INT16: return 2;
        case GgufType::UINT32: case GgufType::INT32: case GgufType::FLOAT32: return 4;
        case GgufType::UINT64: case GgufType::INT64: case GgufType::FLOAT64: return 8;
        case GgufType::STRING: return 8;
        case GgufType::ARRAY: return 12;
    }
    return 1;
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::FLOAT64); }

// One numeric or bool array element as an 8-byte word (see GgufValue::ArrayData).
uint64_t read_word(Cursor& c, GgufType type, const std::string& key) {
    switch (type) {
        case GgufType::UINT8: return c.read<uint8_t>("a uint8 value");
        case GgufType::INT8: return std::bit_cast<uint64_t>(int64_t{c.read<int8_t>("an int8 value")});
        case GgufType::UINT16: return c.read<uint16_t>("a uint16 value");
        case GgufType::INT16: return std::bit_cast<uint64_t>(int64_t{c.read<int16_t>("an int16 value")});
        case GgufType::UINT32: return c.read<uint32_t>("a uint32 value");
        case GgufType::INT32: return std::bit_cast<uint64_t>(int64_t{c.read<int32_t>("an int32 value")});
        case GgufType::UINT64: return c.read<uint64_t>("a uint64 value");
        case GgufType::INT64: return std::bit_cast<uint64_t>(c.read<int64_t>("an int64 value"));
        case GgufType::FLOAT32: return std::bit_cast<uint64_t>(static_cast<double>(c.read<float>("a float32 value")));
        case GgufType::FLOAT64: return std::bit_cast<uint64_t>(c.read<double>("a float64 value"));
        case GgufType::BOOL: {
            const uint8_t b = c.read<uint8_t>("a bool value");
            if (b > 1) c.error("metadata '" + key + "' has a bool value of " + std::to_string(b));
            return b;
        }
        default: break;
    }
    c.error("metadata '" + key + "' has an array of unexpected type " + std::string(gguf_type_name(type)));
}

GgufValue read_value(Cursor& c, GgufType type, const std::string& key, uint64_t depth) {
    switch (type) {
        case GgufType::UINT8: return GgufValue::make_uint(type, c.read<uint8_t>("a uint8 value"));
        case GgufType::INT8: return GgufValue::make_int(type, c.read<int8_t>("an int8 value"));
        case GgufType::UINT16: return GgufValue::make_uint(type, c.read<uint16_t>("a uint16 value"));
        case GgufType::INT16: return GgufValue::make_int(type, c.read<int16_t>("an int16 value"));
        case GgufType::UINT32: return GgufValue::make_uint(type, c.read<uint32_t>("a uint32 value"));
        case GgufType::INT32: return GgufValue::make_int(type, c.read<int32_t>("an int32 value"));
        case GgufType::UINT64: return GgufValue::make_uint(type, c.read<uint64_t>("a uint64 value"));
        case GgufType::INT64: return GgufValue::make_int(type, c.read<int64_t>("an int64 value"));
        case GgufType::FLOAT32: return GgufValue::make_float(type, c.read<float>("a float32 value"));
        case GgufType::FLOAT64: return GgufValue::make_float(type, c.read<double>("a float64 value"));
        case GgufType::BOOL: {
            const uint8_t b = c.read<uint8_t>("a bool value");
            if (b > 1) c.error("metadata '" + key + "' has a bool value of " + std::to_string(b));
            return GgufValue::make_bool(b != 0);
        }
        case GgufType::STRING: return GgufValue::make_string(c.read_string("a string value"));
        case GgufType::ARRAY: {
            if (depth >= kMaxArrayNesting) c.error("metadata '" + key + "' nests arrays too deeply");
            const uint32_t et = c.read<uint32_t>("an array element type");
            if (!valid_type(et))
                c.error("metadata '" + key + "' is an array of unknown value type " + std::to_string(et));
            const uint64_t n = c.read<uint64_t>("an array length");
            const auto etype = static_cast<GgufType>(et);
            // Each element costs far more memory than file bytes, so a bound by file
            // size alone would let a corrupt length in a large file exhaust memory.
            if (n > gguf::kMaxArrayLength)
                c.error("metadata '" + key + "' claims " + std::to_string(n) + " array elements (at most " +
                        std::to_string(gguf::kMaxArrayLength) + " are supported); the file is corrupt");
            if (n > c.elements_left)
                c.error("metadata '" + key + "' brings the file's array elements past " +
                        std::to_string(gguf::kMaxMetadataElements) + " in all; the file is corrupt");
            c.elements_left -= n;
            if (n > c.remaining() / min_encoded_size(etype))
                c.error("metadata '" + key + "' claims " + std::to_string(n) +
                        " array elements, more than the file can hold (it is truncated or corrupt)");
            auto data = std::make_shared<GgufValue::ArrayData>();
            if (etype == GgufType::STRING) {
                data->owner = c.owner;
                data->strings.reserve(safe_reserve(n));
                for (uint64_t i = 0; i < n; ++i) data->strings.push_back(c.read_view("a string value"));
                // Without an owner the views point into the caller's bytes (GgufFile::parse).
            } else if (etype == GgufType::ARRAY) {
                data->nested.reserve(safe_reserve(n));
                for (uint64_t i = 0; i < n; ++i) data->nested.push_back(read_value(c, etype, key, depth + 1));
            } else {
                data->words.reserve(safe_reserve(n));
                for (uint64_t i = 0; i < n; ++i) data->words.push_back(read_word(c, etype, key));
            }
            return GgufValue::from_array_data(etype, std::move(data));
        }
    }
    c.error("metadata '" + key + "' has unknown value type " + std::to_string(static_cast<uint32_t>(type)));
}

}  // namespace

std::string_view gguf_type_name(GgufType t) {
    static constexpr std::string_view names[] = {"uint8", "int8", "uint16", "int16", "uint32",
                                                 "int32", "float32", "bool", "string", "array",
                                                 "uint64", "int64", "float64"};
    const auto i = static_cast<uint32_t>(t);
    return i < std::size(names) ? names[i] : "unknown";
}

// ---- GgufValue -------------------------------------------------------------------
//
// Invariant kept by the factories: unsigned types hold a uint64_t, signed types an
// int64_t, float types a double, BOOL a bool, STRING a string, ARRAY array_; and the
// value fits the type. The accessors and the writer rely on it.

namespace {

bool is_unsigned_type(GgufType t) {
    return t == GgufType::UINT8 || t == GgufType::UINT16 || t == GgufType::UINT32 || t == GgufType::UINT64;
}

bool is_signed_type(GgufType t) {
    return t == GgufType::INT8 || t == GgufType::INT16 || t == GgufType::INT32 || t == GgufType::INT64;
}

uint64_t unsigned_max(GgufType t) {
    switch (t) {
        case GgufType::UINT8: return std::numeric_limits<uint8_t>::max();
        case GgufType::UINT16: return std::numeric_limits<uint16_t>::max();
        case GgufType::UINT32: return std::numeric_limits<uint32_t>::max();
        default: return std::numeric_limits<uint64_t>::max();
    }
}

// The signed range is [-max - 1, max].
int64_t signed_max(GgufType t) {
    switch (t) {
        case GgufType::INT8: return std::numeric_limits<int8_t>::max();
        case GgufType::INT16: return std::numeric_limits<int16_t>::max();
        case GgufType::INT32: return std::numeric_limits<int32_t>::max();
        default: return std::numeric_limits<int64_t>::max();
    }
}

[[noreturn]] void value_does_not_fit(const std::string& value, GgufType t) {
    fail("GGUF value " + value + " does not fit in type " + std::string(gguf_type_name(t)));
}

[[noreturn]] void wrong_factory(const char* factory, GgufType t) {
    fail(std::string("GgufValue::") + factory + " cannot make a value of type " + std::string(gguf_type_name(t)) +
         " (id " + std::to_string(static_cast<uint32_t>(t)) + ")");
}

}  // namespace

GgufValue GgufValue::make_uint(GgufType t, uint64_t v) {
    GgufValue r;
    r.type_ = t;
    if (is_unsigned_type(t)) {
        if (v > unsigned_max(t)) value_does_not_fit(std::to_string(v), t);
        r.scalar_ = v;
    } else if (is_signed_type(t)) {
        if (v > static_cast<uint64_t>(signed_max(t))) value_does_not_fit(std::to_string(v), t);
        r.scalar_ = static_cast<int64_t>(v);
    } else {
        wrong_factory("make_uint", t);
    }
    return r;
}

GgufValue GgufValue::make_int(GgufType t, int64_t v) {
    GgufValue r;
    r.type_ = t;
    if (is_signed_type(t)) {
        const int64_t hi = signed_max(t);
        if (v > hi || v < -hi - 1) value_does_not_fit(std::to_string(v), t);
        r.scalar_ = v;
    } else if (is_unsigned_type(t)) {
        if (v < 0 || static_cast<uint64_t>(v) > unsigned_max(t)) value_does_not_fit(std::to_string(v), t);
        r.scalar_ = static_cast<uint64_t>(v);
    } else {
        wrong_factory("make_int", t);
    }
    return r;
}

GgufValue GgufValue::make_float(GgufType t, double v) {
    GgufValue r;
    r.type_ = t;
    if (t == GgufType::FLOAT32) {
        // Converting a finite double beyond float's range is undefined behaviour, and
        // would not be the value the caller meant anyway.
        if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
            value_does_not_fit(std::to_string(v), t);
        r.scalar_ = static_cast<double>(static_cast<float>(v));
    } else if (t == GgufType::FLOAT64) {
        r.scalar_ = v;
    } else {
        wrong_factory("make_float", t);
    }
    return r;
}

GgufValue GgufValue::make_bool(bool v) { GgufValue r; r.type_ = GgufType::BOOL; r.scalar_ = v; return r; }
GgufValue GgufValue::make_string(std::string v) {
    GgufValue r;
    r.type_ = GgufType::STRING;
    r.scalar_ = std::move(v);
    return r;
}
GgufValue GgufValue::make_array(GgufType element_type, Array values) {
    if (!valid_type(static_cast<uint32_t>(element_type)))
        fail("GGUF array has unknown element type id " + std::to_string(static_cast<uint32_t>(element_type)));
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i].type() != element_type)
            fail("GGUF array of " + std::string(gguf_type_name(element_type)) + " holds a " +
                 std::string(gguf_type_name(values[i].type())) + " at index " + std::to_string(i));
    auto data = std::make_shared<ArrayData>();
    if (element_type == GgufType::STRING) {
        data->owned.reserve(values.size());
        for (auto& v : values) data->owned.push_back(std::move(std::get<std::string>(v.scalar_)));
        // Views are taken once `owned` is complete: it never reallocates afterwards.
        data->strings.assign(data->owned.begin(), data->owned.end());
    } else if (element_type == GgufType::ARRAY) {
        data->nested = std::move(values);
    } else {
        data->words.reserve(values.size());
        for (const auto& v : values)
            std::visit([&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>) {
                } else if constexpr (std::is_same_v<T, bool>) {
                    data->words.push_back(x ? 1u : 0u);
                } else {
                    data->words.push_back(std::bit_cast<uint64_t>(x));
                }
            }, v.scalar_);
    }
    return from_array_data(element_type, std::move(data));
}

GgufValue GgufValue::from_array_data(GgufType element_type, std::shared_ptr<const ArrayData> data) {
    GgufValue r;
    r.type_ = GgufType::ARRAY;
    r.element_type_ = element_type;
    r.array_ = std::move(data);
    return r;
}

bool GgufValue::is_integer() const {
    return std::holds_alternative<uint64_t>(scalar_) || std::holds_alternative<int64_t>(scalar_);
}

int64_t GgufValue::as_int(std::string_view what) const {
    if (type_ != GgufType::ARRAY) {
        if (const auto* u = std::get_if<uint64_t>(&scalar_)) {
            if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                fail(std::string(what) + " is out of range");
            return static_cast<int64_t>(*u);
        }
        if (const auto* i = std::get_if<int64_t>(&scalar_)) return *i;
    }
    fail(std::string(what) + " should be an integer but is " + std::string(gguf_type_name(type_)));
}

uint64_t GgufValue::as_uint(std::string_view what) const {
    if (type_ != GgufType::ARRAY)
        if (const auto* u = std::get_if<uint64_t>(&scalar_)) return *u;
    const int64_t v = as_int(what);
    if (v < 0) fail(std::string(what) + " must not be negative (is " + std::to_string(v) + ")");
    return static_cast<uint64_t>(v);
}

double GgufValue::as_float(std::string_view what) const {
    if (type_ != GgufType::ARRAY) {
        if (const auto* d = std::get_if<double>(&scalar_)) return *d;
        // Every integer is a number, including a uint64 beyond int64's range.
        if (const auto* u = std::get_if<uint64_t>(&scalar_)) return static_cast<double>(*u);
        if (const auto* i = std::get_if<int64_t>(&scalar_)) return static_cast<double>(*i);
    }
    fail(std::string(what) + " should be a number but is " + std::string(gguf_type_name(type_)));
}

bool GgufValue::as_bool(std::string_view what) const {
    if (const auto* b = std::get_if<bool>(&scalar_); b && type_ == GgufType::BOOL) return *b;
    fail(std::string(what) + " should be a bool but is " + std::string(gguf_type_name(type_)));
}

const std::string& GgufValue::as_string(std::string_view what) const {
    if (const auto* s = std::get_if<std::string>(&scalar_); s && type_ == GgufType::STRING) return *s;
    fail(std::string(what) + " should be a string but is " + std::string(gguf_type_name(type_)));
}

const GgufValue::ArrayData& GgufValue::array_data(std::string_view what) const {
    if (type_ == GgufType::ARRAY && array_) return *array_;
    fail(std::string(what) + " should be an array but is " + std::string(gguf_type_name(type_)));
}

size_t GgufValue::array_size(std::string_view what) const { return array_data(what).size(element_type_); }

std::string_view GgufValue::string_at(size_t i) const {
    const ArrayData& a = array_data("value");
    if (element_type_ != GgufType::STRING)
        fail("an array of " + std::string(gguf_type_name(element_type_)) + " was read as strings");
    if (i >= a.strings.size()) fail("array index " + std::to_string(i) + " is out of range");
    return a.strings[i];
}

namespace {
bool is_signed_element(GgufType t) {
    return t == GgufType::INT8 || t == GgufType::INT16 || t == GgufType::INT32 || t == GgufType::INT64;
}
bool is_unsigned_element(GgufType t) {
    return t == GgufType::UINT8 || t == GgufType::UINT16 || t == GgufType::UINT32 || t == GgufType::UINT64 ||
           t == GgufType::BOOL;
}
}  // namespace

int64_t GgufValue::int_at(size_t i) const {
    const ArrayData& a = array_data("value");
    if (i >= a.words.size()) fail("array index " + std::to_string(i) + " is out of range");
    if (is_signed_element(element_type_)) return std::bit_cast<int64_t>(a.words[i]);
    if (is_unsigned_element(element_type_)) {
        if (a.words[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            fail("array element " + std::to_string(i) + " is out of range");
        return static_cast<int64_t>(a.words[i]);
    }
    fail("an array of " + std::string(gguf_type_name(element_type_)) + " was read as integers");
}

uint64_t GgufValue::uint_at(size_t i) const {
    if (is_unsigned_element(element_type_)) {
        const ArrayData& a = array_data("value");
        if (i >= a.words.size()) fail("array index " + std::to_string(i) + " is out of range");
        return a.words[i];
    }
    const int64_t v = int_at(i);
    if (v < 0) fail("array element " + std::to_string(i) + " must not be negative");
    return static_cast<uint64_t>(v);
}

double GgufValue::float_at(size_t i) const {
    const ArrayData& a = array_data("value");
    if (i >= a.words.size()) fail("array index " + std::to_string(i) + " is out of range");
    if (element_type_ == GgufType::FLOAT32 || element_type_ == GgufType::FLOAT64)
        return std::bit_cast<double>(a.words[i]);
    if (is_signed_element(element_type_)) return static_cast<double>(std::bit_cast<int64_t>(a.words[i]));
    if (is_unsigned_element(element_type_)) return static_cast<double>(a.words[i]);
    fail("an array of " + std::string(gguf_type_name(element_type_)) + " was read as numbers");
}

const GgufValue::Array& GgufValue::as_array(std::string_view what) const {
    const ArrayData& a = array_data(what);
    if (element_type_ == GgufType::ARRAY) return a.nested;
    std::call_once(a.materialize_once, [&] {
        const size_t n = a.size(element_type_);
        a.materialized.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            switch (element_type_) {
                case GgufType::STRING: a.materialized.push_back(make_string(std::string(a.strings[i]))); break;
                case GgufType::BOOL: a.materialized.push_back(make_bool(a.words[i] != 0)); break;
                case GgufType::FLOAT32: case GgufType::FLOAT64:
                    a.materialized.push_back(make_float(element_type_, std::bit_cast<double>(a.words[i])));
                    break;
                default:
                    if (is_signed_element(element_type_))
                        a.materialized.push_back(make_int(element_type_, std::bit_cast<int64_t>(a.words[i])));
                    else
                        a.materialized.push_back(make_uint(element_type_, a.words[i]));
            }
        }
    });
    return a.materialized;
}

std::string GgufValue::element_display(size_t i, size_t max_items) const {
    switch (element_type_) {
        case GgufType::STRING: return make_string(std::string(string_at(i))).to_display(max_items);
        case GgufType::ARRAY: return array_->nested[i].to_display(max_items);
        case GgufType::BOOL: return array_->words[i] ? "true" : "false";
        case GgufType::FLOAT32: case GgufType::FLOAT64: {
            std::ostringstream os;
            os << float_at(i);
            return os.str();
        }
        default:
            return is_signed_element(element_type_) ? std::to_string(int_at(i)) : std::to_string(uint_at(i));
    }
}

std::string GgufValue::to_display(size_t max_items) const {
    std::ostringstream os;
    switch (type_) {
        case GgufType::STRING: {
            const auto& s = std::get<std::string>(scalar_);
            if (s.size() > 80) os << '"' << s.substr(0, 77) << "...\" (" << s.size() << " bytes)";
            else os << '"' << s << '"';
            break;
        }
        case GgufType::BOOL: os << (std::get<bool>(scalar_) ? "true" : "false"); break;
        case GgufType::FLOAT32: case GgufType::FLOAT64: os << std::get<double>(scalar_); break;
        case GgufType::ARRAY: {
            const size_t n = array_->size(element_type_);
            os << gguf_type_name(element_type_) << "[" << n << "] [";
            for (size_t i = 0; i < n && i < max_items; ++i) os << (i ? ", " : "") << element_display(i, max_items);
            if (n > max_items) os << ", ...";
            os << "]";
            break;
        }
        default:
            if (const auto* u = std::get_if<uint64_t>(&scalar_)) os << *u;
            else os << std::get<int64_t>(scalar_);
    }
    return os.str();
}

std::string GgufTensor::shape_string() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// ---- GgufFile --------------------------------------------------------------------

GgufFile GgufFile::open(const std::string& path, FileLoad how) {
    GgufFile f;
    f.label_ = path;
    f.map_ = std::make_shared<MappedFile>(path, how);
    f.bytes_ = std::span<const uint8_t>(f.map_->data(), f.map_->size());
    f.parse_all();
    return f;
}

void GgufFile::map_back(const GgufTensor& t) {
    if (map_ && t.data) map_->map_back(static_cast<size_t>(t.data - bytes_.data()), t.n_bytes);
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes, std::string label) {
    GgufFile f;
    f.label_ = std::move(label);
    f.bytes_ = bytes;
    f.parse_all();
    return f;
}

void GgufFile::parse_all() {
    Cursor c(bytes_, label_);
    c.owner = map_;
    if (bytes_.empty()) fail(label_ + ": not a GGUF file: the file is empty");
    if (bytes_.size() < 4)
        fail(label_ + ": not a GGUF file: only " + std::to_string(bytes_.size()) + " bytes long (truncated?)");
    const uint32_t magic = c.read<uint32_t>("the magic number");
    if (magic != kMagic) {
        char m[5] = {};
        std::memcpy(m, &magic, 4);
        for (char& ch : m) if (ch && (ch < 32 || ch > 126)) ch = '?';
        fail(label_ + ": not a GGUF file (magic is \"" + std::string(m) + "\", expected \"GGUF\")");
    }
    version_ = c.read<uint32_t>("the version");
    if (version_ == 1) fail(label_ + ": GGUF version 1 is not supported (only versions 2 and 3); re-convert the model");
    if (version_ != 2 && version_ != 3) {
        if ((version_ & 0xffff) == 0 && (version_ >> 16) != 0)
            fail(label_ + ": big-endian GGUF files are not supported");
        fail(label_ + ": unsupported GGUF version " + std::to_string(version_) + " (supported: 2 and 3)");
    }
    const uint64_t n_tensors = c.read<uint64_t>("the tensor count");
    const uint64_t n_kv = c.read<uint64_t>("the metadata count");
    // Each metadata pair takes at least 8 (key length) + 4 (type) + 1 bytes, each
    // tensor record at least 8 + 4 + 4 + 8.
    if (n_kv > c.remaining() / 13)
        c.error("metadata count " + std::to_string(n_kv) +
                " is more than the file can hold (it is truncated or corrupt)");
    if (n_tensors > c.remaining() / 24)
        c.error("tensor count " + std::to_string(n_tensors) +
                " is more than the file can hold (it is truncated or corrupt)");

    metadata_.reserve(safe_reserve(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = c.read_string("a metadata key", kMaxKeyLength);
        if (key.empty()) c.error("metadata entry " + std::to_string(i) + " has an empty key");
        const std::string shown = printable(key);
        const uint32_t t = c.read<uint32_t>("a metadata value type");
        if (!valid_type(t)) c.error("metadata '" + shown + "' has unknown value type " + std::to_string(t));
        GgufValue v = read_value(c, static_cast<GgufType>(t), shown, 0);
        if (metadata_index_.count(key)) c.error("duplicate metadata key '" + shown + "'");
        metadata_index_.emplace(key, metadata_.size());
        metadata_.emplace_back(std::move(key), std::move(v));
    }

    if (const GgufValue* a = find("general.alignment")) {
        if (a->type() != GgufType::UINT32)
            fail(label_ + ": general.alignment must be a uint32 but is " + std::string(gguf_type_name(a->type())));
        const uint64_t al = a->as_uint("general.alignment");
        if (al == 0 || (al & (al - 1)) != 0 || al > gguf::kMaxAlignment)
            fail(label_ + ": general.alignment " + std::to_string(al) + " is not a power of two up to 1 MiB");
        alignment_ = static_cast<size_t>(al);
    }

    // Now that the metadata is read, bound the tensor count again by what remains:
    // a tensor record takes at least 8 + 1 (name) + 4 + 8 (one dimension) + 4 + 8 bytes.
    if (n_tensors > c.remaining() / 33)
        c.error("tensor count " + std::to_string(n_tensors) +
                " is more than the file can hold (it is truncated or corrupt)");
    tensors_.reserve(safe_reserve(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensor t;
        t.name = c.read_string("a tensor name", kMaxKeyLength);
        const std::string shown = printable(t.name);
        const std::string where = "tensor " + std::to_string(i) + " '" + shown + "'";
        if (t.name.empty()) c.error(where + " has an empty name");
        const uint32_t n_dims = c.read<uint32_t>("a tensor dimension count");
        if (n_dims == 0 || n_dims > kMaxDims)
            c.error(where + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
        t.n_elements = 1;
        for (uint32_t d = 0; d < n_dims; ++d) {
            const uint64_t ne = c.read<uint64_t>("a tensor dimension");
            if (ne == 0) c.error(where + " has a zero dimension (dimension " + std::to_string(d) + ")");
            if (ne > gguf::kMaxDim) c.error(where + " has an absurd dimension " + std::to_string(ne));
            if (t.n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ne)
                c.error(where + ": element count overflows");
            t.n_elements *= ne;
            t.shape.push_back(ne);
        }
        const uint32_t type_id = c.read<uint32_t>("a tensor type");
        const auto info = dtype_info(type_id);
        if (!info) c.error(where + " has unknown tensor type id " + std::to_string(type_id));
        t.type = info->type;
        t.offset = c.read<uint64_t>("a tensor data offset");
        if (t.shape[0] % info->block_elems != 0)
            c.error(where + ": row length " + std::to_string(t.shape[0]) + " is not a multiple of the " +
                    std::string(info->name) + " block size " + std::to_string(info->block_elems));
        const uint64_t blocks = t.n_elements / info->block_elems;
        if (blocks > std::numeric_limits<uint64_t>::max() / info->block_bytes)
            c.error(where + ": byte size overflows");
        t.n_bytes = static_cast<size_t>(blocks * info->block_bytes);
        if (tensor_index_.count(t.name)) c.error("duplicate tensor name '" + shown + "'");
        tensor_index_.emplace(t.name, tensors_.size());
        tensors_.push_back(std::move(t));
    }

    // The data section starts at the next multiple of the alignment.
    const size_t header_end = c.pos();
    data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
    const size_t data_size = data_offset_ <= bytes_.size() ? bytes_.size() - data_offset_ : 0;
    if (!tensors_.empty() && data_offset_ > bytes_.size())
        fail(label_ + ": file is truncated or corrupt: it ends at byte " + std::to_string(bytes_.size()) +
             " before the tensor data section at byte " + std::to_string(data_offset_));

    std::vector<size_t> order(tensors_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (auto& t : tensors_) {
        if (t.offset % alignment_ != 0)
            fail(label_ + ": tensor '" + printable(t.name) + "' data offset " + std::to_string(t.offset) +
                 " is not aligned to " + std::to_string(alignment_) + " bytes");
        if (t.offset > data_size || t.n_bytes > data_size - t.offset)
            fail(label_ + ": tensor '" + printable(t.name) + "' data (" + std::to_string(t.n_bytes) +
                 " bytes at offset " + std::to_string(t.offset) + ") lies outside the file, whose data section holds " +
                 std::to_string(data_size) + " bytes; the file is truncated or corrupt");
        t.data = bytes_.data() + data_offset_ + t.offset;
    }
    // Stable, so that tensors at the same offset are named in file order.
    std::stable_sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
        const auto& prev = tensors_[order[k - 1]];
        const auto& cur = tensors_[order[k]];
        if (prev.offset + prev.n_bytes > cur.offset)
            fail(label_ + ": tensors '" + printable(prev.name) + "' and '" + printable(cur.name) +
                 "' overlap in the file");
    }
}

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = metadata_index_.find(key);
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufValue& GgufFile::require(std::string_view key) const {
    if (const GgufValue* v = find(key)) return *v;
    fail(label_ + ": required metadata key '" + std::string(key) + "' is missing");
}

std::string GgufFile::get_string(std::string_view key, std::string fallback) const {
    const GgufValue* v = find(key);
    return v ? v->as_string(label_ + ": metadata '" + std::string(key) + "'") : fallback;
}

int64_t GgufFile::get_int(std::string_view key, int64_t fallback) const {
    const GgufValue* v = find(key);
    return v ? v->as_int(label_ + ": metadata '" + std::string(key) + "'") : fallback;
}

double GgufFile::get_float(std::string_view key, double fallback) const {
    const GgufValue* v = find(key);
    return v ? v->as_float(label_ + ": metadata '" + std::string(key) + "'") : fallback;
}

bool GgufFile::get_bool(std::string_view key, bool fallback) const {
    const GgufValue* v = find(key);
    return v ? v->as_bool(label_ + ": metadata '" + std::string(key) + "'") : fallback;
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensor& GgufFile::require_tensor(std::string_view name) const {
    if (const GgufTensor* t = find_tensor(name)) return *t;
    fail(label_ + ": required tensor '" + std::string(name) + "' is missing");
}

std::string gguf_file_type_name(int64_t ft) {
    switch (ft) {
        case 0: return "F32";
        case 1: return "F16";
        case 2: return "Q4_0";
        case 3: return "Q4_1";
        case 7: return "Q8_0";
        case 8: return "Q5_0";
        case 9: return "Q5_1";
        case 10: return "Q2_K";
        case 11: return "Q3_K_S";
        case 12: return "Q3_K_M";
        case 13: return "Q3_K_L";
        case 14: return "Q4_K_S";
        case 15: return "Q4_K_M";
        case 16: return "Q5_K_S";
        case 17: return "Q5_K_M";
        case 18: return "Q6_K";
        case 32: return "BF16";
        default: return "type " + std::to_string(ft);
    }
}

}  // namespace pareto

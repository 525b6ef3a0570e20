#include "format/gguf_writer.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <future>
#include <limits>

#include "util/atomic_file.h"
#include "util/error.h"

namespace pareto {
namespace {

// GGUF is little-endian; values are copied out of host memory as they are.
static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian host");

// Built piecewise: `"'" + std::string(s)` trips a false -Wrestrict in GCC 12.
std::string in_quotes(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '\'';
    out += s;
    out += '\'';
    return out;
}

// ---- serialisation into a byte buffer ----------------------------------------------

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

// The payload of a value, without its type tag (array elements carry none).
void put_value(std::vector<uint8_t>& out, const GgufValue& v) {
    // GgufValue's factories guarantee the value fits its type, so the casts are exact.
    switch (v.type()) {
        case GgufType::UINT8: put<uint8_t>(out, static_cast<uint8_t>(v.as_uint())); return;
        case GgufType::INT8: put<int8_t>(out, static_cast<int8_t>(v.as_int())); return;
        case GgufType::UINT16: put<uint16_t>(out, static_cast<uint16_t>(v.as_uint())); return;
        case GgufType::INT16: put<int16_t>(out, static_cast<int16_t>(v.as_int())); return;
        case GgufType::UINT32: put<uint32_t>(out, static_cast<uint32_t>(v.as_uint())); return;
        case GgufType::INT32: put<int32_t>(out, static_cast<int32_t>(v.as_int())); return;
        case GgufType::UINT64: put<uint64_t>(out, v.as_uint()); return;
        case GgufType::INT64: put<int64_t>(out, v.as_int()); return;
        case GgufType::FLOAT32: put<float>(out, static_cast<float>(v.as_float())); return;
        case GgufType::FLOAT64: put<double>(out, v.as_float()); return;
        case GgufType::BOOL: put<uint8_t>(out, v.as_bool() ? 1 : 0); return;
        case GgufType::STRING: put_string(out, v.as_string()); return;
        case GgufType::ARRAY: {
            const size_t n = v.array_size();
            const GgufType et = v.element_type();
            put<uint32_t>(out, static_cast<uint32_t>(et));
            put<uint64_t>(out, n);
            for (size_t i = 0; i < n; ++i) {
                switch (et) {
                    case GgufType::STRING: put_string(out, v.string_at(i)); break;
                    case GgufType::ARRAY: put_value(out, v.as_array()[i]); break;
                    case GgufType::UINT8: put<uint8_t>(out, static_cast<uint8_t>(v.uint_at(i))); break;
                    case GgufType::INT8: put<int8_t>(out, static_cast<int8_t>(v.int_at(i))); break;
                    case GgufType::UINT16: put<uint16_t>(out, static_cast<uint16_t>(v.uint_at(i))); break;
                    case GgufType::INT16: put<int16_t>(out, static_cast<int16_t>(v.int_at(i))); break;
                    case GgufType::UINT32: put<uint32_t>(out, static_cast<uint32_t>(v.uint_at(i))); break;
                    case GgufType::INT32: put<int32_t>(out, static_cast<int32_t>(v.int_at(i))); break;
                    case GgufType::UINT64: put<uint64_t>(out, v.uint_at(i)); break;
                    case GgufType::INT64: put<int64_t>(out, v.int_at(i)); break;
                    case GgufType::FLOAT32: put<float>(out, static_cast<float>(v.float_at(i))); break;
                    case GgufType::FLOAT64: put<double>(out, v.float_at(i)); break;
                    case GgufType::BOOL: put<uint8_t>(out, v.uint_at(i) ? 1 : 0); break;
                }
            }
            return;
        }
    }
    fail("GGUF writer: value of unknown type id " + std::to_string(static_cast<uint32_t>(v.type())));
}

size_t padding(uint64_t n, size_t alignment) { return static_cast<size_t>((alignment - n % alignment) % alignment); }

// The reader's limits on arrays, checked here so that every file we write reads back.
void check_array_limits(const std::string& key, const GgufValue& v, uint32_t depth) {
    if (v.type() != GgufType::ARRAY) return;
    if (depth >= gguf::kMaxArrayNesting)
        fail("GGUF metadata " + in_quotes(key) + " nests arrays more than " + std::to_string(gguf::kMaxArrayNesting) +
             " deep");
    const size_t n = v.array_size();
    if (n > gguf::kMaxArrayLength)
        fail("GGUF metadata " + in_quotes(key) + " has " + std::to_string(n) + " array elements (at most " +
             std::to_string(gguf::kMaxArrayLength) + ")");
    if (v.element_type() == GgufType::ARRAY)
        for (const auto& item : v.as_array()) check_array_limits(key, item, depth + 1);
}

void check_metadata(const std::string& key, const GgufValue& v) {
    if (key.empty()) fail("GGUF metadata key is empty");
    if (key.size() > gguf::kMaxKeyLength)
        fail("GGUF metadata key " + in_quotes(key.substr(0, 64) + "...") + " is " + std::to_string(key.size()) +
             " bytes long (at most " + std::to_string(gguf::kMaxKeyLength) + ")");
    check_array_limits(key, v, 0);
    if (key == "general.alignment") {
        // Readers take this key as the data alignment; refuse values they would refuse.
        if (v.type() != GgufType::UINT32)
            fail("GGUF metadata 'general.alignment' must be a uint32, not " + std::string(gguf_type_name(v.type())));
        const uint64_t a = v.as_uint();
        if (a == 0 || !std::has_single_bit(a) || a > gguf::kMaxAlignment)
            fail("GGUF alignment " + std::to_string(a) + " is not a power of two from 1 to 1 MiB");
    }
}

}  // namespace

// ---- metadata ------------------------------------------------------------------------

void GgufWriter::add(std::string key, GgufValue value) {
    if (metadata_index_.count(key)) fail("GGUF writer: duplicate metadata key " + in_quotes(key));
    check_metadata(key, value);
    metadata_index_.emplace(key, metadata_.size());
    metadata_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::set(std::string key, GgufValue value) {
    auto it = metadata_index_.find(key);
    if (it == metadata_index_.end()) return add(std::move(key), std::move(value));
    check_metadata(key, value);
    metadata_[it->second].second = std::move(value);
}

bool GgufWriter::remove(std::string_view key) {
    auto it = metadata_index_.find(key);
    if (it == metadata_index_.end()) return false;
    metadata_.erase(metadata_.begin() + static_cast<std::ptrdiff_t>(it->second));
    metadata_index_.erase(it);
    for (size_t i = 0; i < metadata_.size(); ++i) metadata_index_[metadata_[i].first] = i;
    return true;
}

const GgufValue* GgufWriter::find(std::string_view key) const {
    auto it = metadata_index_.find(key);
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

void GgufWriter::copy_metadata(const GgufFile& src) {
    for (const auto& [key, value] : src.metadata()) add(key, value);
}

void GgufWriter::set_alignment(uint32_t bytes) {
    set("general.alignment", GgufValue::make_uint(GgufType::UINT32, bytes));
}

size_t GgufWriter::alignment() const {
    const GgufValue* a = find("general.alignment");
    return a ? static_cast<size_t>(a->as_uint()) : gguf::kDefaultAlignment;  // validated by check_metadata
}

// ---- tensors -------------------------------------------------------------------------

size_t GgufWriter::check_new_tensor(const std::string& name, DType type, const std::vector<uint64_t>& shape,
                                    std::optional<size_t> expected_bytes) const {
    const std::string where = "GGUF writer: tensor " + in_quotes(name);
    if (name.empty()) fail("GGUF writer: tensor name is empty");
    if (name.size() > kMaxTensorName)
        fail(where + ": name is " + std::to_string(name.size()) + " bytes long; GGUF runtimes allow at most " +
             std::to_string(kMaxTensorName));
    if (tensor_index_.count(name)) fail("GGUF writer: duplicate tensor name " + in_quotes(name));
    const auto info = dtype_info(static_cast<uint32_t>(type));
    if (!info) fail(where + " has unknown tensor type id " + std::to_string(static_cast<uint32_t>(type)));
    if (shape.empty() || shape.size() > gguf::kMaxDims)
        fail(where + " has " + std::to_string(shape.size()) + " dimensions (1 to " + std::to_string(gguf::kMaxDims) +
             " allowed)");
    uint64_t n_elements = 1;
    for (const uint64_t ne : shape) {
        if (ne == 0 || ne > gguf::kMaxDim) fail(where + " has an invalid dimension " + std::to_string(ne));
        // The same bound the reader applies, so the file reads back.
        if (n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ne)
            fail(where + ": element count overflows");
        n_elements *= ne;
    }
    if (shape[0] % info->block_elems != 0)
        fail(where + ": row length " + std::to_string(shape[0]) + " is not a multiple of the " +
             std::string(info->name) + " block size " + std::to_string(info->block_elems));
    const uint64_t blocks = n_elements / info->block_elems;
    if (blocks > std::numeric_limits<uint64_t>::max() / info->block_bytes) fail(where + ": byte size overflows");
    const uint64_t expected = blocks * info->block_bytes;
    if (expected > std::numeric_limits<size_t>::max()) fail(where + ": byte size overflows");
    if (expected_bytes && *expected_bytes != expected) {
        std::string s;
        for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
        fail(where + " has " + std::to_string(*expected_bytes) + " bytes of data, but " + std::string(info->name) +
             " [" + s + "] needs " + std::to_string(expected));
    }
    return static_cast<size_t>(expected);
}

void GgufWriter::push_tensor(Tensor t) {
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
}

void GgufWriter::add_tensor(std::string name, DType type, std::vector<uint64_t> shape, std::vector<uint8_t> data) {
    const size_t n = check_new_tensor(name, type, shape, data.size());
    push_tensor(Tensor{std::move(name), type, std::move(shape), std::move(data), {}, {}, n, 0, 0});
}

void GgufWriter::add_tensor_view(std::string name, DType type, std::vector<uint64_t> shape,
                                 std::span<const uint8_t> data) {
    const size_t n = check_new_tensor(name, type, shape, data.size());
    push_tensor(Tensor{std::move(name), type, std::move(shape), {}, data, {}, n, 0, 0});
}

void GgufWriter::add_tensor_view(const GgufTensor& t) {
    add_tensor_view(t.name, t.type, t.shape, std::span<const uint8_t>(t.data, t.n_bytes));
}

void GgufWriter::add_tensor_generated(std::string name, DType type, std::vector<uint64_t> shape,
                                      std::function<void(uint8_t* dst)> fill) {
    if (!fill) fail("GGUF writer: tensor " + in_quotes(name) + " has no source");
    // One chunk of every row.
    add_tensor_generated_rows(
        std::move(name), type, std::move(shape),
        [fill = std::move(fill)](uint64_t, uint64_t, uint8_t* dst) { fill(dst); },
        std::numeric_limits<size_t>::max());
}

void GgufWriter::add_tensor_generated_rows(std::string name, DType type, std::vector<uint64_t> shape, RowSource fill,
                                           size_t max_chunk_bytes) {
    const size_t n = check_new_tensor(name, type, shape, std::nullopt);
    if (!fill) fail("GGUF writer: tensor " + in_quotes(name) + " has no source");
    uint64_t rows = 1;
    for (size_t i = 1; i < shape.size(); ++i) rows *= shape[i];
    const size_t row_bytes = n / rows;
    const uint64_t chunk = std::clamp<uint64_t>(max_chunk_bytes / row_bytes, 1, rows);
    Tensor t{std::move(name), type, std::move(shape), {}, {}, std::move(fill), n, rows, chunk};
    push_tensor(std::move(t));
}

// ---- output --------------------------------------------------------------------------

std::vector<uint8_t> GgufWriter::header() const {
    const size_t align = alignment();
    std::vector<uint8_t> out;
    put<uint32_t>(out, gguf::kMagic);
    put<uint32_t>(out, gguf::kWriteVersion);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, metadata_.size());
    for (const auto& [key, value] : metadata_) {
        put_string(out, key);
        put<uint32_t>(out, static_cast<uint32_t>(value.type()));
        put_value(out, value);
    }
    uint64_t offset = 0;  // relative to the data section
    for (const auto& t : tensors_) {
        put_string(out, t.name);
        put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
        for (const uint64_t ne : t.shape) put<uint64_t>(out, ne);
        put<uint32_t>(out, static_cast<uint32_t>(t.type));
        put<uint64_t>(out, offset);
        offset += t.n_bytes + padding(t.n_bytes, align);
    }
    if (!tensors_.empty()) out.resize(out.size() + padding(out.size(), align), 0);
    return out;
}

uint64_t GgufWriter::file_size() const {
    const size_t align = alignment();
    uint64_t size = header().size();
    for (const auto& t : tensors_) size += t.n_bytes + padding(t.n_bytes, align);
    return size;
}

std::vector<uint8_t> GgufWriter::serialize() const {
    const size_t align = alignment();
    std::vector<uint8_t> out = header();
    for (const auto& t : tensors_) {
        if (t.generate) {
            const size_t at = out.size();
            out.resize(at + t.n_bytes);
            const size_t row_bytes = t.n_bytes / t.n_rows;
            for (uint64_t r = 0; r < t.n_rows; r += t.chunk_rows) {
                const uint64_t n = std::min(t.chunk_rows, t.n_rows - r);
                t.generate(r, n, out.data() + at + r * row_bytes);
            }
        } else {
            const auto bytes = t.bytes();
            out.insert(out.end(), bytes.begin(), bytes.end());
        }
        out.resize(out.size() + padding(t.n_bytes, align), 0);
    }
    return out;
}

void GgufWriter::write(const std::string& path) const {
    const size_t align = alignment();
    const std::vector<uint8_t> head = header();
    const std::vector<uint8_t> zeros(align, 0);
    AtomicFile out(path);
    out.write(head.data(), head.size());
    // Generated chunks alternate between two buffers: while one goes to disk on a
    // helper thread, the source fills the other. `pending` is declared after the
    // buffers, so on an exception it waits for the write before they are freed.
    std::vector<uint8_t> buffers[2];
    int next = 0;
    std::future<void> pending;
    auto drain = [&] {
        if (pending.valid()) pending.get();  // rethrows a write error
    };
    for (const auto& t : tensors_) {
        if (t.generate) {
            const size_t row_bytes = t.n_bytes / t.n_rows;
            for (uint64_t r = 0; r < t.n_rows; r += t.chunk_rows) {
                const uint64_t n = std::min(t.chunk_rows, t.n_rows - r);
                std::vector<uint8_t>& buf = buffers[next];
                next ^= 1;
                const size_t len = static_cast<size_t>(n) * row_bytes;
                if (buf.size() < len) buf.resize(len);
                t.generate(r, n, buf.data());
                drain();
                // The tensor's last chunk carries its padding.
                const size_t pad = r + n == t.n_rows ? padding(t.n_bytes, align) : 0;
                pending = std::async(std::launch::async, [&out, &zeros, p = buf.data(), len, pad] {
                    out.write(p, len);
                    out.write(zeros.data(), pad);
                });
            }
        } else {
            // Tensor bytes go straight from their source (often a memory map) to the file.
            drain();
            const auto bytes = t.bytes();
            out.write(bytes.data(), bytes.size());
            out.write(zeros.data(), padding(t.n_bytes, align));
        }
    }
    drain();
    out.commit();
}

}  // namespace pareto

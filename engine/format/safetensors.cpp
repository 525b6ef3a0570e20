#include "format/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/error.h"

namespace pareto {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors is little-endian, and so must the host be");

using Json = nlohmann::ordered_json;  // keeps the file's order: tensors are listed as written

struct DTypeName {
    const char* name;
    DType type;
};

// The float types Pareto computes with are read; the format's other types are
// refused by name.
constexpr DTypeName kSupported[] = {{"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}};
constexpr const char* kUnsupported[] = {"F64",  "I64",     "I32",     "I16",     "I8", "U8",      "U16",
                                        "U32",  "U64",     "BOOL",    "F8_E4M3", "F8_E5M2", "F8_E8M0",
                                        "F4",   "F6_E2M3", "F6_E3M2", "C64"};

// Names from a hostile file are echoed in messages: keep them short and printable.
std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 80)) out += (c >= 0x20 && c != 0x7f) ? static_cast<char>(c) : '?';
    if (s.size() > 80) out += "...";
    return out;
}

// Built piecewise: `"'" + std::string(s)` trips a false -Wrestrict in GCC 12.
std::string in_quotes(std::string_view s) {
    std::string out;
    out += '\'';
    out += printable(s);
    out += '\'';
    return out;
}

// Duplicate keys are legal JSON that parsers resolve differently (first or last
// wins): refuse them, at every level, so a name cannot mean two tensors.
Json parse_json_strict(std::string_view text, const std::string& where) {
    std::vector<std::set<std::string>> open;
    std::string duplicate;
    auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
        switch (event) {
            case Json::parse_event_t::object_start: open.emplace_back(); break;
            case Json::parse_event_t::object_end:
                if (!open.empty()) open.pop_back();
                break;
            case Json::parse_event_t::key:
                if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second && duplicate.empty())
                    duplicate = parsed.get<std::string>();
                break;
            default: break;
        }
        return true;
    };
    Json j;
    try {
        j = Json::parse(text.begin(), text.end(), callback);
    } catch (const Json::exception& e) {
        fail(where + " is not valid JSON: " + e.what());
    }
    if (!duplicate.empty()) fail(where + " names " + in_quotes(duplicate) + " twice");
    return j;
}

uint64_t json_uint(const Json& v, const std::string& what) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) fail(what + " is negative (" + v.dump() + ")");
    fail(what + " is not a non-negative integer (" + printable(v.dump()) + ")");
}

}  // namespace

std::string_view safetensors_dtype_name(DType type) {
    for (const DTypeName& d : kSupported)
        if (d.type == type) return d.name;
    fail("safetensors: type " + std::string(dtype_name(type)) + " cannot be written (F32, F16 and BF16 can)");
}

std::string SafetensorsTensor::shape_string() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// ---- one file ----------------------------------------------------------------------

SafetensorsFile SafetensorsFile::open(const std::string& path) {
    auto map = std::make_shared<MappedFile>(path);
    SafetensorsFile f;
    f.label_ = path;
    f.map_ = map;
    f.parse_all(std::span<const uint8_t>(map->data(), map->size()));
    return f;
}

SafetensorsFile SafetensorsFile::parse(std::span<const uint8_t> bytes, std::string label) {
    SafetensorsFile f;
    f.label_ = std::move(label);
    f.parse_all(bytes);
    return f;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

void SafetensorsFile::parse_all(std::span<const uint8_t> bytes) {
    const std::string& p = label_;
    if (bytes.size() < 8) fail(p + ": not a safetensors file (" + std::to_string(bytes.size()) + " bytes, too short for a header length)");
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > safetensors::kMaxHeaderBytes)
        fail(p + ": header length " + std::to_string(n) + " is absurd (at most " +
             std::to_string(safetensors::kMaxHeaderBytes) + "); not a safetensors file?");
    if (n > bytes.size() - 8)
        fail(p + ": header length " + std::to_string(n) + " runs past the end of the file (" +
             std::to_string(bytes.size()) + " bytes): truncated or not a safetensors file");
    header_size_ = static_cast<size_t>(n);
    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), header_size_);
    if (text.empty() || text.front() != '{') fail(p + ": the header is not a JSON object");
    const Json header = parse_json_strict(text, p + ": the header");
    if (!header.is_object()) fail(p + ": the header is not a JSON object");

    const std::span<const uint8_t> data = bytes.subspan(8 + header_size_);
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail(p + ": __metadata__ is not an object");
            for (const auto& [k, v] : entry.items()) {
                if (!v.is_string()) fail(p + ": __metadata__ value " + in_quotes(k) + " is not a string");
                metadata_[k] = v.get<std::string>();
            }
            continue;
        }
        const std::string t = p + ": tensor " + in_quotes(name);
        if (name.empty()) fail(p + ": a tensor has an empty name");
        if (!entry.is_object()) fail(t + " is not described by an object");
        for (const char* field : {"dtype", "shape", "data_offsets"})
            if (!entry.contains(field)) fail(t + " has no \"" + field + "\"");

        SafetensorsTensor st;
        st.name = name;
        const Json& dt = entry["dtype"];
        if (!dt.is_string()) fail(t + ": \"dtype\" is not a string");
        const std::string dtype = dt.get<std::string>();
        const DTypeName* known = nullptr;
        for (const DTypeName& d : kSupported)
            if (dtype == d.name) known = &d;
        if (!known) {
            for (const char* other : kUnsupported)
                if (dtype == other) fail(t + " has dtype " + dtype + ", which Pareto does not read (supported: F32, F16, BF16)");
            fail(t + " has unknown dtype " + in_quotes(dtype));
        }
        st.type = known->type;

        const Json& shape = entry["shape"];
        if (!shape.is_array()) fail(t + ": \"shape\" is not an array");
        if (shape.size() > safetensors::kMaxDims)
            fail(t + " has " + std::to_string(shape.size()) + " dimensions (at most " +
                 std::to_string(safetensors::kMaxDims) + ")");
        st.n_elements = 1;
        for (size_t i = 0; i < shape.size(); ++i) {
            const uint64_t d = json_uint(shape[i], t + ": dimension " + std::to_string(i));
            if (d > safetensors::kMaxDim)
                fail(t + ": dimension " + std::to_string(i) + " = " + std::to_string(d) + " is absurd");
            st.shape.push_back(d);
            // Each factor is below 2^40, so overflow is caught before it happens.
            if (d != 0 && st.n_elements > UINT64_MAX / d)
                fail(t + ": shape " + st.shape_string() + "... has more elements than fit in 64 bits");
            st.n_elements *= d;
        }
        const uint64_t elem = dtype_info(st.type).block_bytes;
        if (st.n_elements > UINT64_MAX / elem) fail(t + ": shape " + st.shape_string() + " is too large");
        const uint64_t expect_bytes = st.n_elements * elem;

        const Json& offs = entry["data_offsets"];
        if (!offs.is_array() || offs.size() != 2) fail(t + ": \"data_offsets\" is not a [begin, end] pair");
        st.begin = json_uint(offs[0], t + ": data_offsets begin");
        st.end = json_uint(offs[1], t + ": data_offsets end");
        if (st.end < st.begin)
            fail(t + ": data_offsets [" + std::to_string(st.begin) + ", " + std::to_string(st.end) + "] end before they begin");
        if (st.end > data.size())
            fail(t + ": data_offsets end " + std::to_string(st.end) + " is past the data (" +
                 std::to_string(data.size()) + " bytes after the header): truncated file?");
        if (st.end - st.begin != expect_bytes)
            fail(t + ": shape " + st.shape_string() + " of " + dtype + " needs " + std::to_string(expect_bytes) +
                 " bytes but data_offsets hold " + std::to_string(st.end - st.begin));
        st.data = data.data() + st.begin;
        tensors_.push_back(std::move(st));
    }

    // Ranges must tile the data exactly: no overlap, no hole, nothing after the last
    // (the reference reader's rule; a hole or overlap means a damaged header).
    std::stable_sort(tensors_.begin(), tensors_.end(),
                     [](const SafetensorsTensor& a, const SafetensorsTensor& b) { return a.begin < b.begin; });
    uint64_t at = 0;
    const SafetensorsTensor* prev = nullptr;
    for (const SafetensorsTensor& st : tensors_) {
        if (st.begin < at)
            fail(p + ": tensor " + in_quotes(st.name) + " [" + std::to_string(st.begin) + ", " + std::to_string(st.end) +
                 ") overlaps tensor " + in_quotes(prev ? prev->name : "") + " (which ends at " + std::to_string(at) + ")");
        if (st.begin > at)
            fail(p + ": bytes [" + std::to_string(at) + ", " + std::to_string(st.begin) + ") of the data belong to no tensor (before " +
                 in_quotes(st.name) + ")");
        at = st.end;
        prev = &st;
    }
    if (at != data.size())
        fail(p + ": the tensors end at byte " + std::to_string(at) + " of the data, but the file holds " +
             std::to_string(data.size()) + " data bytes");
    for (size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
}

// ---- a checkpoint ------------------------------------------------------------------

const SafetensorsTensor* SafetensorsCheckpoint::find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second;
}

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::string& path) {
    namespace fs = std::filesystem;
    SafetensorsCheckpoint c;
    c.path_ = path;
    std::error_code ec;
    fs::path index;
    fs::path single;
    if (fs::is_directory(path, ec)) {
        if (fs::exists(fs::path(path) / safetensors::kIndexFile, ec)) index = fs::path(path) / safetensors::kIndexFile;
        else if (fs::exists(fs::path(path) / safetensors::kSingleFile, ec)) single = fs::path(path) / safetensors::kSingleFile;
        else
            fail(path + ": no " + std::string(safetensors::kSingleFile) + " or " + safetensors::kIndexFile +
                 " in this folder");
    } else if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
        index = path;
    } else {
        single = path;
    }

    if (!single.empty()) {
        c.files_.push_back(SafetensorsFile::open(single.string()));
        c.metadata_ = c.files_.front().metadata();
        for (const SafetensorsTensor& t : c.files_.front().tensors()) {
            c.tensors_.push_back(&t);
            c.index_.emplace(t.name, &t);
        }
        return c;
    }

    const std::string where = index.string();
    MappedFile map(where);
    const Json j = parse_json_strict(std::string_view(reinterpret_cast<const char*>(map.data()), map.size()), where);
    if (!j.is_object()) fail(where + ": not a JSON object");
    if (const auto it = j.find("metadata"); it != j.end() && !it->is_null()) {
        if (!it->is_object()) fail(where + ": \"metadata\" is not an object");
        for (const auto& [k, v] : it->items()) c.metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    const auto wm = j.find("weight_map");
    if (wm == j.end()) fail(where + ": no \"weight_map\"");
    if (!wm->is_object() || wm->empty()) fail(where + ": \"weight_map\" is not a non-empty object");

    // Shards in the order the map first names them, each opened once.
    std::vector<std::string> shard_names;
    std::map<std::string, size_t> shard_of_name;
    std::vector<std::pair<std::string, size_t>> wanted;  // tensor -> shard
    for (const auto& [tensor, file] : wm->items()) {
        if (!file.is_string()) fail(where + ": the shard of tensor " + in_quotes(tensor) + " is not a file name");
        const std::string shard = file.get<std::string>();
        // A shard is a file beside the index, never a path that leaves the folder.
        if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos ||
            shard.find('\\') != std::string::npos || shard.find('\0') != std::string::npos)
            fail(where + ": shard " + in_quotes(shard) + " of tensor " + in_quotes(tensor) + " is not a plain file name");
        auto [it, added] = shard_of_name.emplace(shard, shard_names.size());
        if (added) shard_names.push_back(shard);
        wanted.emplace_back(tensor, it->second);
    }
    const fs::path dir = index.parent_path();
    c.files_.reserve(shard_names.size());
    for (const std::string& shard : shard_names) {
        const fs::path sp = dir / shard;
        if (!fs::exists(sp, ec)) fail(where + " names shard " + in_quotes(shard) + ", which does not exist in " + dir.string());
        c.files_.push_back(SafetensorsFile::open(sp.string()));
    }
    for (const auto& [tensor, shard] : wanted) {
        const SafetensorsTensor* t = c.files_[shard].find(tensor);
        if (!t)
            fail(where + " puts tensor " + in_quotes(tensor) + " in " + in_quotes(shard_names[shard]) +
                 ", which does not hold it");
    }
    // Tensors in shard order, each shard in data order; only those the map names.
    std::set<std::string_view> named;
    for (const auto& w : wanted) named.insert(w.first);
    for (const SafetensorsFile& f : c.files_)
        for (const SafetensorsTensor& t : f.tensors())
            if (named.count(t.name) && c.index_.emplace(t.name, &t).second) c.tensors_.push_back(&t);
    return c;
}

// ---- writer ------------------------------------------------------------------------

void SafetensorsWriter::set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }

void SafetensorsWriter::check_new(const std::string& name, DType type, const std::vector<uint64_t>& shape,
                                  size_t n_bytes) const {
    if (name.empty() || name == "__metadata__") fail("safetensors writer: bad tensor name " + in_quotes(name));
    if (index_.count(name)) fail("safetensors writer: duplicate tensor " + in_quotes(name));
    (void)safetensors_dtype_name(type);
    if (shape.size() > safetensors::kMaxDims) fail("safetensors writer: tensor " + in_quotes(name) + " has too many dimensions");
    uint64_t n = 1;
    for (uint64_t d : shape) {
        if (d > safetensors::kMaxDim) fail("safetensors writer: tensor " + in_quotes(name) + " has an absurd dimension");
        n *= d;
    }
    if (n * dtype_info(type).block_bytes != n_bytes)
        fail("safetensors writer: tensor " + in_quotes(name) + " needs " + std::to_string(n * dtype_info(type).block_bytes) +
             " bytes but was given " + std::to_string(n_bytes));
}

void SafetensorsWriter::add_tensor(std::string name, DType type, std::vector<uint64_t> shape,
                                   std::vector<uint8_t> bytes) {
    check_new(name, type, shape, bytes.size());
    index_.emplace(name, tensors_.size());
    tensors_.push_back(Tensor{std::move(name), type, std::move(shape), std::move(bytes), {}});
}

void SafetensorsWriter::add_tensor_view(std::string name, DType type, std::vector<uint64_t> shape,
                                        std::span<const uint8_t> bytes) {
    check_new(name, type, shape, bytes.size());
    index_.emplace(name, tensors_.size());
    tensors_.push_back(Tensor{std::move(name), type, std::move(shape), {}, bytes});
}

std::vector<size_t> SafetensorsWriter::layout_order() const {
    std::vector<size_t> order(tensors_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return dtype_info(tensors_[a].type).block_bytes > dtype_info(tensors_[b].type).block_bytes;
    });
    return order;
}

std::string SafetensorsWriter::header() const {
    Json h = Json::object();
    if (!metadata_.empty()) {
        Json m = Json::object();
        for (const auto& [k, v] : metadata_) m[k] = v;
        h["__metadata__"] = std::move(m);
    }
    uint64_t at = 0;
    for (size_t i : layout_order()) {
        const Tensor& t = tensors_[i];
        const uint64_t n = t.bytes().size();
        h[t.name] = Json{{"dtype", safetensors_dtype_name(t.type)}, {"shape", t.shape}, {"data_offsets", {at, at + n}}};
        at += n;
    }
    std::string text = h.dump();
    text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // data starts 8-aligned
    return text;
}

std::vector<uint8_t> SafetensorsWriter::serialize() const {
    const std::string head = header();
    size_t total = 8 + head.size();
    for (const Tensor& t : tensors_) total += t.bytes().size();
    std::vector<uint8_t> out(total);
    const uint64_t n = head.size();
    std::memcpy(out.data(), &n, 8);
    std::memcpy(out.data() + 8, head.data(), head.size());
    size_t at = 8 + head.size();
    for (size_t i : layout_order()) {
        const auto b = tensors_[i].bytes();
        if (!b.empty()) std::memcpy(out.data() + at, b.data(), b.size());
        at += b.size();
    }
    return out;
}

void SafetensorsWriter::write(const std::string& path) const {
    const std::string head = header();
    AtomicFile out(path);
    const uint64_t n = head.size();
    uint8_t len[8];
    std::memcpy(len, &n, 8);
    out.write(len, 8);
    out.write(head);
    for (size_t i : layout_order()) {
        const auto b = tensors_[i].bytes();
        out.write(b.data(), b.size());
    }
    out.commit();
}

}  // namespace pareto

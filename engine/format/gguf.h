#pragma once
// GGUF reader: versions 2 and 3, every metadata type (arrays included), the tensor
// table, alignment, and zero-copy views of tensor data in a read-only memory map.
// Hostile files are refused with a pareto::Error that names the problem and offset.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tensor/dtype.h"
#include "util/mapped_file.h"

namespace pareto {

// Format constants and the limits the reader enforces. The writer checks the same
// limits, so anything it accepts can be read back.
namespace gguf {
inline constexpr uint32_t kMagic = 0x46554747;                // the bytes "GGUF" as a little-endian uint32
inline constexpr uint32_t kWriteVersion = 3;                  // the writer's; the reader takes 2 and 3
inline constexpr size_t kDefaultAlignment = 32;               // when general.alignment is absent
inline constexpr size_t kMaxAlignment = size_t{1} << 20;      // general.alignment: a power of two up to this
inline constexpr uint32_t kMaxDims = 4;
inline constexpr uint64_t kMaxDim = uint64_t{1} << 40;        // one dimension; no real model is near it
inline constexpr uint64_t kMaxKeyLength = uint64_t{1} << 16;  // metadata keys and tensor names
inline constexpr uint32_t kMaxArrayNesting = 4;               // arrays of arrays of ...
// Elements in one metadata array. The largest real ones (vocabularies, merges) hold a
// few hundred thousand; the cap keeps a corrupt length from exhausting memory.
inline constexpr uint64_t kMaxArrayLength = uint64_t{1} << 24;
// Array elements in the whole file: a real model holds about a million (tokens,
// scores, types, merges); with ~64 bytes per parsed element this bounds the memory a
// hostile file can make the reader allocate to about half a GiB.
inline constexpr uint64_t kMaxMetadataElements = uint64_t{1} << 23;
}  // namespace gguf

enum class GgufType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
    BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view gguf_type_name(GgufType t);

// One metadata value. Integers are widened to 64 bits, floats to double; the
// original type is kept so a writer can reproduce the file.
//
// The factories check that the value fits the type (a uint8 of 300, an array whose
// elements are not all of its element type, a float32 beyond float's range throw
// pareto::Error), so every GgufValue can be written exactly as it reads back.
// make_uint and make_int take any integer type; make_float rounds float32 values
// to float, so the value in memory is the value in the file.
class GgufValue {
public:
    using Array = std::vector<GgufValue>;

    GgufValue() = default;  // uint8 0
    static GgufValue make_uint(GgufType t, uint64_t v);
    static GgufValue make_int(GgufType t, int64_t v);
    static GgufValue make_float(GgufType t, double v);
    static GgufValue make_bool(bool v);
    static GgufValue make_string(std::string v);
    static GgufValue make_array(GgufType element_type, Array values);

    GgufType type() const { return type_; }
    GgufType element_type() const { return element_type_; }  // arrays only
    bool is_integer() const;
    bool is_float() const { return type_ == GgufType::FLOAT32 || type_ == GgufType::FLOAT64; }

    // Typed reads; throw pareto::Error naming `what` on a type mismatch or a value
    // that does not fit.
    int64_t as_int(std::string_view what = "value") const;
    uint64_t as_uint(std::string_view what = "value") const;
    double as_float(std::string_view what = "value") const;  // accepts integers too
    bool as_bool(std::string_view what = "value") const;
    const std::string& as_string(std::string_view what = "value") const;

    // Arrays. A parsed array is stored compactly (strings as views into the file's
    // memory map, which it keeps alive; numbers as 8-byte words), so a 150k-token
    // vocabulary costs a few MB, not one GgufValue per token. Read it through the
    // typed element accessors; as_array() builds the GgufValue form on first call
    // (for writers and tests, not for hot paths).
    size_t array_size(std::string_view what = "value") const;
    std::string_view string_at(size_t i) const;  // STRING arrays
    int64_t int_at(size_t i) const;              // integer and bool arrays (throws if out of int64 range)
    uint64_t uint_at(size_t i) const;            // unsigned arrays (throws for negative values)
    double float_at(size_t i) const;             // any numeric array
    const Array& as_array(std::string_view what = "value") const;

    std::string to_display(size_t max_items = 8) const;  // for `pareto-cli info`

    struct ArrayData;  // gguf.cpp
    // Used by the reader: an array over already-validated storage.
    static GgufValue from_array_data(GgufType element_type, std::shared_ptr<const ArrayData> data);

private:
    const ArrayData& array_data(std::string_view what) const;
    std::string element_display(size_t i, size_t max_items) const;

    GgufType type_ = GgufType::UINT8;
    GgufType element_type_ = GgufType::UINT8;
    std::variant<uint64_t, int64_t, double, bool, std::string> scalar_;
    std::shared_ptr<const ArrayData> array_;
};

struct GgufTensor {
    std::string name;
    DType type = DType::F32;
    std::vector<uint64_t> shape;  // GGUF order: shape[0] is the contiguous (row) length
    uint64_t n_elements = 0;
    uint64_t offset = 0;          // relative to the start of the data section
    size_t n_bytes = 0;
    const uint8_t* data = nullptr;  // view into the mapping

    uint64_t dim(size_t i) const { return i < shape.size() ? shape[i] : 1; }
    std::string shape_string() const;  // "[64, 512]"
};

class GgufFile {
public:
    // Maps (or, with FileLoad::Copy, reads into huge pages) and parses a file.
    // Throws pareto::Error for anything malformed.
    static GgufFile open(const std::string& path, FileLoad how = FileLoad::Map);
    // Parses bytes owned by the caller (they must outlive the result). `label`
    // names the source in error messages.
    static GgufFile parse(std::span<const uint8_t> bytes, std::string label = "<memory>");
    // The result would point into a vector that dies at the end of the statement
    // (e.g. parse(writer.serialize())): keep the bytes in a variable instead.
    static GgufFile parse(std::vector<uint8_t>&& bytes, std::string label = "<memory>") = delete;

    GgufFile(GgufFile&&) noexcept = default;
    GgufFile& operator=(GgufFile&&) noexcept = default;

    const std::string& path() const { return label_; }
    // How the bytes are held (Map for parsed caller-owned bytes).
    FileLoad load() const { return map_ ? map_->how() : FileLoad::Map; }
    // FileLoad::Copy only: the tensor's bytes go back to being file-mapped (see
    // MappedFile::map_back); a no-op otherwise.
    void map_back(const GgufTensor& t);
    uint32_t version() const { return version_; }
    size_t alignment() const { return alignment_; }
    size_t data_offset() const { return data_offset_; }
    size_t file_size() const { return bytes_.size(); }

    // Metadata in file order.
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
    const GgufValue* find(std::string_view key) const;
    const GgufValue& require(std::string_view key) const;  // throws naming the key
    std::string get_string(std::string_view key, std::string fallback) const;
    int64_t get_int(std::string_view key, int64_t fallback) const;
    double get_float(std::string_view key, double fallback) const;
    bool get_bool(std::string_view key, bool fallback) const;

    const std::vector<GgufTensor>& tensors() const { return tensors_; }
    const GgufTensor* find_tensor(std::string_view name) const;
    const GgufTensor& require_tensor(std::string_view name) const;  // throws naming the tensor

private:
    GgufFile() = default;
    void parse_all();

    std::string label_;
    std::shared_ptr<MappedFile> map_;  // null when parsing caller-owned bytes; shared with
                                       // metadata arrays that view into it
    std::span<const uint8_t> bytes_;
    uint32_t version_ = 0;
    size_t alignment_ = gguf::kDefaultAlignment;
    size_t data_offset_ = 0;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::map<std::string, size_t, std::less<>> metadata_index_;
    std::vector<GgufTensor> tensors_;
    std::map<std::string, size_t, std::less<>> tensor_index_;
};

// The name of a general.file_type value as llama.cpp's quantize tool labels files
// ("Q4_K_M"); "type N" for values it does not name.
std::string gguf_file_type_name(int64_t file_type);

}  // namespace pareto

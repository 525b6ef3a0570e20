#pragma once
// safetensors: HuggingFace's weight format. A file is an 8-byte little-endian header
// length N, N bytes of JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]},
// ..., "__metadata__": {string: string}}), then the tensors' bytes. Large checkpoints
// are split into shards listed by model.safetensors.index.json ({"weight_map":
// {tensor: shard file}}).
//
// The reader memory-maps each file and gives zero-copy views of F32, F16 and BF16
// tensors. It checks what the reference implementation checks, so a hostile header is
// a pareto::Error naming the file and the problem: a header length past the file, a
// header that is not a JSON object, missing or mistyped fields, unknown dtypes, shapes
// whose byte count overflows or disagrees with the offsets, ranges past the data,
// overlapping or with holes between them, duplicate names; and for an index, shard
// names that leave the folder, missing shards, tensors absent from their shard.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/dtype.h"
#include "util/mapped_file.h"

namespace pareto {

namespace safetensors {
// The reference implementation refuses headers over 100 MB; so do we (a header is a
// few hundred bytes per tensor).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;
inline constexpr size_t kMaxDims = 8;
inline constexpr uint64_t kMaxDim = uint64_t{1} << 40;  // as in the GGUF reader
inline constexpr const char* kIndexFile = "model.safetensors.index.json";
inline constexpr const char* kSingleFile = "model.safetensors";
}  // namespace safetensors

// The safetensors dtype string of a type ("F32", "F16", "BF16"); throws for others.
std::string_view safetensors_dtype_name(DType type);

struct SafetensorsTensor {
    std::string name;
    DType type = DType::F32;
    std::vector<uint64_t> shape;  // as stored (row-major): shape.back() is the contiguous length
    uint64_t n_elements = 0;
    uint64_t begin = 0, end = 0;  // byte range within the data section (after the header)
    const uint8_t* data = nullptr;  // view into the mapping
    size_t n_bytes() const { return static_cast<size_t>(end - begin); }
    std::string shape_string() const;  // "[512, 64]"
};

class SafetensorsFile {
public:
    // Maps and parses a file. Throws pareto::Error for anything malformed.
    static SafetensorsFile open(const std::string& path);
    // Parses bytes owned by the caller (they must outlive the result); `label` names
    // them in error messages.
    static SafetensorsFile parse(std::span<const uint8_t> bytes, std::string label = "<memory>");

    const std::string& path() const { return label_; }
    size_t header_size() const { return header_size_; }  // the JSON's length N
    // The "__metadata__" strings (empty when absent).
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    // In data order.
    const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
    const SafetensorsTensor* find(std::string_view name) const;

private:
    SafetensorsFile() = default;
    void parse_all(std::span<const uint8_t> bytes);

    std::string label_;
    std::shared_ptr<MappedFile> map_;  // null when parsing caller-owned bytes
    size_t header_size_ = 0;
    std::map<std::string, std::string> metadata_;
    std::vector<SafetensorsTensor> tensors_;
    std::map<std::string, size_t, std::less<>> index_;
};

// A whole checkpoint: one file, or the shards an index names.
class SafetensorsCheckpoint {
public:
    // `path` is a folder (holding model.safetensors.index.json or model.safetensors),
    // an index file, or a single .safetensors file.
    static SafetensorsCheckpoint open(const std::string& path);

    const std::string& path() const { return path_; }
    const std::vector<SafetensorsFile>& files() const { return files_; }
    // Every tensor, shard by shard in data order.
    const std::vector<const SafetensorsTensor*>& tensors() const { return tensors_; }
    const SafetensorsTensor* find(std::string_view name) const;
    // The index's "metadata" (values as JSON text unless strings) or, for a single
    // file, its "__metadata__".
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    std::string path_;
    std::vector<SafetensorsFile> files_;
    std::vector<const SafetensorsTensor*> tensors_;
    std::map<std::string, const SafetensorsTensor*, std::less<>> index_;
    std::map<std::string, std::string> metadata_;
};

// Writes a safetensors file: tensors laid out back to back with no holes (as the
// reference reader requires), the widest element types first so every tensor is
// aligned to its element size; the header is padded with spaces to a multiple of 8.
class SafetensorsWriter {
public:
    void set_metadata(std::string key, std::string value);
    // shape as stored (row-major). The bytes are copied.
    void add_tensor(std::string name, DType type, std::vector<uint64_t> shape, std::vector<uint8_t> bytes);
    // The bytes must stay valid until the last write()/serialize().
    void add_tensor_view(std::string name, DType type, std::vector<uint64_t> shape, std::span<const uint8_t> bytes);
    size_t tensor_count() const { return tensors_.size(); }

    std::vector<uint8_t> serialize() const;
    void write(const std::string& path) const;  // atomically (util/atomic_file.h)

private:
    struct Tensor {
        std::string name;
        DType type;
        std::vector<uint64_t> shape;
        std::vector<uint8_t> owned;
        std::span<const uint8_t> view;
        std::span<const uint8_t> bytes() const { return owned.empty() ? view : std::span<const uint8_t>(owned); }
    };
    void check_new(const std::string& name, DType type, const std::vector<uint64_t>& shape, size_t n_bytes) const;
    std::vector<size_t> layout_order() const;
    std::string header() const;

    std::map<std::string, std::string> metadata_;
    std::vector<Tensor> tensors_;
    std::map<std::string, size_t, std::less<>> index_;
};

}  // namespace pareto

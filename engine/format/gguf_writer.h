#pragma once
// GGUF v3 writer: metadata of every type, tensors, alignment, and an atomic write to
// disk. The exporter and the model synthesiser build files with it; the reader
// (format/gguf.h) loads anything it produces.
//
//     GgufWriter w;
//     w.copy_metadata(source);                   // or w.set(key, GgufValue::make_...)
//     w.set("general.file_type", GgufValue::make_uint(GgufType::UINT32, 7));
//     w.add_tensor("output.weight", DType::Q8_0, {64, 512}, std::move(bytes));
//     w.add_tensor_generated("blk.0.ffn_up.weight", DType::F16, {896, 4864}, fill);  // made while writing
//     w.write("out.gguf");
//
// Every input is checked when it is added (pareto::Error names the key or tensor), so
// write() and serialize() only fail on I/O. Layout: header, metadata and the tensor
// table, zero padding to the alignment, then each tensor's bytes in the order they
// were added, each followed by zero padding to the alignment. A file with no tensors
// ends right after its header. This is the layout llama.cpp's tools produce, so
// re-writing one of their files reproduces it byte for byte.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "format/gguf.h"
#include "tensor/dtype.h"

namespace pareto {

class GgufWriter {
public:
    // ggml-based runtimes keep tensor names in a 64-byte buffer that ends with a NUL,
    // so longer names would make files other runtimes refuse.
    static constexpr size_t kMaxTensorName = 63;

    // ---- metadata (written in the order the keys were first added) ----
    // add() refuses a key that is already present; set() adds a new key or replaces
    // the value of an existing one in place, keeping its position.
    void add(std::string key, GgufValue value);
    void set(std::string key, GgufValue value);
    bool remove(std::string_view key);  // false when absent
    const GgufValue* find(std::string_view key) const;
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }

    // Appends every metadata entry of `src` in its order, with its types (via add(), so
    // a key the writer already holds is an error: copy first, then set()).
    void copy_metadata(const GgufFile& src);

    // Tensor data alignment, stored as the uint32 general.alignment (a power of two up
    // to 1 MiB). Without it readers use 32.
    void set_alignment(uint32_t bytes);
    size_t alignment() const;

    // ---- tensors (written in the order they are added) ----
    // shape is in GGUF order: shape[0] is the row (contiguous) length, a multiple of
    // the type's block size; `data` must hold exactly the bytes shape x type needs.
    // add_tensor keeps its own copy of the bytes.
    void add_tensor(std::string name, DType type, std::vector<uint64_t> shape, std::vector<uint8_t> data);
    // add_tensor_view only remembers where the bytes are: they must stay valid and
    // unchanged until the last write()/serialize() call.
    void add_tensor_view(std::string name, DType type, std::vector<uint64_t> shape,
                         std::span<const uint8_t> data);
    // A tensor of an open GgufFile, by view: the file must outlive the writes.
    void add_tensor_view(const GgufTensor& tensor);

    // Generated tensors: the bytes are produced while the file is written, so a model
    // larger than memory can be written with about one tensor (or one chunk) held at a
    // time. The source is called on each write()/serialize() and must give the same
    // bytes every time; an exception it throws aborts the write (the file is untouched).
    //
    // add_tensor_generated: fill(dst) writes the whole tensor (its byte size) at once.
    void add_tensor_generated(std::string name, DType type, std::vector<uint64_t> shape,
                              std::function<void(uint8_t* dst)> fill);
    // add_tensor_generated_rows: the tensor is produced in chunks of whole rows (a row
    // is shape[0] values; the tensor has shape[1] x shape[2] x ... rows):
    // fill(row_begin, n_rows, dst) writes rows [row_begin, row_begin + n_rows), in
    // order. Chunks hold at most max_chunk_bytes (at least one row). write() produces
    // the next chunk while the previous one goes to disk, so it holds two chunks.
    using RowSource = std::function<void(uint64_t row_begin, uint64_t n_rows, uint8_t* dst)>;
    static constexpr size_t kDefaultChunkBytes = size_t{64} << 20;
    void add_tensor_generated_rows(std::string name, DType type, std::vector<uint64_t> shape, RowSource fill,
                                   size_t max_chunk_bytes = kDefaultChunkBytes);
    size_t tensor_count() const { return tensors_.size(); }

    // ---- output ----
    uint64_t file_size() const;
    std::vector<uint8_t> serialize() const;  // the whole file in memory (tests, small files)
    // Writes `path` atomically: a temporary file in the same directory is written,
    // fsynced and renamed over `path`, so readers see the old file or the complete new
    // one, and a failed write leaves an existing file untouched. Errors name the path
    // and the system's reason. The new file gets the default permissions (0666 less
    // the umask); a symlink at `path` is replaced, not followed. Rewriting a file that
    // is open as a GgufFile (with views into it) is safe: its mapping keeps the old
    // contents until it is closed.
    void write(const std::string& path) const;

private:
    struct Tensor {
        std::string name;
        DType type;
        std::vector<uint64_t> shape;
        std::vector<uint8_t> owned;     // add_tensor's copy (never empty: tensors have >= 1 byte)
        std::span<const uint8_t> view;  // add_tensor_view's borrowed bytes
        RowSource generate;             // generated tensors: no bytes held
        size_t n_bytes = 0;
        uint64_t n_rows = 0;            // generated tensors: rows, and rows per chunk
        uint64_t chunk_rows = 0;
        std::span<const uint8_t> bytes() const { return owned.empty() ? view : std::span<const uint8_t>(owned); }
    };

    // Checks a new tensor; returns its byte size. With expected_bytes set, the size
    // must equal it.
    size_t check_new_tensor(const std::string& name, DType type, const std::vector<uint64_t>& shape,
                            std::optional<size_t> expected_bytes) const;
    void push_tensor(Tensor t);
    std::vector<uint8_t> header() const;  // everything before the first tensor's bytes

    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::map<std::string, size_t, std::less<>> metadata_index_;
    std::vector<Tensor> tensors_;
    std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace pareto

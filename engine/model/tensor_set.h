#pragma once
// The weight tensors of a model under their GGUF names and in GGUF shape order,
// whatever they were read from: a GGUF file, a HuggingFace checkpoint, or buffers
// a compressor wrote in memory. A Model binds its weights from one of these.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/gguf.h"

namespace pareto {

class TensorSet {
public:
    TensorSet() = default;
    explicit TensorSet(std::string source) : source_(std::move(source)) {}

    // The views of a GGUF file's tensors; `owner` keeps their mapping alive.
    static TensorSet from_gguf(const GgufFile& file, std::shared_ptr<const void> owner);

    // Adds (or replaces, by name) a tensor whose data lives as long as `owner`.
    void put(GgufTensor tensor, std::shared_ptr<const void> owner = nullptr);
    // Adds a tensor holding a copy-free buffer the set takes over.
    void put_owned(GgufTensor tensor, std::vector<uint8_t> bytes);
    bool erase(std::string_view name);

    const std::string& source() const { return source_; }  // names the origin in errors
    const std::vector<GgufTensor>& tensors() const { return tensors_; }
    const GgufTensor* find(std::string_view name) const;
    const GgufTensor& require(std::string_view name) const;  // throws naming the tensor
    size_t total_bytes() const;
    uint64_t total_elements() const;

private:
    std::string source_;
    std::vector<GgufTensor> tensors_;
    std::vector<std::shared_ptr<const void>> owners_;  // mappings and buffers the views point into
};

}  // namespace pareto

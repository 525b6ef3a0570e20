#include "model/tensor_set.h"

#include <algorithm>

#include "util/error.h"

namespace pareto {

TensorSet TensorSet::from_gguf(const GgufFile& file, std::shared_ptr<const void> owner) {
    TensorSet s(file.path());
    s.tensors_ = file.tensors();
    if (owner) s.owners_.push_back(std::move(owner));
    return s;
}

void TensorSet::put(GgufTensor tensor, std::shared_ptr<const void> owner) {
    if (owner) owners_.push_back(std::move(owner));
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const GgufTensor& t) { return t.name == tensor.name; });
    if (it != tensors_.end()) *it = std::move(tensor);
    else tensors_.push_back(std::move(tensor));
}

void TensorSet::put_owned(GgufTensor tensor, std::vector<uint8_t> bytes) {
    if (tensor.n_bytes != bytes.size())
        fail(source_ + ": tensor '" + tensor.name + "' declares " + std::to_string(tensor.n_bytes) +
             " bytes but its buffer holds " + std::to_string(bytes.size()));
    auto buf = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    tensor.data = buf->data();
    put(std::move(tensor), std::move(buf));
}

bool TensorSet::erase(std::string_view name) {
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const GgufTensor& t) { return t.name == name; });
    if (it == tensors_.end()) return false;
    tensors_.erase(it);
    return true;
}

const GgufTensor* TensorSet::find(std::string_view name) const {
    for (const GgufTensor& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

const GgufTensor& TensorSet::require(std::string_view name) const {
    if (const GgufTensor* t = find(name)) return *t;
    fail(source_ + ": required tensor '" + std::string(name) + "' is missing");
}

size_t TensorSet::total_bytes() const {
    size_t n = 0;
    for (const GgufTensor& t : tensors_) n += t.n_bytes;
    return n;
}

uint64_t TensorSet::total_elements() const {
    uint64_t n = 0;
    for (const GgufTensor& t : tensors_) n += t.n_elements;
    return n;
}

}  // namespace pareto

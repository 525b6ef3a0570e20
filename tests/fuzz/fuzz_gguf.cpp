// Fuzz target: the GGUF reader, from memory, then what a model load reads from it:
// every metadata value, the tensor table and each tensor's bytes, the model config,
// the tensor set and the tokenizer (which encodes and decodes a short string).
#include <span>

#include "format/gguf.h"
#include "fuzz_support.h"
#include "model/config.h"
#include "model/tensor_set.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    try {
        const GgufFile file = GgufFile::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
        size_t sink = 0;
        for (const auto& [key, value] : file.metadata()) {
            sink += value.to_display(4).size() + key.size();
            if (value.type() == GgufType::ARRAY && value.array_size() > 0) {
                const size_t last = value.array_size() - 1;
                try {
                    if (value.element_type() == GgufType::STRING) sink += value.string_at(last).size();
                    else if (value.element_type() != GgufType::ARRAY) sink += value.float_at(last) > 0;  // a compare: a cast of NaN would be UB
                } catch (const Error&) {
                }
            }
        }
        for (const GgufTensor& t : file.tensors()) {
            sink += t.shape_string().size();
            sink += fuzz::touch(t.data, t.n_bytes);
        }
        try {
            const TensorSet set = TensorSet::from_gguf(file, nullptr);
            sink += set.total_bytes();
        } catch (const Error&) {
        }
        try {
            const ModelConfig config = read_config(file);
            sink += config.q_dim() + config.kv_dim();
        } catch (const Error&) {
        }
        const auto tok = Tokenizer::from_gguf(file);
        const auto ids = tok->encode("Hello world, <s> héllo\n\t 123", {.add_bos = true, .parse_special = true});
        sink += tok->decode(ids, true).size();
        fuzz::keep(sink);
    } catch (const Error&) {
    }
    return 0;
}

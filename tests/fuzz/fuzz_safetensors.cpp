// Fuzz target: a safetensors file from memory (the 8-byte length, the JSON header,
// the tensor table), then every tensor's bytes.
#include <span>

#include "format/safetensors.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    try {
        const SafetensorsFile file = SafetensorsFile::parse(std::span<const uint8_t>(data, size), "fuzz.safetensors");
        size_t sink = 0;
        for (const auto& [k, v] : file.metadata()) sink += k.size() + v.size();
        for (const SafetensorsTensor& t : file.tensors()) {
            sink += t.shape_string().size();
            sink += fuzz::touch(t.data, t.n_bytes());
            if (file.find(t.name) != &t) __builtin_trap();  // the index must agree with the table
        }
        fuzz::keep(sink);
    } catch (const Error&) {
    }
    return 0;
}

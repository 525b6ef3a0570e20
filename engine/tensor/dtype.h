#pragma once
// Tensor element types with GGUF's numeric ids and block layouts. A "block" is the
// unit a quantized type is stored in: block_elems values packed into block_bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pareto {

enum class DType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21,
    IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
    IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct DTypeInfo {
    DType type;
    std::string_view name;
    uint32_t block_elems;  // values per block (1 for plain types)
    uint32_t block_bytes;  // bytes per block
};

// nullopt for ids GGUF does not define (or that were retired, like Q4_2).
std::optional<DTypeInfo> dtype_info(uint32_t gguf_id);
const DTypeInfo& dtype_info(DType type);  // throws pareto::Error for a value not in the enum
std::string_view dtype_name(DType type);
std::optional<DType> dtype_from_name(std::string_view name);  // case-insensitive

// Whether the engine has matrix kernels for weights of this type (tensor/kernels.h).
bool dtype_is_computable(DType type);

// llama.cpp's general.file_type number (llama_ftype) for a model whose weights are
// mostly `type`: 0 F32, 1 F16, 2 Q4_0, 7 Q8_0, ..., 14 Q4_K (its "Q4_K_S"), 18 Q6_K,
// 32 BF16. nullopt for types no llama_ftype names.
std::optional<uint32_t> dtype_file_type(DType type);

// Bytes taken by a row of n values; nullopt when n is not a whole number of blocks
// (or the size would not fit in size_t). Throws pareto::Error for an unknown type.
std::optional<size_t> dtype_row_bytes(DType type, uint64_t n);

}  // namespace pareto

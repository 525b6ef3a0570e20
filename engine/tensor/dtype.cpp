#include "tensor/dtype.h"

#include <limits>

#include "util/error.h"

namespace pareto {
namespace {

// Every type GGUF defines today, in id order. Ids 4, 5 (Q4_2, Q4_3), 31-33 and 36-38
// (the repacked Q4_0_x_y and IQ4_NL_x_y layouts) were retired and are refused.
constexpr DTypeInfo kTypes[] = {
    {DType::F32, "F32", 1, 4},          {DType::F16, "F16", 1, 2},
    {DType::Q4_0, "Q4_0", 32, 18},      {DType::Q4_1, "Q4_1", 32, 20},
    {DType::Q5_0, "Q5_0", 32, 22},      {DType::Q5_1, "Q5_1", 32, 24},
    {DType::Q8_0, "Q8_0", 32, 34},      {DType::Q8_1, "Q8_1", 32, 36},
    {DType::Q2_K, "Q2_K", 256, 84},     {DType::Q3_K, "Q3_K", 256, 110},
    {DType::Q4_K, "Q4_K", 256, 144},    {DType::Q5_K, "Q5_K", 256, 176},
    {DType::Q6_K, "Q6_K", 256, 210},    {DType::Q8_K, "Q8_K", 256, 292},
    {DType::IQ2_XXS, "IQ2_XXS", 256, 66}, {DType::IQ2_XS, "IQ2_XS", 256, 74},
    {DType::IQ3_XXS, "IQ3_XXS", 256, 98}, {DType::IQ1_S, "IQ1_S", 256, 50},
    {DType::IQ4_NL, "IQ4_NL", 32, 18},  {DType::IQ3_S, "IQ3_S", 256, 110},
    {DType::IQ2_S, "IQ2_S", 256, 82},   {DType::IQ4_XS, "IQ4_XS", 256, 136},
    {DType::I8, "I8", 1, 1},            {DType::I16, "I16", 1, 2},
    {DType::I32, "I32", 1, 4},          {DType::I64, "I64", 1, 8},
    {DType::F64, "F64", 1, 8},          {DType::IQ1_M, "IQ1_M", 256, 56},
    {DType::BF16, "BF16", 1, 2},        {DType::TQ1_0, "TQ1_0", 256, 54},
    {DType::TQ2_0, "TQ2_0", 256, 66},   {DType::MXFP4, "MXFP4", 32, 17},
};

// ASCII only, on purpose: std::toupper follows the C locale, and type names are ASCII.
char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
    return true;
}

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t gguf_id) {
    for (const auto& t : kTypes)
        if (static_cast<uint32_t>(t.type) == gguf_id) return t;
    return std::nullopt;
}

const DTypeInfo& dtype_info(DType type) {
    for (const auto& t : kTypes)
        if (t.type == type) return t;
    fail("unknown tensor type id " + std::to_string(static_cast<uint32_t>(type)));
}

std::string_view dtype_name(DType type) { return dtype_info(type).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
    for (const auto& t : kTypes)
        if (iequals(t.name, name)) return t.type;
    return std::nullopt;
}

bool dtype_is_computable(DType type) {
    switch (type) {
        case DType::F32: case DType::F16: case DType::BF16:
        case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
        case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
            return true;
        default:
            return false;
    }
}

std::optional<uint32_t> dtype_file_type(DType type) {
    switch (type) {
        case DType::F32: return 0;
        case DType::F16: return 1;
        case DType::Q4_0: return 2;
        case DType::Q4_1: return 3;
        case DType::Q8_0: return 7;
        case DType::Q5_0: return 8;
        case DType::Q5_1: return 9;
        case DType::Q2_K: return 10;
        case DType::Q3_K: return 11;  // "Q3_K - Small": mostly Q3_K
        case DType::Q4_K: return 14;  // "Q4_K - Small"
        case DType::Q5_K: return 16;  // "Q5_K - Small"
        case DType::Q6_K: return 18;
        case DType::BF16: return 32;
        default: return std::nullopt;
    }
}

std::optional<size_t> dtype_row_bytes(DType type, uint64_t n) {
    const auto& info = dtype_info(type);
    if (n % info.block_elems != 0) return std::nullopt;
    const uint64_t blocks = n / info.block_elems;
    if (blocks > std::numeric_limits<size_t>::max() / info.block_bytes) return std::nullopt;  // would wrap
    return static_cast<size_t>(blocks) * info.block_bytes;
}

}  // namespace pareto

#pragma once
// Small UTF-8 helpers shared by the tokenizers and the text front ends. Malformed
// input never throws: decoding yields U+FFFD and consumes one byte, so callers can
// walk arbitrary bytes (a tokenizer must not lose or reorder any of them).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pareto {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Length of the sequence a lead byte announces (1..4), or 1 for a byte that
// cannot start a sequence (continuation bytes, 0xF8..0xFF).
size_t utf8_sequence_length(unsigned char lead);

// Decodes one code point at `pos` and advances `pos` past it. A malformed or
// truncated sequence, an overlong form or a surrogate gives U+FFFD and advances by
// one byte. `pos` must be < text.size().
char32_t utf8_decode(std::string_view text, size_t& pos);

// Appends the UTF-8 form of `cp`; values above U+10FFFF or surrogates append U+FFFD.
void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(char32_t cp);

// True when every byte belongs to a well-formed sequence.
bool utf8_is_valid(std::string_view text);
// Offset of the first byte that is not part of a well-formed sequence, or npos.
size_t utf8_first_invalid(std::string_view text);
// Throws pareto::Error "WHAT is not valid UTF-8: byte 0xNN at offset N" (prompts and
// text files: a tokenizer would turn stray bytes into noise, not text).
void require_utf8(std::string_view text, const std::string& what);

}  // namespace pareto

#include "util/utf8.h"

#include <cstdio>

#include "util/error.h"

namespace pareto {

size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;  // a continuation byte or an invalid lead stands alone
}

char32_t utf8_decode(std::string_view text, size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
        ++pos;
        return lead;
    }
    size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;  // smallest value the length may encode (rejects overlong forms)
    if ((lead & 0xE0) == 0xC0) { len = 2; cp = lead & 0x1F; min = 0x80; }
    else if ((lead & 0xF0) == 0xE0) { len = 3; cp = lead & 0x0F; min = 0x800; }
    else if ((lead & 0xF8) == 0xF0) { len = 4; cp = lead & 0x07; min = 0x10000; }
    else {
        ++pos;
        return kReplacementChar;
    }
    if (text.size() - pos < len) {
        ++pos;
        return kReplacementChar;
    }
    for (size_t i = 1; i < len; ++i) {
        const auto c = static_cast<unsigned char>(text[pos + i]);
        if ((c & 0xC0) != 0x80) {
            ++pos;
            return kReplacementChar;
        }
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return kReplacementChar;
    }
    pos += len;
    return cp;
}

void utf8_append(std::string& out, char32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string utf8_encode(char32_t cp) {
    std::string s;
    utf8_append(s, cp);
    return s;
}

bool utf8_is_valid(std::string_view text) { return utf8_first_invalid(text) == std::string_view::npos; }

size_t utf8_first_invalid(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t start = pos;
        if (utf8_decode(text, pos) == kReplacementChar) {
            // U+FFFD itself is valid; a malformed sequence advances by exactly one byte
            // where a real U+FFFD advances by three.
            if (pos - start != 3) return start;
        }
    }
    return std::string_view::npos;
}

void require_utf8(std::string_view text, const std::string& what) {
    const size_t bad = utf8_first_invalid(text);
    if (bad == std::string_view::npos) return;
    char buf[64];
    std::snprintf(buf, sizeof buf, ": byte 0x%02X at offset %zu", static_cast<unsigned char>(text[bad]), bad);
    fail(what + " is not valid UTF-8" + buf);
}

}  // namespace pareto

#include "compress/tensor_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/error.h"

namespace pareto {

struct TensorPattern::Impl {
    pcre2_code* code = nullptr;
    ~Impl() { pcre2_code_free(code); }
};

namespace {

// Whole-name matching: anchored at both ends.
pcre2_code* compile(const std::string& pattern, std::string* why) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_ANCHORED | PCRE2_ENDANCHORED, &err, &offset, nullptr);
    if (!code && why) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        *why = std::string(reinterpret_cast<const char*>(msg)) + " at offset " + std::to_string(offset);
    }
    return code;
}

}  // namespace

TensorPattern::TensorPattern(const std::string& pattern) : pattern_(pattern), impl_(std::make_unique<Impl>()) {
    std::string why;
    impl_->code = compile(pattern, &why);
    if (!impl_->code) fail("invalid tensor name pattern '" + pattern + "': " + why);
}

TensorPattern::~TensorPattern() = default;
TensorPattern::TensorPattern(TensorPattern&&) noexcept = default;
TensorPattern& TensorPattern::operator=(TensorPattern&&) noexcept = default;

bool TensorPattern::matches(std::string_view name) const {
    // Match data per call, so one pattern can be used from several threads.
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
        pcre2_match_data_create_from_pattern(impl_->code, nullptr), &pcre2_match_data_free);
    if (!md) fail("out of memory matching tensor name pattern '" + pattern_ + "'");
    const int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(name.data()), name.size(), 0, 0,
                               md.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) fail("tensor name pattern '" + pattern_ + "': matching '" + std::string(name) + "' failed (PCRE2 error " +
                     std::to_string(rc) + ")");
    return true;
}

bool TensorPattern::check(const std::string& pattern, std::string* why) {
    pcre2_code* code = compile(pattern, why);
    if (!code) return false;
    pcre2_code_free(code);
    return true;
}

}  // namespace pareto

#pragma once
// A PCRE2 pattern over GGUF tensor names that must match the whole name:
// "blk\.\d+\.ffn_.*" matches "blk.3.ffn_up.weight"; "output\.weight" does not match
// "blk.0.attn_output.weight" (a partial match would).
#include <memory>
#include <string>
#include <string_view>

namespace pareto {

class TensorPattern {
public:
    // Throws pareto::Error naming the pattern and PCRE2's reason when it is invalid.
    explicit TensorPattern(const std::string& pattern);
    ~TensorPattern();
    TensorPattern(TensorPattern&&) noexcept;
    TensorPattern& operator=(TensorPattern&&) noexcept;

    bool matches(std::string_view name) const;
    const std::string& pattern() const { return pattern_; }

    // Whether `pattern` compiles; `why` gets PCRE2's message and offset otherwise.
    static bool check(const std::string& pattern, std::string* why);

private:
    struct Impl;
    std::string pattern_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pareto

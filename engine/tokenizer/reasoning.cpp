#include "tokenizer/reasoning.h"

namespace pareto {
namespace {
constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

// The length of the longest suffix of `text` that is a proper prefix of `tag`.
size_t partial_tag(std::string_view text, std::string_view tag) {
    for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
        if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
    return 0;
}
}  // namespace

bool ReasoningSplitter::prompt_opens_reasoning(std::string_view prompt) {
    const size_t open = prompt.rfind(kOpen);
    if (open == std::string_view::npos) return false;
    const size_t close = prompt.rfind(kClose);
    return close == std::string_view::npos || close < open;
}

void ReasoningSplitter::emit(std::vector<Piece>& out, std::string_view text) {
    if (text.empty()) return;
    (in_reasoning_ ? reasoning_ : answer_).append(text);
    if (!out.empty() && out.back().reasoning == in_reasoning_) out.back().text.append(text);
    else out.push_back(Piece{in_reasoning_, std::string(text)});
}

std::vector<ReasoningSplitter::Piece> ReasoningSplitter::feed(std::string_view piece) {
    std::vector<Piece> out;
    std::string text = pending_;
    text.append(piece);
    pending_.clear();
    std::string_view rest(text);
    for (;;) {
        const std::string_view tag = in_reasoning_ ? kClose : kOpen;
        const size_t at = rest.find(tag);
        if (at == std::string_view::npos) break;
        emit(out, rest.substr(0, at));
        in_reasoning_ = !in_reasoning_;
        rest.remove_prefix(at + tag.size());
    }
    const size_t hold = partial_tag(rest, in_reasoning_ ? kClose : kOpen);
    emit(out, rest.substr(0, rest.size() - hold));
    pending_ = std::string(rest.substr(rest.size() - hold));
    return out;
}

std::vector<ReasoningSplitter::Piece> ReasoningSplitter::finish() {
    std::vector<Piece> out;
    emit(out, pending_);
    pending_.clear();
    return out;
}

}  // namespace pareto

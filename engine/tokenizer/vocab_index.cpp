#include "tokenizer/vocab_index.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace pareto::detail {

SpecialTokenMatcher::SpecialTokenMatcher(const std::vector<std::string>& tokens,
                                         const std::vector<TokenKind>& kinds) {
    nodes_.emplace_back();
    for (size_t i = 0; i < tokens.size(); ++i) {
        const TokenKind k = kinds[i];
        const bool always = k == TokenKind::UserDefined;
        if (!always && k != TokenKind::Control && k != TokenKind::Unknown) continue;
        const std::string& text = tokens[i];
        if (text.empty()) continue;  // an empty token would match everywhere
        int32_t node = 0;
        for (unsigned char c : text) {
            const uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
            auto it = edges_.find(key);
            if (it == edges_.end()) {
                it = edges_.emplace(key, static_cast<int32_t>(nodes_.size())).first;
                nodes_.emplace_back();
            }
            node = it->second;
        }
        if (nodes_[node].token >= 0) continue;  // duplicate text: the lower id wins
        nodes_[node].token = static_cast<TokenId>(i);
        nodes_[node].always = always;
        first_byte_[static_cast<unsigned char>(text[0])] = true;
        (always ? any_always_ : any_special_) = true;
    }
}

int32_t SpecialTokenMatcher::child(int32_t node, unsigned char byte) const {
    const auto it = edges_.find((static_cast<uint64_t>(node) << 8) | byte);
    return it == edges_.end() ? -1 : it->second;
}

std::vector<Fragment> SpecialTokenMatcher::split(std::string_view text, bool parse_special) const {
    std::vector<Fragment> out;
    if (text.empty()) return out;
    if (!any_always_ && !(parse_special && any_special_)) {
        out.push_back({text, -1});
        return out;
    }

    // Every occurrence of every eligible token, overlapping ones included.
    struct Occurrence {
        size_t pos, len;
        TokenId token;
    };
    std::vector<Occurrence> occ;
    for (size_t p = 0; p < text.size(); ++p) {
        if (!first_byte_[static_cast<unsigned char>(text[p])]) continue;
        int32_t node = 0;
        for (size_t q = p; q < text.size(); ++q) {
            node = child(node, static_cast<unsigned char>(text[q]));
            if (node < 0) break;
            const Node& n = nodes_[node];
            if (n.token >= 0 && (n.always || parse_special)) occ.push_back({p, q + 1 - p, n.token});
        }
    }
    if (occ.empty()) {
        out.push_back({text, -1});
        return out;
    }

    // Longest token first (ties: lower id); within a token, left to right.
    std::sort(occ.begin(), occ.end(), [](const Occurrence& a, const Occurrence& b) {
        if (a.len != b.len) return a.len > b.len;
        if (a.token != b.token) return a.token < b.token;
        return a.pos < b.pos;
    });
    // An occurrence is taken when it overlaps nothing taken before, which covers both
    // text claimed by longer tokens and the token's own earlier matches.
    std::map<size_t, Occurrence> claimed;  // start -> accepted occurrence
    for (const Occurrence& o : occ) {
        auto next = claimed.lower_bound(o.pos);
        if (next != claimed.end() && next->first < o.pos + o.len) continue;
        if (next != claimed.begin()) {
            const Occurrence& before = std::prev(next)->second;
            if (before.pos + before.len > o.pos) continue;
        }
        claimed.emplace(o.pos, o);
    }

    size_t at = 0;
    for (const auto& [pos, o] : claimed) {
        if (pos > at) out.push_back({text.substr(at, pos - at), -1});
        out.push_back({text.substr(pos, o.len), o.token});
        at = pos + o.len;
    }
    if (at < text.size()) out.push_back({text.substr(at), -1});
    return out;
}

}  // namespace pareto::detail

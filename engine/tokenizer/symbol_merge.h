#pragma once
// Greedy pairwise merging shared by both tokenizer algorithms. SentencePiece-BPE
// merges the adjacent pair whose joined text has the highest score; byte-level BPE
// the pair with the lowest merge rank. Both are "repeatedly merge the best adjacent
// pair, leftmost first on ties", done here with a doubly linked list of symbols and
// a priority queue of candidate pairs: O(n log n) instead of rescanning the text
// after every merge, which matters for long inputs (a whole book is one fragment).
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pareto::detail {

struct MergeSymbol {
    uint32_t start = 0;  // byte range in the text being merged
    uint32_t len = 0;    // 0 once merged into its left neighbour
    int32_t prev = -1;
    int32_t next = -1;
    TokenId id = -1;     // token for this text, -1 when the vocabulary has none
};

struct MergeCandidate {
    double priority = 0;  // higher merges first
    TokenId result = -1;  // token of the joined symbol
};

// Builds a symbol list with one symbol per [offsets[i], offsets[i+1]) range.
inline std::vector<MergeSymbol> make_symbols(const std::vector<uint32_t>& offsets,
                                             const std::vector<TokenId>& ids) {
    std::vector<MergeSymbol> syms(ids.size());
    for (size_t i = 0; i < syms.size(); ++i) {
        syms[i].start = offsets[i];
        syms[i].len = offsets[i + 1] - offsets[i];
        syms[i].prev = static_cast<int32_t>(i) - 1;
        syms[i].next = i + 1 < syms.size() ? static_cast<int32_t>(i + 1) : -1;
        syms[i].id = ids[i];
    }
    return syms;
}

// `pair(left, right)` returns the candidate for joining two adjacent symbols, or
// nothing when they cannot merge. Dead symbols keep len == 0; walk the survivors
// from index 0 through `next`.
template <typename PairFn>
void merge_symbols(std::vector<MergeSymbol>& syms, PairFn&& pair) {
    struct Entry {
        double priority;
        int32_t left, right;
        uint32_t size;  // joined length when queued; a mismatch later means stale
        TokenId result;
        bool operator<(const Entry& o) const {  // max-heap: best priority, then leftmost
            if (priority != o.priority) return priority < o.priority;
            return left > o.left;
        }
    };
    std::vector<Entry> storage;
    storage.reserve(syms.size());
    std::priority_queue<Entry> queue(std::less<Entry>(), std::move(storage));

    auto try_pair = [&](int32_t l, int32_t r) {
        if (l < 0 || r < 0) return;
        if (std::optional<MergeCandidate> c = pair(syms[l], syms[r]))
            queue.push({c->priority, l, r, syms[l].len + syms[r].len, c->result});
    };
    for (size_t i = 0; i + 1 < syms.size(); ++i) try_pair(static_cast<int32_t>(i), static_cast<int32_t>(i + 1));

    while (!queue.empty()) {
        const Entry e = queue.top();
        queue.pop();
        MergeSymbol& l = syms[e.left];
        MergeSymbol& r = syms[e.right];
        // Either side may have merged with something else since this pair was queued.
        if (l.len == 0 || r.len == 0 || l.next != e.right || l.len + r.len != e.size) continue;
        l.len += r.len;
        l.id = e.result;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = e.left;
        r.len = 0;
        try_pair(l.prev, e.left);
        try_pair(e.left, l.next);
    }
}

}  // namespace pareto::detail

#include "compress/structured.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "compress/quantize.h"
#include "tensor/quant.h"
#include "util/error.h"

namespace pareto {
namespace {

std::string blk(int64_t l, const char* suffix) { return "blk." + std::to_string(l) + "." + suffix; }

// The `keep` indices (ascending) of `n` ranked by `score`: the n_keep highest.
std::vector<int64_t> keep_highest(const std::vector<double>& score, int64_t n_keep) {
    std::vector<int64_t> idx(score.size());
    std::iota(idx.begin(), idx.end(), 0);
    // Highest score first; ties keep the lower index.
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
        return score[static_cast<size_t>(a)] > score[static_cast<size_t>(b)];
    });
    idx.resize(static_cast<size_t>(n_keep));
    std::sort(idx.begin(), idx.end());
    return idx;
}

// Expands kept heads to their rows (head h: rows h*hd .. h*hd + hd - 1).
std::vector<int64_t> head_rows(const std::vector<int64_t>& heads, int64_t hd) {
    std::vector<int64_t> rows;
    for (int64_t h : heads)
        for (int64_t i = 0; i < hd; ++i) rows.push_back(h * hd + i);
    return rows;
}

class Slicer {
public:
    Slicer(const TensorSet& src, TensorSet& dst, std::map<std::string, DType>& original_types)
        : src_(src), dst_(dst), original_types_(original_types) {}

    // Keeps whole rows (the row layout of any type survives).
    void rows(const std::string& name, const std::vector<int64_t>& keep) {
        const GgufTensor& t = src_.require(name);
        const size_t row_bytes = *dtype_row_bytes(t.type, t.shape[0]);
        std::vector<uint8_t> bytes(keep.size() * row_bytes);
        for (size_t i = 0; i < keep.size(); ++i)
            std::memcpy(bytes.data() + i * row_bytes, t.data + static_cast<size_t>(keep[i]) * row_bytes, row_bytes);
        GgufTensor out = t;
        out.shape = {t.shape[0], static_cast<uint64_t>(keep.size())};
        put(std::move(out), std::move(bytes));
    }

    // Keeps some columns of every row. A block type cannot be cut inside its blocks:
    // such a matrix becomes F32 (its original type is remembered).
    void cols(const std::string& name, const std::vector<int64_t>& keep) {
        const GgufTensor& t = src_.require(name);
        const auto n_rows = static_cast<int64_t>(t.dim(1));
        const auto n_cols = static_cast<int64_t>(t.shape[0]);
        GgufTensor out = t;
        out.shape = {static_cast<uint64_t>(keep.size()), static_cast<uint64_t>(n_rows)};
        const auto& info = dtype_info(t.type);
        std::vector<uint8_t> bytes;
        if (info.block_elems == 1) {
            const size_t e = info.block_bytes;
            bytes.resize(static_cast<size_t>(n_rows) * keep.size() * e);
            for (int64_t r = 0; r < n_rows; ++r)
                for (size_t i = 0; i < keep.size(); ++i)
                    std::memcpy(bytes.data() + (static_cast<size_t>(r) * keep.size() + i) * e,
                                t.data + (static_cast<size_t>(r * n_cols + keep[i])) * e, e);
        } else {
            const FloatMatrix m = dequantize_matrix(t);
            bytes.resize(static_cast<size_t>(n_rows) * keep.size() * sizeof(float));
            auto* f = reinterpret_cast<float*>(bytes.data());
            for (int64_t r = 0; r < n_rows; ++r)
                for (size_t i = 0; i < keep.size(); ++i) f[static_cast<size_t>(r) * keep.size() + i] = m.at(r, keep[i]);
            original_types_[name] = t.type;
            out.type = DType::F32;
        }
        put(std::move(out), std::move(bytes));
    }

    // A 1-D tensor (bias): some of its elements.
    void elements(const std::string& name, const std::vector<int64_t>& keep) {
        const GgufTensor& t = src_.require(name);
        const auto& info = dtype_info(t.type);
        if (info.block_elems != 1) fail(src_.source() + ": cannot cut " + name + " of type " + std::string(dtype_name(t.type)));
        std::vector<uint8_t> bytes(keep.size() * info.block_bytes);
        for (size_t i = 0; i < keep.size(); ++i)
            std::memcpy(bytes.data() + i * info.block_bytes, t.data + static_cast<size_t>(keep[i]) * info.block_bytes,
                        info.block_bytes);
        GgufTensor out = t;
        out.shape = {static_cast<uint64_t>(keep.size())};
        put(std::move(out), std::move(bytes));
    }

private:
    void put(GgufTensor t, std::vector<uint8_t> bytes) {
        t.n_elements = 1;
        for (uint64_t d : t.shape) t.n_elements *= d;
        t.n_bytes = bytes.size();
        t.offset = 0;
        dst_.put_owned(std::move(t), std::move(bytes));
    }

    const TensorSet& src_;
    TensorSet& dst_;
    std::map<std::string, DType>& original_types_;
};

// Column norms ||W[:, c]|| and row norms ||W[r, :]|| of a matrix.
std::vector<double> col_norms(const FloatMatrix& m) {
    std::vector<double> n(static_cast<size_t>(m.cols), 0.0);
    for (int64_t r = 0; r < m.rows; ++r)
        for (int64_t c = 0; c < m.cols; ++c) n[static_cast<size_t>(c)] += static_cast<double>(m.at(r, c)) * m.at(r, c);
    for (double& v : n) v = std::sqrt(v);
    return n;
}
std::vector<double> row_norms(const FloatMatrix& m) {
    std::vector<double> n(static_cast<size_t>(m.rows), 0.0);
    for (int64_t r = 0; r < m.rows; ++r) {
        double s = 0;
        for (int64_t c = 0; c < m.cols; ++c) s += static_cast<double>(m.at(r, c)) * m.at(r, c);
        n[static_cast<size_t>(r)] = std::sqrt(s);
    }
    return n;
}

const InputStats& need_stats(const CalibrationStats* stats, InputKey key) {
    if (!stats) fail("structured pruning with the wanda score needs calibration (or use score magnitude)");
    auto it = stats->find(key);
    if (it == stats->end()) fail("structured pruning: no calibration statistics for " + input_key_name(key));
    return it->second;
}

}  // namespace

bool structured_needs_input(const StructuredSettings& s, const InputKey& key) {
    if (s.score != PruneMethod::Wanda) return false;
    return (s.ffn_fraction > 0 && key.group == InputGroup::FfnDown) || (s.head_fraction > 0 && key.group == InputGroup::AttnOut);
}

StructuredResult prune_structured(const Model& base, const StructuredSettings& s, const CalibrationStats* stats) {
    const ModelConfig& c = base.config();
    const std::string& src = base.path();
    ModelConfig cfg = c;

    int64_t keep_ff = c.n_ff;
    if (s.ffn_fraction > 0) {
        keep_ff = static_cast<int64_t>(std::floor((1.0 - s.ffn_fraction) * static_cast<double>(c.n_ff) + 1e-9));
        keep_ff -= keep_ff % std::max<int64_t>(1, s.ffn_multiple);
        if (keep_ff < 1 || keep_ff >= c.n_ff)
            fail(src + ": structured.ffn_channels " + std::to_string(s.ffn_fraction) + " (multiple of " +
                 std::to_string(s.ffn_multiple) + ") leaves " + std::to_string(keep_ff) + " of " + std::to_string(c.n_ff) +
                 " FFN channels: it must remove some and keep some");
    }
    int64_t keep_groups = c.n_head_kv;
    if (s.head_fraction > 0) {
        const auto remove = static_cast<int64_t>(std::llround(s.head_fraction * static_cast<double>(c.n_head_kv)));
        keep_groups = c.n_head_kv - remove;
        if (remove < 1 || keep_groups < 1)
            fail(src + ": structured.attn_heads " + std::to_string(s.head_fraction) + " removes " + std::to_string(remove) +
                 " of the " + std::to_string(c.n_head_kv) + " KV groups per layer: it must remove at least one and keep one");
    }
    const int64_t rep = c.n_head / c.n_head_kv, hd = c.head_dim;
    cfg.n_ff = keep_ff;
    cfg.n_head_kv = keep_groups;
    cfg.n_head = keep_groups * rep;

    StructuredResult res;
    TensorSet tensors = base.tensors();  // views of everything; the cut ones are replaced
    Slicer slice(base.tensors(), tensors, res.original_types);
    const TensorSet& t = base.tensors();
    for (int64_t l = 0; l < c.n_layer; ++l) {
        if (keep_ff < c.n_ff) {
            const FloatMatrix down = dequantize_matrix(t.require(blk(l, "ffn_down.weight")));  // [n_embd, n_ff]
            const std::vector<double> down_cols = col_norms(down);
            std::vector<double> score(static_cast<size_t>(c.n_ff));
            if (s.score == PruneMethod::Wanda) {
                const std::vector<float> h = need_stats(stats, {static_cast<int32_t>(l), InputGroup::FfnDown}).norms();
                for (int64_t j = 0; j < c.n_ff; ++j) score[static_cast<size_t>(j)] = h[static_cast<size_t>(j)] * down_cols[static_cast<size_t>(j)];
            } else {
                const std::vector<double> gate = row_norms(dequantize_matrix(t.require(blk(l, "ffn_gate.weight"))));
                const std::vector<double> up = row_norms(dequantize_matrix(t.require(blk(l, "ffn_up.weight"))));
                for (size_t j = 0; j < score.size(); ++j) score[j] = gate[j] * up[j] * down_cols[j];
            }
            std::vector<int64_t> keep = keep_highest(score, keep_ff);
            slice.rows(blk(l, "ffn_gate.weight"), keep);
            slice.rows(blk(l, "ffn_up.weight"), keep);
            slice.cols(blk(l, "ffn_down.weight"), keep);
            res.kept_channels.push_back(std::move(keep));
        }
        if (keep_groups < c.n_head_kv) {
            const FloatMatrix wo = dequantize_matrix(t.require(blk(l, "attn_output.weight")));  // [n_embd, q_dim]
            const std::vector<double> wo_cols = col_norms(wo);
            std::vector<double> score(static_cast<size_t>(c.n_head_kv), 0.0);
            if (s.score == PruneMethod::Wanda) {
                const InputStats& a = need_stats(stats, {static_cast<int32_t>(l), InputGroup::AttnOut});
                for (int64_t g = 0; g < c.n_head_kv; ++g) {
                    for (int64_t col = g * rep * hd; col < (g + 1) * rep * hd; ++col)
                        score[static_cast<size_t>(g)] += a.sum_sq[static_cast<size_t>(col)] * wo_cols[static_cast<size_t>(col)] * wo_cols[static_cast<size_t>(col)];
                    score[static_cast<size_t>(g)] = std::sqrt(score[static_cast<size_t>(g)]);
                }
            } else {
                const std::vector<double> v = row_norms(dequantize_matrix(t.require(blk(l, "attn_v.weight"))));
                for (int64_t g = 0; g < c.n_head_kv; ++g) {
                    double o = 0, vv = 0;
                    for (int64_t col = g * rep * hd; col < (g + 1) * rep * hd; ++col) o += wo_cols[static_cast<size_t>(col)] * wo_cols[static_cast<size_t>(col)];
                    for (int64_t r = g * hd; r < (g + 1) * hd; ++r) vv += v[static_cast<size_t>(r)] * v[static_cast<size_t>(r)];
                    score[static_cast<size_t>(g)] = std::sqrt(o * vv);
                }
            }
            std::vector<int64_t> groups = keep_highest(score, keep_groups);
            std::vector<int64_t> q_heads;
            for (int64_t g : groups)
                for (int64_t h = g * rep; h < (g + 1) * rep; ++h) q_heads.push_back(h);
            const std::vector<int64_t> q_rows = head_rows(q_heads, hd), kv_rows = head_rows(groups, hd);
            slice.rows(blk(l, "attn_q.weight"), q_rows);
            slice.rows(blk(l, "attn_k.weight"), kv_rows);
            slice.rows(blk(l, "attn_v.weight"), kv_rows);
            slice.cols(blk(l, "attn_output.weight"), q_rows);
            if (c.has_qkv_bias) {
                slice.elements(blk(l, "attn_q.bias"), q_rows);
                slice.elements(blk(l, "attn_k.bias"), kv_rows);
                slice.elements(blk(l, "attn_v.bias"), kv_rows);
            }
            res.kept_groups.push_back(std::move(groups));
        }
    }
    res.model = Model::from_parts(cfg, base.shared_tokenizer(), std::move(tensors), base.shared_gguf());
    return res;
}

}  // namespace pareto

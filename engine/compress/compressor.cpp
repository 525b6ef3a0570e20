#include "compress/compressor.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "compress/calibration.h"
#include "compress/prune.h"
#include "compress/quantize.h"
#include "compress/structured.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open the calibration text: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

// What statistics one input needs.
struct Need {
    bool sum_sq = false;
    bool hessian = false;
};

class Compressor {
public:
    Compressor(const Model& base, const CompressionPlan& plan, const CompressOptions& options)
        : base_(base), plan_(plan), opt_(options), pool_(options.n_threads) {}

    CompressResult run();

private:
    void progress(std::string_view stage, int64_t done, int64_t total, std::string_view detail) const {
        if (opt_.progress && !opt_.progress(CompressProgress{stage, done, total, detail})) throw Cancelled();
    }
    const std::vector<std::vector<TokenId>>& samples(const std::string& why);
    CalibrationStats calibrate(const Model& model, const CalibrationCollector::KeyFilter& want,
                               const CalibrationCollector::KeyFilter& want_hessian, const std::string& detail);
    void compress_tensor(const Model& model, const TensorDecision& d, const CalibrationStats& stats, TensorSet& out);
    CompressResult finish(const PlanResolution& plan_res, TensorSet out, const ModelConfig& cfg);

    const Model& base_;
    const CompressionPlan& plan_;
    const CompressOptions& opt_;
    ThreadPool pool_;
    std::optional<std::vector<std::vector<TokenId>>> samples_;
    CompressResult res_;
    int64_t done_ = 0, n_matrices_ = 0;
};

const std::vector<std::vector<TokenId>>& Compressor::samples(const std::string& why) {
    if (!samples_) {
        const CalibrationSettings& c = plan_.calibration;
        if (c.text.empty())
            fail(why + " needs calibration text: name one in the plan (calibration.text) or on the command line (--calib)");
        samples_ = calibration_samples(base_.tokenizer(), read_text(c.text), c.samples, c.ctx, c.seed, c.text);
        res_.calibration_tokens = c.samples * c.ctx;
    }
    return *samples_;
}

CalibrationStats Compressor::calibrate(const Model& model, const CalibrationCollector::KeyFilter& want,
                                       const CalibrationCollector::KeyFilter& want_hessian, const std::string& detail) {
    CalibrationCollector collector(want, want_hessian);
    run_calibration(model, *samples_, collector, pool_.size(), [&](int64_t done, int64_t total) {
        progress("calibrate", done, total, detail);
        return true;
    });
    ++res_.calibration_passes;
    return collector.take();
}

void Compressor::compress_tensor(const Model& model, const TensorDecision& d, const CalibrationStats& stats,
                                 TensorSet& out) {
    progress("compress", done_++, n_matrices_, d.name);
    const GgufTensor& src = model.tensors().require(d.name);
    TensorReport rep;
    rep.name = d.name;
    rep.from = d.source_type;
    rep.to = d.target_type;
    rep.bytes_before = src.n_bytes;
    const bool plain = !d.prune && d.method == QuantMethod::Rtn && !d.importance;
    if (plain && d.target_type == src.type) {  // nothing to do: the tensor stays a view
        rep.how = "copied";
        rep.bytes_after = src.n_bytes;
        res_.tensors.push_back(std::move(rep));
        return;
    }

    const InputStats* st = nullptr;
    if (auto key = input_of_tensor(d.name, model.config().tied_output))
        if (auto it = stats.find(*key); it != stats.end()) st = &it->second;
    const bool needs_stats = d.importance || d.method == QuantMethod::Gptq ||
                             (d.prune && d.prune->method != PruneMethod::Magnitude);
    if (needs_stats && !st) fail(d.name + ": no calibration statistics were gathered for its input");

    FloatMatrix w = dequantize_matrix(src);
    const bool measure = st && st->has_hessian();
    FloatMatrix original;
    if (measure) original = w;

    PruneMask mask;
    std::string how;
    if (d.prune) {
        mask = prune_matrix(w, d.prune->method, d.prune->target, st, plan_.gptq);
        rep.sparsity = measured_sparsity(w);
        how = std::string(prune_method_name(d.prune->method)) + " " + d.prune->target.describe() + " + ";
    }
    std::vector<uint8_t> bytes;
    if (is_float(d.target_type)) {
        bytes = quantize_rtn(w, d.target_type, &pool_);
        how += std::string(dtype_name(d.target_type));
    } else if (d.method == QuantMethod::Gptq) {
        bytes = quantize_gptq(w, d.target_type, *st, plan_.gptq, &mask);
        how += "gptq";
    } else if (d.importance) {
        bytes = quantize_weighted(w, d.target_type, st->mean_sq(), &mask, &pool_);
        how += has_weighted_fit(d.target_type) ? "rtn+importance" : "rtn";
    } else {
        bytes = quantize_rtn(w, d.target_type, &pool_);
        how += "rtn";
    }
    rep.how = how;
    rep.bytes_after = bytes.size();
    if (measure)
        rep.output_error = relative_output_error(original, dequantize_matrix(d.target_type, bytes.data(), w.rows, w.cols), *st);

    GgufTensor t = src;
    t.type = d.target_type;
    t.n_bytes = bytes.size();
    t.offset = 0;
    out.put_owned(std::move(t), std::move(bytes));
    res_.tensors.push_back(std::move(rep));
}

CompressResult Compressor::run() {
    res_.bytes_before = base_.weight_bytes();

    // 1. Structured pruning.
    const Model* current = &base_;
    std::unique_ptr<Model> smaller;
    if (plan_.structured.any()) {
        CalibrationStats st;
        const bool wanda = plan_.structured.score == PruneMethod::Wanda;
        if (wanda) {
            samples("structured pruning with the wanda score");
            st = calibrate(
                base_, [&](const InputKey& k) { return structured_needs_input(plan_.structured, k); },
                [](const InputKey&) { return false; }, "structured");
        }
        progress("structured", 0, 1, "");
        StructuredResult sr = prune_structured(base_, plan_.structured, wanda ? &st : nullptr);
        smaller = std::move(sr.model);
        res_.original_types = std::move(sr.original_types);
        current = smaller.get();
        progress("structured", 1, 1, "");
        if (smaller->config().arch == Arch::Qwen2 && smaller->config().q_dim() != smaller->config().n_embd)
            res_.warnings.push_back("qwen2 with attention heads removed runs in Pareto but has no GGUF form (llama.cpp's "
                                    "qwen2 ties the attention width to the embedding width): it cannot be exported");
    }
    const Model& model = *current;
    const ModelConfig& cfg = model.config();

    // 2. The plan against the (smaller) model.
    const PlanResolution plan_res = resolve_plan(plan_, model.tensors(), cfg, &res_.original_types);
    res_.warnings.insert(res_.warnings.end(), plan_res.warnings.begin(), plan_res.warnings.end());

    // 3. What each input needs, and which layers (-1: the output matrix) have matrices.
    std::map<InputKey, Need> needs;
    std::map<int32_t, std::vector<const TensorDecision*>> by_layer;
    std::string first_need;
    for (const TensorDecision& d : plan_res.tensors) {
        if (!d.matrix) continue;
        ++n_matrices_;
        const auto key = input_of_tensor(d.name, cfg.tied_output);
        by_layer[key ? key->layer : -1].push_back(&d);
        if (!key) continue;
        Need& n = needs[*key];
        const bool hess = d.method == QuantMethod::Gptq || (d.prune && d.prune->method == PruneMethod::SparseGpt);
        const bool sq = d.importance || (d.prune && d.prune->method == PruneMethod::Wanda);
        n.hessian = n.hessian || hess;
        n.sum_sq = n.sum_sq || hess || sq;
        if ((hess || sq) && first_need.empty())
            first_need = d.name + " (" + (hess ? (d.method == QuantMethod::Gptq ? "gptq" : "sparsegpt")
                                               : (d.importance ? "importance" : "wanda")) + ")";
    }
    std::set<int32_t> needy_layers;
    for (const auto& [key, n] : needs)
        if (n.sum_sq) needy_layers.insert(key.layer);
    if (opt_.precomputed) {
        if (plan_.structured.any()) fail("compress: precomputed calibration statistics cannot serve structured pruning");
        for (const auto& [key, n] : needs) {
            if (!n.sum_sq) continue;
            auto it = opt_.precomputed->find(key);
            if (it == opt_.precomputed->end() || (n.hessian && !it->second.has_hessian()))
                fail("compress: the precomputed calibration statistics lack " + input_key_name(key));
        }
        TensorSet out = model.tensors();
        for (const TensorDecision& d : plan_res.tensors)
            if (d.matrix) compress_tensor(model, d, *opt_.precomputed, out);
        return finish(plan_res, std::move(out), cfg);
    }
    if (!needy_layers.empty()) samples(first_need);

    auto wants = [&](const std::set<int32_t>& layers) {
        return std::pair<CalibrationCollector::KeyFilter, CalibrationCollector::KeyFilter>{
            [&needs, layers](const InputKey& k) {
                auto it = needs.find(k);
                return layers.count(k.layer) && it != needs.end() && it->second.sum_sq;
            },
            [&needs, layers](const InputKey& k) {
                auto it = needs.find(k);
                return layers.count(k.layer) && it != needs.end() && it->second.hessian;
            }};
    };
    auto layer_label = [](int32_t l) { return l < 0 ? std::string("output") : "blk." + std::to_string(l); };

    // 4. Layer by layer: blocks in order, then the token embedding and output matrix.
    TensorSet out = model.tensors();
    std::vector<int32_t> order;
    for (const auto& [l, _] : by_layer)
        if (l >= 0) order.push_back(l);
    if (by_layer.count(-1)) order.push_back(-1);

    if (plan_.calibration.sequential) {
        for (int32_t l : order) {
            CalibrationStats stats;
            if (needy_layers.count(l)) {
                // The model as compressed so far: this layer sees its predecessors' errors.
                const auto working = Model::from_parts(cfg, base_.shared_tokenizer(), out, base_.shared_gguf());
                auto [want, want_h] = wants({l});
                stats = calibrate(*working, want, want_h, layer_label(l));
            }
            for (const TensorDecision* d : by_layer[l]) compress_tensor(model, *d, stats, out);
        }
    } else {
        // Every layer calibrated on the uncompressed model; as many layers per pass as
        // the Hessian budget allows.
        auto hessian_bytes = [&](int32_t l) {
            size_t b = 0;
            for (const auto& [key, n] : needs)
                if (key.layer == l && n.hessian) {
                    const TensorDecision* d = nullptr;
                    for (const TensorDecision* x : by_layer[l])
                        if (input_of_tensor(x->name, cfg.tied_output) == key) d = x;
                    const auto cols = static_cast<size_t>(model.tensors().require(d->name).shape[0]);
                    b += cols * cols * sizeof(double);
                }
            return b;
        };
        size_t i = 0;
        while (i < order.size()) {
            std::set<int32_t> pass;
            size_t bytes = 0;
            size_t j = i;
            for (; j < order.size(); ++j) {
                const size_t b = hessian_bytes(order[j]);
                if (!pass.empty() && bytes + b > opt_.hessian_budget) break;
                pass.insert(order[j]);
                bytes += b;
            }
            CalibrationStats stats;
            bool any = false;
            for (int32_t l : pass) any = any || needy_layers.count(l);
            if (any) {
                auto [want, want_h] = wants(pass);
                stats = calibrate(model, want, want_h, layer_label(order[i]) + (pass.size() > 1 ? " ..." : ""));
            }
            for (; i < j; ++i)
                for (const TensorDecision* d : by_layer[order[i]]) compress_tensor(model, *d, stats, out);
        }
    }
    return finish(plan_res, std::move(out), cfg);
}

CompressResult Compressor::finish(const PlanResolution& plan_res, TensorSet out, const ModelConfig& cfg) {
    progress("compress", done_, n_matrices_, "");
    res_.file_type = plan_.file_type ? *plan_.file_type : derive_file_type(plan_res.tensors, out);
    res_.model = Model::from_parts(cfg, base_.shared_tokenizer(), std::move(out), base_.shared_gguf());
    res_.bytes_after = res_.model->weight_bytes();
    return std::move(res_);
}

}  // namespace

CompressResult compress_model(const Model& base, const CompressionPlan& plan, const CompressOptions& options) {
    Compressor c(base, plan, options);
    return c.run();
}

}  // namespace pareto

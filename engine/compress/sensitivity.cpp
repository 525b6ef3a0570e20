#include "compress/sensitivity.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "compress/calibration.h"
#include "compress/compressor.h"
#include "util/error.h"

namespace pareto {
namespace {

// A pattern matching exactly these names.
std::string names_pattern(const std::vector<std::string>& names) {
    std::string p;
    for (const std::string& n : names) {
        if (!p.empty()) p += "|";
        for (char c : n) {
            if (c == '.') p += "\\.";
            else p += c;
        }
    }
    return "(" + p + ")";
}

size_t bytes_of(const Model& m, const std::vector<std::string>& names) {
    size_t b = 0;
    for (const std::string& n : names) b += m.tensors().require(n).n_bytes;
    return b;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open the calibration text: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

std::string SensitivityProbe::describe() const {
    if (type) return type->name();
    if (prune) return std::string(prune_method_name(prune->method)) + " " + prune->target.describe();
    return "nothing";
}

std::vector<SensitivityGroup> sensitivity_groups(const Model& model) {
    std::vector<SensitivityGroup> groups;
    const ModelConfig& c = model.config();
    for (int64_t l = 0; l < c.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        groups.push_back({static_cast<int32_t>(l), "attn",
                          {b + "attn_q.weight", b + "attn_k.weight", b + "attn_v.weight", b + "attn_output.weight"}});
        groups.push_back({static_cast<int32_t>(l), "ffn", {b + "ffn_gate.weight", b + "ffn_up.weight", b + "ffn_down.weight"}});
    }
    groups.push_back({-1, "token_embd", {"token_embd.weight"}});
    if (!c.tied_output) groups.push_back({-1, "output", {"output.weight"}});
    return groups;
}

std::vector<SensitivityRow> sensitivity_scan(const Model& base, const std::string& text, const SensitivityParams& params) {
    const SensitivityProbe& probe = params.probe;
    if (probe.type.has_value() == probe.prune.has_value())
        fail("sensitivity: give one change to apply to each group: a type or a pruning method");
    const bool activation_aware = probe.prune && probe.prune->method != PruneMethod::Magnitude;

    // Activation-aware pruning needs the base model's statistics; each group is
    // compressed alone, so those of the uncompressed model are the right ones, and
    // one calibration serves every group.
    CalibrationStats stats;
    if (activation_aware) {
        const CalibrationSettings& cs = params.calibration;
        if (cs.text.empty())
            fail("sensitivity: " + probe.describe() + " needs calibration text (--calib)");
        const auto samples = calibration_samples(base.tokenizer(), read_text(cs.text), cs.samples, cs.ctx, cs.seed, cs.text);
        const bool hessian = probe.prune->method == PruneMethod::SparseGpt;
        CalibrationCollector collector([](const InputKey&) { return true; }, [&](const InputKey&) { return hessian; });
        run_calibration(base, samples, collector, params.n_threads);
        stats = collector.take();
    }

    KlParams kp = params.kl;
    kp.n_threads = params.n_threads;
    kp.progress = nullptr;
    std::vector<SensitivityGroup> groups = sensitivity_groups(base);
    // The token embedding multiplies nothing: activation-aware pruning cannot score it.
    if (activation_aware) std::erase_if(groups, [](const SensitivityGroup& g) { return g.name == "token_embd"; });

    std::vector<SensitivityRow> rows;
    for (const SensitivityGroup& g : groups) {
        CompressionPlan plan;
        plan.name = "sensitivity " + probe.describe() + " " + (g.layer >= 0 ? "blk." + std::to_string(g.layer) + "." : "") + g.name;
        plan.default_type = TypeChoice::keep_type();
        if (probe.type) {
            QuantRule r;
            r.match = names_pattern(g.tensors);
            r.type = *probe.type;
            plan.rules.push_back(r);
        } else {
            PruneRule r = *probe.prune;
            r.match = names_pattern(g.tensors);
            plan.prune.push_back(r);
        }
        CompressOptions o;
        o.n_threads = params.n_threads;
        o.precomputed = activation_aware ? &stats : nullptr;
        const CompressResult c = compress_model(base, plan, o);

        SensitivityRow row;
        row.group = g;
        row.bytes_before = bytes_of(base, g.tensors);
        row.bytes_after = bytes_of(*c.model, g.tensors);
        row.kl = evaluate_against_baseline(*c.model, base, text, kp);
        rows.push_back(std::move(row));
        if (params.progress && !params.progress(static_cast<int64_t>(rows.size()), static_cast<int64_t>(groups.size()), rows.back()))
            throw Cancelled();
    }
    return rows;
}

std::string sensitivity_csv(const std::vector<SensitivityRow>& rows, const SensitivityProbe& probe) {
    std::string out =
        "layer,group,tensors,change,bytes_before,bytes_after,kl_mean,kl_median,kl_p90,kl_p99,kl_max,same_top,ppl,base_ppl,"
        "delta_p_mean,delta_p_rms,positions\n";
    char buf[512];
    for (const SensitivityRow& r : rows) {
        std::string tensors;
        for (const std::string& t : r.group.tensors) tensors += (tensors.empty() ? "" : " ") + t;
        std::snprintf(buf, sizeof buf, "%d,%s,%s,%s,%zu,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%lld\n",
                      r.group.layer, r.group.name.c_str(), tensors.c_str(), probe.describe().c_str(), r.bytes_before,
                      r.bytes_after, r.kl.kl_mean, r.kl.kl_median, r.kl.kl_p90, r.kl.kl_p99, r.kl.kl_max, r.kl.same_top_rate,
                      r.kl.model.ppl, r.kl.base.ppl, r.kl.delta_p_mean, r.kl.delta_p_rms, static_cast<long long>(r.kl.n_scored));
        out += buf;
    }
    return out;
}

}  // namespace pareto

#include "compress/plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compress/tensor_pattern.h"
#include "model/synth.h"
#include "model/tensor_set.h"
#include "tensor/quant.h"
#include "util/error.h"

namespace pareto {

using json = nlohmann::json;

// ---- names -------------------------------------------------------------------------------

std::string_view quant_method_name(QuantMethod m) { return m == QuantMethod::Rtn ? "rtn" : "gptq"; }

std::string_view prune_method_name(PruneMethod m) {
    switch (m) {
        case PruneMethod::Magnitude: return "magnitude";
        case PruneMethod::Wanda: return "wanda";
        case PruneMethod::SparseGpt: return "sparsegpt";
    }
    return "?";
}

namespace {

// The types a plan may name: those with a reference quantizer that the engine can
// also compute with (so the compressed model runs here as well as in llama.cpp).
constexpr DType kWritable[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0,
                               DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K,
                               DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<QuantMethod> parse_quant_method(std::string_view s) {
    const std::string l = lower(s);
    if (l == "rtn") return QuantMethod::Rtn;
    if (l == "gptq") return QuantMethod::Gptq;
    return std::nullopt;
}

std::optional<PruneMethod> parse_prune_method(std::string_view s) {
    const std::string l = lower(s);
    if (l == "magnitude") return PruneMethod::Magnitude;
    if (l == "wanda") return PruneMethod::Wanda;
    if (l == "sparsegpt") return PruneMethod::SparseGpt;
    return std::nullopt;
}

}  // namespace

std::string TypeChoice::name() const { return keep ? "keep" : std::string(dtype_name(type)); }

std::optional<TypeChoice> parse_type_choice(std::string_view name) {
    if (lower(name) == "keep") return TypeChoice::keep_type();
    const auto t = dtype_from_name(name);
    if (!t || std::find(std::begin(kWritable), std::end(kWritable), *t) == std::end(kWritable)) return std::nullopt;
    return TypeChoice::of(*t);
}

std::string writable_type_names() {
    std::string s;
    for (DType t : kWritable) s += std::string(dtype_name(t)) + ", ";
    return s + "keep";
}

std::string SparsitySpec::describe() const {
    if (is_n_m()) return std::to_string(n) + ":" + std::to_string(m);
    std::ostringstream ss;
    ss << sparsity * 100 << "%";
    return ss.str();
}

// ---- parsing -----------------------------------------------------------------------------

namespace {

// Reads one JSON object field by field, so every error names its path
// ("rules[2].type") and fields nobody reads are reported as unknown.
class Fields {
public:
    Fields(const json& obj, std::string path, const std::string& label) : obj_(obj), path_(std::move(path)), label_(label) {
        if (!obj_.is_object()) error("", "expected an object, got " + describe(obj_));
    }

    [[noreturn]] void error(const std::string& field, const std::string& what) const {
        std::string where = path_;
        if (!field.empty()) where += (where.empty() ? "" : ".") + field;
        fail(label_ + ": " + (where.empty() ? "" : where + ": ") + what);
    }

    const json* get(const std::string& key) {
        seen_.push_back(key);
        auto it = obj_.find(key);
        return it == obj_.end() ? nullptr : &*it;
    }

    std::optional<std::string> string(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) error(key, "expected a string, got " + describe(*v));
        return v->get<std::string>();
    }
    std::optional<bool> boolean(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) error(key, "expected true or false, got " + describe(*v));
        return v->get<bool>();
    }
    std::optional<double> number(const std::string& key, double lo, double hi, bool hi_open = false) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) error(key, "expected a number, got " + describe(*v));
        const double x = v->get<double>();
        if (!(x >= lo && (hi_open ? x < hi : x <= hi)))
            error(key, "value " + v->dump() + " is outside [" + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]"));
        return x;
    }
    std::optional<int64_t> integer(const std::string& key, int64_t lo, int64_t hi) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number_integer()) error(key, "expected an integer, got " + describe(*v));
        // Unsigned JSON integers beyond int64 are out of range anyway.
        const int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                              ? INT64_MAX
                              : v->get<int64_t>();
        if (x < lo || x > hi) error(key, "value " + v->dump() + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return x;
    }

    // Reports the first field that no reader asked for (a typo would otherwise be
    // silently ignored).
    void finish() const {
        for (auto it = obj_.begin(); it != obj_.end(); ++it)
            if (std::find(seen_.begin(), seen_.end(), it.key()) == seen_.end())
                error(it.key(), "unknown field (known here: " + known() + ")");
    }

    const std::string& path() const { return path_; }
    const std::string& label() const { return label_; }

private:
    static std::string describe(const json& v) {
        std::string d = v.dump();
        if (d.size() > 40) d = d.substr(0, 37) + "...";
        return std::string(v.type_name()) + " " + d;
    }
    static std::string num(double x) {
        std::ostringstream ss;
        ss << x;
        return ss.str();
    }
    std::string known() const {
        std::string s;
        for (const auto& k : seen_) s += (s.empty() ? "" : ", ") + k;
        return s;
    }

    const json& obj_;
    std::string path_;
    const std::string& label_;
    std::vector<std::string> seen_;
};

TypeChoice read_type(Fields& f, const std::string& key, const std::string& value) {
    const auto t = parse_type_choice(value);
    if (!t) f.error(key, "'" + value + "' is not a type Pareto can write (choose from " + writable_type_names() + ")");
    return *t;
}

std::string read_pattern(Fields& f) {
    const auto match = f.string("match");
    if (!match) f.error("match", "missing (a PCRE2 pattern that must match the whole tensor name)");
    std::string why;
    if (!TensorPattern::check(*match, &why)) f.error("match", "invalid pattern '" + *match + "': " + why);
    return *match;
}

SparsitySpec read_sparsity(Fields& f) {
    SparsitySpec s;
    const auto sparsity = f.number("sparsity", 0.0, 1.0, true);
    const auto pattern = f.string("pattern");
    if (sparsity && pattern) f.error("pattern", "give either sparsity or pattern, not both");
    if (!sparsity && !pattern) f.error("", "missing sparsity (a fraction, e.g. 0.5) or pattern (N:M, e.g. \"2:4\")");
    if (sparsity) {
        s.sparsity = *sparsity;
        return s;
    }
    int n = 0, m = 0;
    char extra = 0;
    if (std::sscanf(pattern->c_str(), "%d:%d%c", &n, &m, &extra) != 2 || n < 1 || m < 2 || n >= m || m > 256)
        f.error("pattern", "'" + *pattern + "' is not an N:M pattern with 0 < N < M <= 256 (e.g. \"2:4\", \"4:8\": N kept of every M)");
    s.n = n;
    s.m = m;
    return s;
}

}  // namespace

CompressionPlan parse_plan(std::string_view json_text, const std::string& label) {
    json doc;
    try {
        doc = json::parse(json_text.begin(), json_text.end());
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz_plan)
        fail(label + ": not valid JSON: " + e.what());
    }
    CompressionPlan plan;
    Fields top(doc, "", label);
    plan.name = top.string("name").value_or("");
    plan.description = top.string("description").value_or("");
    if (auto t = top.string("default_type")) plan.default_type = read_type(top, "default_type", *t);
    if (auto m = top.string("method")) {
        const auto qm = parse_quant_method(*m);
        if (!qm) top.error("method", "'" + *m + "' is not a quantization method (rtn, gptq)");
        plan.method = *qm;
    }
    plan.importance = top.boolean("importance").value_or(false);
    if (auto ft = top.integer("file_type", 0, 1024)) plan.file_type = static_cast<uint32_t>(*ft);

    if (const json* g = top.get("gptq")) {
        Fields f(*g, "gptq", label);
        if (auto v = f.number("damp", 0.0, 10.0)) plan.gptq.damp = *v;
        if (auto v = f.integer("block_size", 1, 1 << 16)) plan.gptq.block_size = *v;
        if (auto v = f.boolean("act_order")) plan.gptq.act_order = *v;
        f.finish();
    }

    if (const json* rules = top.get("rules")) {
        if (!rules->is_array()) top.error("rules", "expected an array of rules");
        for (size_t i = 0; i < rules->size(); ++i) {
            Fields f((*rules)[i], "rules[" + std::to_string(i) + "]", label);
            QuantRule r;
            r.match = read_pattern(f);
            if (auto t = f.string("type")) r.type = read_type(f, "type", *t);
            if (auto m = f.string("method")) {
                r.method = parse_quant_method(*m);
                if (!r.method) f.error("method", "'" + *m + "' is not a quantization method (rtn, gptq)");
            }
            r.importance = f.boolean("importance");
            f.finish();
            if (!r.type && !r.method && !r.importance) f.error("", "the rule sets nothing (give type, method or importance)");
            plan.rules.push_back(std::move(r));
        }
    }

    if (const json* prune = top.get("prune")) {
        if (!prune->is_array()) top.error("prune", "expected an array of pruning rules");
        for (size_t i = 0; i < prune->size(); ++i) {
            Fields f((*prune)[i], "prune[" + std::to_string(i) + "]", label);
            PruneRule r;
            r.match = read_pattern(f);
            const auto m = f.string("method");
            if (!m) f.error("method", "missing (magnitude, wanda or sparsegpt)");
            const auto pm = parse_prune_method(*m);
            if (!pm) f.error("method", "'" + *m + "' is not a pruning method (magnitude, wanda, sparsegpt)");
            r.method = *pm;
            r.target = read_sparsity(f);
            f.finish();
            plan.prune.push_back(std::move(r));
        }
    }

    if (const json* s = top.get("structured")) {
        Fields f(*s, "structured", label);
        if (auto v = f.number("ffn_channels", 0.0, 1.0, true)) plan.structured.ffn_fraction = *v;
        if (auto v = f.number("attn_heads", 0.0, 1.0, true)) plan.structured.head_fraction = *v;
        if (auto v = f.integer("ffn_multiple", 1, 4096)) plan.structured.ffn_multiple = *v;
        if (auto v = f.string("score")) {
            const auto pm = parse_prune_method(*v);
            if (!pm || *pm == PruneMethod::SparseGpt) f.error("score", "'" + *v + "' is not a channel score (wanda, magnitude)");
            plan.structured.score = *pm;
        }
        f.finish();
    }

    if (const json* c = top.get("calibration")) {
        Fields f(*c, "calibration", label);
        plan.calibration.text = f.string("text").value_or("");
        if (auto v = f.integer("samples", 1, 1 << 20)) plan.calibration.samples = *v;
        if (auto v = f.integer("ctx", 2, 1 << 20)) plan.calibration.ctx = *v;
        if (auto v = f.integer("seed", 0, INT64_MAX)) plan.calibration.seed = static_cast<uint64_t>(*v);
        if (auto v = f.boolean("sequential")) plan.calibration.sequential = *v;
        f.finish();
    }
    top.finish();
    return plan;
}

CompressionPlan load_plan(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open the plan");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_plan(ss.str(), path);
}

std::string plan_to_json(const CompressionPlan& p) {
    json j = json::object();
    if (!p.name.empty()) j["name"] = p.name;
    if (!p.description.empty()) j["description"] = p.description;
    j["default_type"] = p.default_type.name();
    j["method"] = std::string(quant_method_name(p.method));
    j["importance"] = p.importance;
    j["gptq"] = {{"damp", p.gptq.damp}, {"block_size", p.gptq.block_size}, {"act_order", p.gptq.act_order}};
    j["rules"] = json::array();
    for (const QuantRule& r : p.rules) {
        json o = {{"match", r.match}};
        if (r.type) o["type"] = r.type->name();
        if (r.method) o["method"] = std::string(quant_method_name(*r.method));
        if (r.importance) o["importance"] = *r.importance;
        j["rules"].push_back(o);
    }
    j["prune"] = json::array();
    for (const PruneRule& r : p.prune) {
        json o = {{"match", r.match}, {"method", std::string(prune_method_name(r.method))}};
        if (r.target.is_n_m()) o["pattern"] = r.target.describe();
        else o["sparsity"] = r.target.sparsity;
        j["prune"].push_back(o);
    }
    if (p.structured.any() || p.structured.ffn_multiple != 1)
        j["structured"] = {{"ffn_channels", p.structured.ffn_fraction},
                           {"attn_heads", p.structured.head_fraction},
                           {"ffn_multiple", p.structured.ffn_multiple},
                           {"score", std::string(prune_method_name(p.structured.score))}};
    j["calibration"] = {{"text", p.calibration.text},
                        {"samples", p.calibration.samples},
                        {"ctx", p.calibration.ctx},
                        {"seed", p.calibration.seed},
                        {"sequential", p.calibration.sequential}};
    if (p.file_type) j["file_type"] = *p.file_type;
    return j.dump(2) + "\n";
}

PruneRule parse_prune_option(std::string_view spec) {
    const std::string s(spec);
    const size_t colon = s.find(':');
    auto bad = [&](const std::string& why) -> PruneRule {
        fail("--prune " + s + ": " + why + " (give METHOD:SPARSITY like wanda:0.5, or METHOD:N:M like sparsegpt:2:4; "
             "methods: magnitude, wanda, sparsegpt)");
    };
    if (colon == std::string::npos) return bad("no ':'");
    PruneRule r;
    r.match = std::string(kBlockMatrices);
    const auto m = parse_prune_method(s.substr(0, colon));
    if (!m) return bad("unknown method '" + s.substr(0, colon) + "'");
    r.method = *m;
    const std::string rest = s.substr(colon + 1);
    if (rest.find(':') != std::string::npos) {
        int n = 0, mm = 0;
        char extra = 0;
        if (std::sscanf(rest.c_str(), "%d:%d%c", &n, &mm, &extra) != 2 || n < 1 || mm < 2 || n >= mm || mm > 256)
            return bad("'" + rest + "' is not an N:M pattern with 0 < N < M <= 256");
        r.target.n = n;
        r.target.m = mm;
        return r;
    }
    char* end = nullptr;
    const double v = std::strtod(rest.c_str(), &end);
    if (rest.empty() || *end != '\0' || !(v >= 0 && v < 1)) return bad("sparsity '" + rest + "' is not a number in [0, 1)");
    r.target.sparsity = v;
    return r;
}

// ---- presets -----------------------------------------------------------------------------

namespace {

constexpr std::string_view kPresets[] = {"q8_0", "q4_0", "q4_k_m", "attn-f16-ffn-int4", "int8-embeddings", "f16", "f32"};

// The output matrix: output.weight, or the token embedding when the model ties them.
std::string output_pattern(const ModelConfig& c) { return c.tied_output ? "token_embd\\.weight" : "output\\.weight"; }

QuantRule type_rule(std::string match, DType t) {
    QuantRule r;
    r.match = std::move(match);
    r.type = TypeChoice::of(t);
    return r;
}

}  // namespace

std::vector<std::string_view> preset_names() { return {std::begin(kPresets), std::end(kPresets)}; }

CompressionPlan preset_plan(std::string_view name, const ModelConfig& config) {
    CompressionPlan p;
    p.name = lower(name);
    if (p.name == "q8_0") {
        p.description = "Q8_0 everywhere (llama.cpp's Q8_0)";
        p.default_type = TypeChoice::of(DType::Q8_0);
    } else if (p.name == "q4_0") {
        // As llama.cpp's Q4_0: the output matrix, the most sensitive, keeps 6 bits.
        p.description = "Q4_0 everywhere, the output matrix Q6_K (llama.cpp's Q4_0)";
        p.default_type = TypeChoice::of(DType::Q4_0);
        p.rules.push_back(type_rule(output_pattern(config), DType::Q6_K));
    } else if (p.name == "q4_k_m") {
        // llama.cpp's Q4_K_M idea: Q4_K, with Q6_K for the output matrix and for the
        // attention values and FFN down-projections of the layers that matter most
        // (the first and last eighth, every third in between). The layer choice is
        // the one `pareto-cli synth --type Q4_K_M` makes (model/synth.h).
        p.description = "Q4_K, Q6_K for the output matrix and some attn_v / ffn_down layers (llama.cpp's Q4_K_M)";
        p.default_type = TypeChoice::of(DType::Q4_K);
        p.file_type = 15;  // LLAMA_FTYPE_MOSTLY_Q4_K_M
        p.rules.push_back(type_rule(output_pattern(config), DType::Q6_K));
        SynthType mix = parse_synth_type("Q4_K_M");
        std::string attn_v, ffn_down;
        for (int64_t l = 0; l < config.n_layer; ++l) {
            const std::string blk = "blk." + std::to_string(l) + ".";
            auto add = [&](std::string& list, const char* what) {
                if (synth_matrix_type(mix, blk + what, l, config.n_layer, config.tied_output) == DType::Q6_K)
                    list += (list.empty() ? "" : "|") + std::to_string(l);
            };
            add(attn_v, "attn_v.weight");
            add(ffn_down, "ffn_down.weight");
        }
        if (!attn_v.empty()) p.rules.push_back(type_rule("blk\\.(" + attn_v + ")\\.attn_v\\.weight", DType::Q6_K));
        if (!ffn_down.empty()) p.rules.push_back(type_rule("blk\\.(" + ffn_down + ")\\.ffn_down\\.weight", DType::Q6_K));
    } else if (p.name == "attn-f16-ffn-int4") {
        // The mix edge-deployment guides recommend: attention, small and sensitive,
        // in F16; the large FFN matrices in 4 bits; embeddings and output in 8.
        p.description = "attention F16, FFN Q4_0, embeddings and output Q8_0";
        p.default_type = TypeChoice::of(DType::Q8_0);
        p.rules.push_back(type_rule("blk\\.\\d+\\.attn_.*", DType::F16));
        p.rules.push_back(type_rule("blk\\.\\d+\\.ffn_.*", DType::Q4_0));
    } else if (p.name == "int8-embeddings") {
        p.description = "token embedding and output matrix Q8_0, everything else kept";
        p.default_type = TypeChoice::keep_type();
        p.rules.push_back(type_rule("token_embd\\.weight", DType::Q8_0));
        p.rules.push_back(type_rule("output\\.weight", DType::Q8_0));
    } else if (p.name == "f16") {
        p.description = "F16 everywhere";
        p.default_type = TypeChoice::of(DType::F16);
    } else if (p.name == "f32") {
        p.description = "F32 everywhere: no quantization (for pruning alone)";
        p.default_type = TypeChoice::of(DType::F32);
    } else {
        std::string known;
        for (auto n : kPresets) known += (known.empty() ? "" : ", ") + std::string(n);
        fail("unknown preset '" + std::string(name) + "' (known: " + known + ")");
    }
    return p;
}

// ---- resolution ----------------------------------------------------------------------------

bool is_plan_matrix(std::string_view name, size_t n_dims) {
    return n_dims == 2 && name.ends_with(".weight") && name.find("_norm.") == std::string_view::npos;
}

namespace {

// The types GPTQ writes: those whose blocks decode as scale * q + offset per value.
bool gptq_writes(DType t) {
    switch (t) {
        case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
        case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
            return true;
        default:
            return false;
    }
}

bool is_float_type(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

}  // namespace

PlanResolution resolve_plan(const CompressionPlan& plan, const TensorSet& tensors, const ModelConfig& config,
                            const std::map<std::string, DType>* original_types) {
    PlanResolution res;
    std::vector<TensorPattern> quant_patterns, prune_patterns;
    for (const auto& r : plan.rules) quant_patterns.emplace_back(r.match);
    for (const auto& r : plan.prune) prune_patterns.emplace_back(r.match);
    std::vector<int> quant_hits(plan.rules.size()), prune_hits(plan.prune.size());
    const std::string where = tensors.source().empty() ? "plan" : tensors.source();

    for (const GgufTensor& t : tensors.tensors()) {
        TensorDecision d;
        d.name = t.name;
        d.source_type = d.wanted_type = d.target_type = t.type;
        if (original_types)
            if (auto it = original_types->find(t.name); it != original_types->end()) d.source_type = it->second;
        d.matrix = is_plan_matrix(t.name, t.shape.size());
        if (!d.matrix) {
            res.tensors.push_back(std::move(d));
            continue;
        }
        const int64_t cols = static_cast<int64_t>(t.shape[0]);
        // Which calibration statistics describe this matrix's input: none for the
        // token embedding (a lookup table), unless it doubles as the output matrix.
        const bool has_inputs = t.name != "token_embd.weight" || config.tied_output;

        TypeChoice type = plan.default_type;
        d.method = plan.method;
        d.importance = plan.importance;
        for (size_t i = 0; i < plan.rules.size(); ++i) {
            if (!quant_patterns[i].matches(t.name)) continue;
            ++quant_hits[i];
            d.quant_rule = static_cast<int>(i);
            const QuantRule& r = plan.rules[i];
            if (r.type) type = *r.type;
            if (r.method) d.method = *r.method;
            if (r.importance) d.importance = *r.importance;
            break;
        }
        const std::string rule_name = d.quant_rule < 0 ? "default_type" : "rules[" + std::to_string(d.quant_rule) + "]";
        d.wanted_type = type.resolve(d.source_type);
        if (!parse_type_choice(dtype_name(d.wanted_type)))
            fail(where + ": " + t.name + " is " + std::string(dtype_name(d.wanted_type)) +
                 ", which Pareto cannot write: give it a type (" + rule_name + " keeps it)");
        d.target_type = synth_fallback_type(d.wanted_type, cols);
        if (d.target_type != d.wanted_type)
            res.warnings.push_back(t.name + ": " + std::string(dtype_name(d.wanted_type)) + " -> " +
                                   std::string(dtype_name(d.target_type)) + " (rows of " + std::to_string(cols) +
                                   " values are not whole " + std::string(dtype_name(d.wanted_type)) + " blocks)");

        // Float targets are plain conversions: the method does not apply.
        if (is_float_type(d.target_type)) {
            d.method = QuantMethod::Rtn;
            d.importance = false;
        }
        if (!has_inputs && (d.method == QuantMethod::Gptq || d.importance)) {
            res.warnings.push_back(t.name + ": a lookup table with no input activations: plain round-to-nearest");
            d.method = QuantMethod::Rtn;
            d.importance = false;
        }
        if (d.method == QuantMethod::Gptq && !gptq_writes(d.target_type))
            fail(where + ": " + rule_name + " asks GPTQ to write " + std::string(dtype_name(d.target_type)) + " for " +
                 t.name + "; GPTQ writes Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K (use method rtn for it)");

        for (size_t i = 0; i < plan.prune.size(); ++i) {
            if (!prune_patterns[i].matches(t.name)) continue;
            ++prune_hits[i];
            const PruneRule& r = plan.prune[i];
            const std::string pr = "prune[" + std::to_string(i) + "]";
            if (r.method != PruneMethod::Magnitude && !has_inputs)
                fail(where + ": " + pr + " applies " + std::string(prune_method_name(r.method)) + " to " + t.name +
                     ", a lookup table with no input activations (use magnitude, or exclude it from the pattern)");
            if (r.target.is_n_m() && cols % r.target.m != 0)
                fail(where + ": " + pr + " pattern " + r.target.describe() + " needs rows whose length is a multiple of " +
                     std::to_string(r.target.m) + "; " + t.name + " has rows of " + std::to_string(cols));
            d.prune = r;
            d.prune_rule = static_cast<int>(i);
            break;
        }

        const bool prune_needs_inputs = d.prune && d.prune->method != PruneMethod::Magnitude;
        if (d.method == QuantMethod::Gptq || (d.prune && d.prune->method == PruneMethod::SparseGpt))
            res.needs_hessians = true;
        if (d.importance || d.method == QuantMethod::Gptq || prune_needs_inputs) res.needs_calibration = true;
        res.tensors.push_back(std::move(d));
    }
    for (size_t i = 0; i < plan.rules.size(); ++i)
        if (quant_hits[i] == 0)
            res.warnings.push_back("rules[" + std::to_string(i) + "] ('" + plan.rules[i].match + "') matches no weight matrix");
    for (size_t i = 0; i < plan.prune.size(); ++i)
        if (prune_hits[i] == 0)
            res.warnings.push_back("prune[" + std::to_string(i) + "] ('" + plan.prune[i].match + "') matches no weight matrix");
    return res;
}

uint32_t derive_file_type(const std::vector<TensorDecision>& decisions, const TensorSet& tensors) {
    std::map<DType, uint64_t> elements;
    for (const TensorDecision& d : decisions) {
        if (!d.matrix) continue;
        if (const GgufTensor* t = tensors.find(d.name)) elements[d.target_type] += t->n_elements;
    }
    DType best = DType::F32;
    uint64_t best_n = 0;
    bool best_quantized = false;
    for (const auto& [type, n] : elements) {
        const bool quantized = !is_float_type(type);
        // A quantized type wins over any float type (llama.cpp's "mostly Q4_0" files
        // keep unusual rows in F16); among equals, the most weights.
        if ((quantized && !best_quantized) || (quantized == best_quantized && n > best_n)) {
            best = type;
            best_n = n;
            best_quantized = quantized;
        }
    }
    return dtype_file_type(best).value_or(0);
}

}  // namespace pareto

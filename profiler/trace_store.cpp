#include "profiler/trace_store.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "profiler/isolated_call.h"
#include "util/error.h"

namespace pareto::prof {
namespace {

namespace fs = std::filesystem;

// Debian's libhdf5 is built without thread safety: every call goes through here.
std::recursive_mutex& hdf5_mutex() {
    static std::recursive_mutex m;
    return m;
}

// True in the child that checks a trace (TraceFile::open). It was forked with the
// mutex held by the parent's thread; the child's thread has another id, so locking
// the recursive mutex again would wait forever. The child has one thread: no lock.
bool g_isolated_child = false;

class Hdf5Lock {
public:
    Hdf5Lock() {
        if (!g_isolated_child) hdf5_mutex().lock();
    }
    ~Hdf5Lock() {
        if (!g_isolated_child) hdf5_mutex().unlock();
    }
    Hdf5Lock(const Hdf5Lock&) = delete;
    Hdf5Lock& operator=(const Hdf5Lock&) = delete;
};

// HDF5 prints its error stack to stderr by default; Pareto reports errors itself.
// HDF5 also closes what is still open at exit; a file whose close failed (a write
// error on a full disk) stays registered half-closed, and that exit-time close
// crashed (SIGSEGV in H5F__close_cb). Every trace is closed by its owner before
// then, so the exit-time pass is skipped (H5dont_atexit: before HDF5 initialises).
void silence_hdf5() {
    static const bool once = [] {
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)once;
}

// The innermost description on HDF5's error stack, for messages.
std::string hdf5_error() {
    std::string last;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD,
             [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
                 if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
                 return 0;
             },
             &last);
    H5Eclear2(H5E_DEFAULT);
    return last.empty() ? "" : " (HDF5: " + last + ")";
}

// Owns one HDF5 identifier.
class Id {
public:
    Id() = default;
    explicit Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    Id& operator=(Id&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            close_ = o.close_;
            o.id_ = -1;
        }
        return *this;
    }
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    ~Id() { reset(); }
    void reset() {
        if (id_ >= 0 && close_) close_(id_);
        id_ = -1;
    }
    hid_t get() const { return id_; }
    operator hid_t() const { return id_; }  // NOLINT: used as the C API's handle
    bool ok() const { return id_ >= 0; }

private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

Id checked(hid_t id, herr_t (*close)(hid_t), const std::string& what) {
    if (id < 0) fail(what + hdf5_error());
    return Id(id, close);
}
void check(herr_t r, const std::string& what) {
    if (r < 0) fail(what + hdf5_error());
}

// ---- types -------------------------------------------------------------------

Id enum_type(const std::vector<std::pair<const char*, uint8_t>>& values) {
    Id t = checked(H5Tenum_create(H5T_NATIVE_UINT8), H5Tclose, "HDF5 enum type");
    for (const auto& [name, v] : values) check(H5Tenum_insert(t, name, &v), "HDF5 enum value");
    return t;
}

Id op_kind_type() {
    std::vector<std::string> names;
    std::vector<std::pair<const char*, uint8_t>> values;
    names.reserve(kOpKindCount);
    for (int k = 0; k < kOpKindCount; ++k) names.emplace_back(op_kind_name(static_cast<OpKind>(k)));
    for (int k = 0; k < kOpKindCount; ++k) values.emplace_back(names[static_cast<size_t>(k)].c_str(), uint8_t(k));
    return enum_type(values);
}
Id phase_type() { return enum_type({{"prefill", 0}, {"decode", 1}}); }
Id category_type() { return enum_type({{"weights", 0}, {"kv_cache", 1}, {"scratch", 2}}); }
Id string_type() {
    Id t = checked(H5Tcopy(H5T_C_S1), H5Tclose, "HDF5 string type");
    check(H5Tset_size(t, H5T_VARIABLE), "HDF5 string type");
    check(H5Tset_cset(t, H5T_CSET_UTF8), "HDF5 string type");
    return t;
}

// A compound type described member by member from a C++ struct.
class Compound {
public:
    explicit Compound(size_t size) : type_(checked(H5Tcreate(H5T_COMPOUND, size), H5Tclose, "HDF5 compound type")) {}
    Compound& add(const char* name, size_t offset, hid_t member) {
        check(H5Tinsert(type_, name, offset, member), std::string("HDF5 compound member ") + name);
        return *this;
    }
    hid_t get() const { return type_; }
    // The packed on-disk form of the memory layout.
    Id packed() const {
        Id t = checked(H5Tcopy(type_), H5Tclose, "HDF5 type copy");
        check(H5Tpack(t), "HDF5 type pack");
        return t;
    }

private:
    Id type_;
};

#define PARETO_MEMBER(T, field) #field, offsetof(T, field)

struct OpRow {
    int64_t t_begin_ns, t_end_ns, pos;
    uint64_t bytes_read, flops;
    int32_t step, layer, n_tokens;
    uint8_t kind, phase;
    uint16_t thread;
};
struct TokenRow {
    int32_t step;
    uint8_t phase;
    int32_t n_tokens;
    int64_t pos;
    int32_t token_id;
    int64_t t_begin_ns, t_end_ns;
};
struct MemoryRow {
    int64_t t_ns;
    uint64_t rss_bytes, peak_rss_bytes;
};
struct BreakdownRow {
    uint8_t category;
    const char* name;
    const char* type;
    int32_t layer;
    uint64_t bytes;
};
struct KindSummaryRow {
    uint8_t phase, kind;
    int64_t count, total_ns;
    uint64_t bytes, flops;
};
struct LayerSummaryRow {
    uint8_t phase;
    int32_t layer;
    int64_t count, total_ns;
    uint64_t bytes, flops;
};

struct Types {
    Id kind = op_kind_type(), phase = phase_type(), category = category_type(), str = string_type();
    Compound op{sizeof(OpRow)}, token{sizeof(TokenRow)}, memory{sizeof(MemoryRow)},
        breakdown{sizeof(BreakdownRow)}, kind_summary{sizeof(KindSummaryRow)}, layer_summary{sizeof(LayerSummaryRow)};
    Types() {
        op.add(PARETO_MEMBER(OpRow, t_begin_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(OpRow, t_end_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(OpRow, pos), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(OpRow, bytes_read), H5T_NATIVE_UINT64)
            .add(PARETO_MEMBER(OpRow, flops), H5T_NATIVE_UINT64)
            .add(PARETO_MEMBER(OpRow, step), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(OpRow, layer), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(OpRow, n_tokens), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(OpRow, kind), kind)
            .add(PARETO_MEMBER(OpRow, phase), phase)
            .add(PARETO_MEMBER(OpRow, thread), H5T_NATIVE_UINT16);
        token.add(PARETO_MEMBER(TokenRow, step), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(TokenRow, phase), phase)
            .add(PARETO_MEMBER(TokenRow, n_tokens), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(TokenRow, pos), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(TokenRow, token_id), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(TokenRow, t_begin_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(TokenRow, t_end_ns), H5T_NATIVE_INT64);
        memory.add(PARETO_MEMBER(MemoryRow, t_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(MemoryRow, rss_bytes), H5T_NATIVE_UINT64)
            .add(PARETO_MEMBER(MemoryRow, peak_rss_bytes), H5T_NATIVE_UINT64);
        breakdown.add(PARETO_MEMBER(BreakdownRow, category), category)
            .add(PARETO_MEMBER(BreakdownRow, name), str)
            .add(PARETO_MEMBER(BreakdownRow, type), str)
            .add(PARETO_MEMBER(BreakdownRow, layer), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(BreakdownRow, bytes), H5T_NATIVE_UINT64);
        kind_summary.add(PARETO_MEMBER(KindSummaryRow, phase), phase)
            .add(PARETO_MEMBER(KindSummaryRow, kind), kind)
            .add(PARETO_MEMBER(KindSummaryRow, count), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(KindSummaryRow, total_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(KindSummaryRow, bytes), H5T_NATIVE_UINT64)
            .add(PARETO_MEMBER(KindSummaryRow, flops), H5T_NATIVE_UINT64);
        layer_summary.add(PARETO_MEMBER(LayerSummaryRow, phase), phase)
            .add(PARETO_MEMBER(LayerSummaryRow, layer), H5T_NATIVE_INT32)
            .add(PARETO_MEMBER(LayerSummaryRow, count), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(LayerSummaryRow, total_ns), H5T_NATIVE_INT64)
            .add(PARETO_MEMBER(LayerSummaryRow, bytes), H5T_NATIVE_UINT64)
            .add(PARETO_MEMBER(LayerSummaryRow, flops), H5T_NATIVE_UINT64);
    }
};

// ---- attributes --------------------------------------------------------------

void write_attr(hid_t loc, const char* name, const std::string& v) {
    Id type = string_type();
    Id space = checked(H5Screate(H5S_SCALAR), H5Sclose, "HDF5 dataspace");
    Id a = checked(H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   std::string("cannot write attribute ") + name);
    const char* p = v.c_str();
    check(H5Awrite(a, type, &p), std::string("cannot write attribute ") + name);
}
template <class T>
void write_attr_num(hid_t loc, const char* name, hid_t native, T v) {
    Id space = checked(H5Screate(H5S_SCALAR), H5Sclose, "HDF5 dataspace");
    Id a = checked(H5Acreate2(loc, name, native, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   std::string("cannot write attribute ") + name);
    check(H5Awrite(a, native, &v), std::string("cannot write attribute ") + name);
}
void write_attr(hid_t loc, const char* name, int64_t v) { write_attr_num(loc, name, H5T_NATIVE_INT64, v); }
void write_attr(hid_t loc, const char* name, uint64_t v) { write_attr_num(loc, name, H5T_NATIVE_UINT64, v); }
void write_attr(hid_t loc, const char* name, int32_t v) { write_attr_num(loc, name, H5T_NATIVE_INT32, v); }
void write_attr(hid_t loc, const char* name, double v) { write_attr_num(loc, name, H5T_NATIVE_DOUBLE, v); }

bool has_attr(hid_t loc, const char* name) { return H5Aexists(loc, name) > 0; }

std::string read_attr_string(hid_t loc, const char* name, const std::string& where) {
    if (!has_attr(loc, name)) fail(where + ": attribute '" + name + "' is missing");
    Id a = checked(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose, where + ": cannot open attribute " + name);
    Id ftype = checked(H5Aget_type(a), H5Tclose, where + ": attribute " + name);
    if (H5Tget_class(ftype) != H5T_STRING) fail(where + ": attribute '" + std::string(name) + "' is not a string");
    if (H5Tis_variable_str(ftype) > 0) {
        Id mtype = string_type();
        char* p = nullptr;
        check(H5Aread(a, mtype, &p), where + ": cannot read attribute " + name);
        std::string s = p ? p : "";
        H5free_memory(p);
        return s;
    }
    const size_t n = H5Tget_size(ftype);
    if (n > (size_t{1} << 24)) fail(where + ": attribute '" + std::string(name) + "' is implausibly long");
    std::string s(n, '\0');
    Id mtype = checked(H5Tcopy(H5T_C_S1), H5Tclose, "HDF5 string type");
    check(H5Tset_size(mtype, n), "HDF5 string type");
    check(H5Aread(a, mtype, s.data()), where + ": cannot read attribute " + name);
    s.resize(std::strlen(s.c_str()));
    return s;
}
template <class T>
T read_attr_num(hid_t loc, const char* name, hid_t native, const std::string& where) {
    if (!has_attr(loc, name)) fail(where + ": attribute '" + name + "' is missing");
    Id a = checked(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose, where + ": cannot open attribute " + name);
    Id space = checked(H5Aget_space(a), H5Sclose, where + ": attribute " + name);
    if (H5Sget_simple_extent_npoints(space) != 1) fail(where + ": attribute '" + std::string(name) + "' is not a scalar");
    T v{};
    check(H5Aread(a, native, &v), where + ": attribute '" + std::string(name) + "' has the wrong type");
    return v;
}

// ---- datasets ----------------------------------------------------------------

template <class Row>
void write_table(hid_t group, const char* name, const Compound& type, const std::vector<Row>& rows) {
    const hsize_t n = rows.size(), max = H5S_UNLIMITED;
    Id space = checked(H5Screate_simple(1, &n, &max), H5Sclose, "HDF5 dataspace");
    Id dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "HDF5 property list");
    // Chunks of about 256 KiB; byte shuffling then deflate shrink op tables ~5x.
    const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(std::max<hsize_t>(n, 1), (256 << 10) / sizeof(Row)));
    check(H5Pset_chunk(dcpl, 1, &chunk), "HDF5 chunking");
    check(H5Pset_shuffle(dcpl), "HDF5 shuffle filter");
    check(H5Pset_deflate(dcpl, 4), "HDF5 deflate filter");
    Id ftype = type.packed();
    Id ds = checked(H5Dcreate2(group, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                    std::string("cannot create dataset ") + name);
    if (n > 0) check(H5Dwrite(ds, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
                     std::string("cannot write dataset ") + name);
}

template <class Row>
std::vector<Row> read_table(hid_t group, const char* name, const Compound& type, const std::string& where) {
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) fail(where + ": dataset '" + name + "' is missing");
    Id ds = checked(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, where + ": cannot open dataset " + name);
    Id space = checked(H5Dget_space(ds), H5Sclose, where + ": dataset " + name);
    if (H5Sget_simple_extent_ndims(space) != 1) fail(where + ": dataset '" + std::string(name) + "' is not a table");
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, nullptr);
    if (n > (hsize_t{1} << 31)) fail(where + ": dataset '" + std::string(name) + "' is implausibly large");
    std::vector<Row> rows(static_cast<size_t>(n));
    if (n > 0) check(H5Dread(ds, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
                     where + ": dataset '" + std::string(name) + "' cannot be read (damaged or wrong layout)");
    return rows;
}

// ---- runs --------------------------------------------------------------------

void write_config(hid_t g, const RunConfig& c) {
    write_attr(g, "kind", c.kind);
    write_attr(g, "created", c.created);
    write_attr(g, "pareto_version", c.pareto_version);
    write_attr(g, "model_path", c.model_path);
    write_attr(g, "model_sha256", c.model_sha256);
    write_attr(g, "model_name", c.model_name);
    write_attr(g, "architecture", c.architecture);
    write_attr(g, "model_type", c.model_type);
    write_attr(g, "compression_plan", c.compression_plan);
    write_attr(g, "n_params", c.n_params);
    write_attr(g, "weight_bytes", c.weight_bytes);
    write_attr(g, "threads", c.threads);
    write_attr(g, "cpu_model", c.cpu_model);
    write_attr(g, "simd", c.simd);
    write_attr(g, "n_ctx", c.n_ctx);
    write_attr(g, "n_batch", c.n_batch);
    write_attr(g, "seed", c.seed);
    write_attr(g, "sampler", c.sampler);
    write_attr(g, "prompt", c.prompt);
    write_attr(g, "n_prompt", c.n_prompt);
    write_attr(g, "n_generated", c.n_generated);
}

RunConfig read_config(hid_t g, const std::string& name, const std::string& where) {
    RunConfig c;
    c.name = name;
    auto s = [&](const char* a) { return read_attr_string(g, a, where); };
    auto i64 = [&](const char* a) { return read_attr_num<int64_t>(g, a, H5T_NATIVE_INT64, where); };
    auto u64 = [&](const char* a) { return read_attr_num<uint64_t>(g, a, H5T_NATIVE_UINT64, where); };
    c.kind = s("kind");
    c.created = s("created");
    c.pareto_version = s("pareto_version");
    c.model_path = s("model_path");
    c.model_sha256 = s("model_sha256");
    c.model_name = s("model_name");
    c.architecture = s("architecture");
    c.model_type = s("model_type");
    c.compression_plan = s("compression_plan");
    c.n_params = u64("n_params");
    c.weight_bytes = u64("weight_bytes");
    c.threads = read_attr_num<int32_t>(g, "threads", H5T_NATIVE_INT32, where);
    c.cpu_model = s("cpu_model");
    c.simd = s("simd");
    c.n_ctx = i64("n_ctx");
    c.n_batch = i64("n_batch");
    c.seed = u64("seed");
    c.sampler = s("sampler");
    c.prompt = s("prompt");
    c.n_prompt = i64("n_prompt");
    c.n_generated = i64("n_generated");
    return c;
}

void write_accuracy(hid_t run, const AccuracyRecord& a) {
    Id gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "HDF5 property list");
    check(H5Pset_attr_phase_change(gcpl, 64, 56), "HDF5 attribute storage");  // compact: see write_run
    Id g = checked(H5Gcreate2(run, "accuracy", H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose,
                   "cannot create group accuracy");
    write_attr(g, "text", a.text);
    write_attr(g, "n_ctx", a.n_ctx);
    write_attr(g, "n_chunks", a.n_chunks);
    write_attr(g, "n_scored", a.n_scored);
    write_attr(g, "ppl", a.ppl);
    write_attr(g, "ppl_error", a.ppl_error);
    write_attr(g, "has_baseline", int32_t{a.has_baseline});
    if (!a.has_baseline) return;
    write_attr(g, "base_model", a.base_model);
    write_attr(g, "base_ppl", a.base_ppl);
    write_attr(g, "base_ppl_error", a.base_ppl_error);
    write_attr(g, "kl_mean", a.kl_mean);
    write_attr(g, "kl_error", a.kl_error);
    write_attr(g, "kl_median", a.kl_median);
    write_attr(g, "kl_p90", a.kl_p90);
    write_attr(g, "kl_p99", a.kl_p99);
    write_attr(g, "kl_max", a.kl_max);
    write_attr(g, "same_top_rate", a.same_top_rate);
    write_attr(g, "delta_p_mean", a.delta_p_mean);
    write_attr(g, "delta_p_rms", a.delta_p_rms);
}

std::optional<AccuracyRecord> read_accuracy(hid_t run, const std::string& where_run) {
    if (H5Lexists(run, "accuracy", H5P_DEFAULT) <= 0) return std::nullopt;
    const std::string where = where_run + "/accuracy";
    Id g = checked(H5Gopen2(run, "accuracy", H5P_DEFAULT), H5Gclose, where + ": cannot open");
    auto d = [&](const char* a) { return read_attr_num<double>(g, a, H5T_NATIVE_DOUBLE, where); };
    auto i64 = [&](const char* a) { return read_attr_num<int64_t>(g, a, H5T_NATIVE_INT64, where); };
    AccuracyRecord a;
    a.text = read_attr_string(g, "text", where);
    a.n_ctx = i64("n_ctx");
    a.n_chunks = i64("n_chunks");
    a.n_scored = i64("n_scored");
    a.ppl = d("ppl");
    a.ppl_error = d("ppl_error");
    a.has_baseline = read_attr_num<int32_t>(g, "has_baseline", H5T_NATIVE_INT32, where) != 0;
    if (a.has_baseline) {
        a.base_model = read_attr_string(g, "base_model", where);
        a.base_ppl = d("base_ppl");
        a.base_ppl_error = d("base_ppl_error");
        a.kl_mean = d("kl_mean");
        a.kl_error = d("kl_error");
        a.kl_median = d("kl_median");
        a.kl_p90 = d("kl_p90");
        a.kl_p99 = d("kl_p99");
        a.kl_max = d("kl_max");
        a.same_top_rate = d("same_top_rate");
        a.delta_p_mean = d("delta_p_mean");
        a.delta_p_rms = d("delta_p_rms");
    }
    return a;
}

constexpr unsigned kMaxRunAttributes = 64;

void write_run(hid_t runs, const std::string& name, const Run& run) {
    const Types t;
    // Attributes stay in the group's header ("compact"): HDF5 1.10's object copy,
    // which appending relies on, crashes on variable-length strings in dense storage.
    Id gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "HDF5 property list");
    check(H5Pset_attr_phase_change(gcpl, kMaxRunAttributes, kMaxRunAttributes - 8), "HDF5 attribute storage");
    Id g = checked(H5Gcreate2(runs, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose,
                   "cannot create the group of run '" + name + "'");
    write_config(g, run.config);

    // Headline numbers as attributes, so a listing needs no table.
    const RunSummary s = summarize(run);
    write_attr(g, "n_ops", static_cast<int64_t>(run.ops.size()));
    write_attr(g, "ttft_ms", s.latency.ttft_ms);
    write_attr(g, "tpot_mean_ms", s.latency.tpot_mean_ms);
    write_attr(g, "tpot_p50_ms", s.latency.tpot_p50_ms);
    write_attr(g, "tpot_p90_ms", s.latency.tpot_p90_ms);
    write_attr(g, "tpot_p99_ms", s.latency.tpot_p99_ms);
    write_attr(g, "prefill_tokens_per_s", s.latency.prefill_tokens_per_s);
    write_attr(g, "decode_tokens_per_s", s.latency.decode_tokens_per_s);
    write_attr(g, "accounted", s.accounted);

    std::vector<OpRow> ops;
    ops.reserve(run.ops.size());
    for (const OpRecord& r : run.ops)
        ops.push_back({r.t_begin_ns, r.t_end_ns, r.pos, r.bytes_read, r.flops, r.step, r.layer, r.n_tokens,
                       static_cast<uint8_t>(r.kind), static_cast<uint8_t>(r.phase), r.thread});
    write_table(g, "ops", t.op, ops);

    std::vector<TokenRow> tokens;
    for (const TokenRecord& r : run.tokens)
        tokens.push_back({r.step, static_cast<uint8_t>(r.phase), r.n_tokens, r.pos, r.token_id, r.t_begin_ns, r.t_end_ns});
    write_table(g, "tokens", t.token, tokens);

    std::vector<MemoryRow> memory;
    for (const MemorySample& m : run.memory) memory.push_back({m.t_ns, m.rss_bytes, m.peak_rss_bytes});
    write_table(g, "memory", t.memory, memory);

    std::vector<BreakdownRow> breakdown;
    for (const MemoryEntry& e : run.memory_breakdown)
        breakdown.push_back({static_cast<uint8_t>(e.category), e.name.c_str(), e.type.c_str(), e.layer, e.bytes});
    write_table(g, "memory_breakdown", t.breakdown, breakdown);

    std::vector<KindSummaryRow> by_kind;
    std::vector<LayerSummaryRow> by_layer;
    for (int ph = 0; ph < RunSummary::kPhases; ++ph) {
        for (int k = 0; k < kOpKindCount; ++k) {
            const OpStats& o = s.by_kind[size_t(ph)][size_t(k)];
            if (o.count) by_kind.push_back({uint8_t(ph), uint8_t(k), o.count, o.total_ns, o.bytes, o.flops});
        }
        for (size_t l = 0; l < s.by_layer.size(); ++l) {
            const OpStats& o = s.by_layer[l][size_t(ph)];
            if (o.count) by_layer.push_back({uint8_t(ph), int32_t(l), o.count, o.total_ns, o.bytes, o.flops});
        }
    }
    write_table(g, "summary_by_kind", t.kind_summary, by_kind);
    write_table(g, "summary_by_layer", t.layer_summary, by_layer);
    if (run.accuracy) write_accuracy(g, *run.accuracy);
}

// Names of the runs in the order they were appended.
std::vector<std::string> run_names(hid_t file, const std::string& where) {
    std::vector<std::string> names;
    if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0) fail(where + ": group 'runs' is missing: the file is damaged");
    Id runs = checked(H5Gopen2(file, "runs", H5P_DEFAULT), H5Gclose, where + ": cannot open group 'runs'");
    H5G_info_t info;
    check(H5Gget_info(runs, &info), where + ": cannot list runs");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t n = H5Lget_name_by_idx(runs, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (n < 0) fail(where + ": cannot read the name of run " + std::to_string(i) + hdf5_error());
        std::string name(static_cast<size_t>(n) + 1, '\0');
        H5Lget_name_by_idx(runs, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
        name.resize(static_cast<size_t>(n));
        names.push_back(std::move(name));
    }
    return names;
}

Id create_trace_file(const std::string& path) {
    Id fcpl = checked(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "HDF5 property list");
    Id fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "HDF5 property list");
    // The 1.8 format: readable by every HDF5 (and h5py) still in use.
    check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "HDF5 format version");
    Id f = checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl), H5Fclose, "cannot create " + path);
    write_attr(f, "format", std::string(kTraceFormatName));
    write_attr(f, "schema_version", int32_t{kTraceSchemaVersion});
    write_attr(f, "writer", std::string("pareto ") + PARETO_VERSION);
    Id gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "HDF5 property list");
    check(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "HDF5 link order");
    Id runs = checked(H5Gcreate2(f, "runs", H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, "cannot create group runs");
    return f;
}

// Holds an exclusive flock on a directory while alive: appenders take turns.
class DirectoryLock {
public:
    explicit DirectoryLock(const fs::path& dir) {
        fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) fail("cannot open directory " + dir.string() + ": " + std::strerror(errno));
        if (::flock(fd_, LOCK_EX) != 0) {
            const int e = errno;
            ::close(fd_);
            fail("cannot lock directory " + dir.string() + ": " + std::strerror(e));
        }
    }
    ~DirectoryLock() {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

void fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot reopen " + path + " to flush it: " + std::strerror(errno));
    const int r = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    if (r != 0) fail("cannot flush " + path + " to disk: " + std::strerror(e));
}

}  // namespace

void validate_run_name(const std::string& name) {
    if (name.empty() || name.size() > 128) fail("run name '" + name + "' must have 1 to 128 characters");
    if (name == "." || name == "..") fail("run name '" + name + "' is reserved");
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '/' || c < 0x20 || c == 0x7f) fail("run name '" + name + "' contains '/' or a control character");
    }
}

void check_appendable(const std::string& path, const std::string& name) {
    if (!name.empty()) validate_run_name(name);
    std::error_code ec;
    if (!fs::exists(path, ec)) return;
    const TraceFile existing = TraceFile::open(path);
    if (!name.empty() && existing.has_run(name))
        fail(path + " already has a run named '" + name + "' (choose another name)");
}

// ---- isolation -----------------------------------------------------------------

// What makes a file "the same file" for the verdict cache. ctime cannot be set by
// users (mtime can: touch -d), so a file rewritten in place is always seen as new.
struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    auto tie() const { return std::tie(dev, ino, size, mtime_ns, ctime_ns); }
    bool operator==(const FileIdentity& o) const { return tie() == o.tie(); }
    bool operator<(const FileIdentity& o) const { return tie() < o.tie(); }
};

namespace {

FileIdentity identity_from(const struct stat& st) {
    FileIdentity id;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.size = st.st_size;
    id.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    id.ctime_ns = int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    return id;
}

// The identity of a regular file at `path`; none for anything else (missing,
// directory, FIFO), whose error open_in_process gives without reading it.
std::optional<FileIdentity> identity_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return identity_from(st);
}

// Thrown by open_in_process when the file it opened is not the one the child read.
struct IdentityChanged {};

// A checked file's verdict. A refusal names the path it was found under and is
// only reused for that path, so its message stays true.
struct Verdict {
    bool ok = false;
    std::string path;
    std::string message;
    std::optional<ChildOutcome> crash;  // set when the child crashed or hung
};

// Guarded by hdf5_mutex (TraceFile::open and append_run hold it).
std::map<FileIdentity, Verdict>& verdicts() {
    static std::map<FileIdentity, Verdict> m;
    return m;
}

void remember(const FileIdentity& id, Verdict v) {
    auto& m = verdicts();
    if (m.size() >= 256) m.clear();  // a bound, not an LRU: re-checking is only slower
    m[id] = std::move(v);
}

void (*g_child_hook)() = nullptr;
std::chrono::milliseconds g_child_timeout{60'000};
int g_checks = 0;

bool isolation_enabled() {
    const char* v = std::getenv("PARETO_TRACE_ISOLATION");
    return !(v && std::string(v) == "0");
}

[[noreturn]] void throw_verdict(const Verdict& v) {
    if (v.crash) throw ReaderCrashed(v.message, *v.crash);
    fail(v.message);
}

// The message for a child that did not come back with an answer.
std::string refusal(const std::string& path, const ChildOutcome& o) {
    const bool ours = crash_site(o.report, "libhdf5") == CrashSite::Other;
    if (o.kind == ChildOutcome::Kind::TimedOut) {
        const std::string limit =
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(g_child_timeout).count() / 1000.0);
        const std::string within = "did not finish within " + limit.substr(0, limit.find('.') + 2) + " s";
        if (ours)
            return path + ": reading the trace " + within +
                   ": Pareto's trace reader hung on it; Pareto will not open it. This is a bug in Pareto: please "
                   "report it with the file";
        return path + ": the trace is damaged: reading it " + within + " (the HDF5 library hung on it); Pareto will not open it";
    }
    const std::string how = o.signal ? signal_name(o.signal) : "exit status " + std::to_string(o.exit_status);
    if (ours)
        return path + ": reading the trace crashed Pareto's trace reader (" + how +
               "); Pareto will not open it. This is a bug in Pareto: please report it with the file";
    return path + ": the trace is damaged: reading it crashed the HDF5 library (" + how + "); Pareto will not open it";
}

}  // namespace

namespace isolation_testing {
void set_child_hook(void (*hook)()) {
    const Hdf5Lock lock;
    g_child_hook = hook;
}
void set_timeout(std::chrono::milliseconds t) {
    const Hdf5Lock lock;
    g_child_timeout = t;
}
int checks() {
    const Hdf5Lock lock;
    return g_checks;
}
void forget_verdicts() {
    const Hdf5Lock lock;
    verdicts().clear();
}
}  // namespace isolation_testing

// ---- TraceFile ---------------------------------------------------------------

TraceFile TraceFile::open(const std::string& path) {
    const Hdf5Lock lock;
    silence_hdf5();
    if (!isolation_enabled()) return open_in_process(path, nullptr);
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        const std::optional<FileIdentity> id = identity_of(path);
        if (!id) return open_in_process(path, nullptr);  // not a regular file: refused before HDF5 reads it
        const auto known = verdicts().find(*id);
        if (known != verdicts().end() && !known->second.ok && known->second.path == path) throw_verdict(known->second);
        if (known == verdicts().end() || !known->second.ok) {
            // The child reads what the parent would: the file, every run header and
            // every run's tables. A damaged table is an error here too, for that run
            // only, so the child passes over it and the rest of the file stays usable.
            const auto read_everything = [&path] {
                g_isolated_child = true;
                if (g_child_hook) g_child_hook();
                const TraceFile t = open_in_process(path, nullptr);
                for (const RunHeader& h : t.runs()) {
                    try {
                        (void)t.read_run(h.config.name);
                    } catch (const Error&) {
                    }
                }
            };
            ++g_checks;
            ChildOutcome o;
            try {
                o = run_in_child(read_everything, g_child_timeout);
            } catch (const Error& e) {
                fail(path + ": cannot check the trace in a separate process: " + e.what());
            }
            if (identity_of(path) != id) {
                if (attempt < kAttempts) continue;
                fail(path + ": the file kept changing while it was being checked; try again when it is written");
            }
            Verdict v;
            v.path = path;
            switch (o.kind) {
                case ChildOutcome::Kind::Ok: v.ok = true; break;
                case ChildOutcome::Kind::Error: v.message = o.message; break;
                case ChildOutcome::Kind::Crashed:
                case ChildOutcome::Kind::TimedOut:
                    v.message = refusal(path, o);
                    v.crash = std::move(o);
                    break;
            }
            remember(*id, v);
            if (!v.ok) throw_verdict(v);
        }
        try {
            return open_in_process(path, &*id);
        } catch (const IdentityChanged&) {
            if (attempt >= kAttempts)
                fail(path + ": the file kept changing while it was being checked; try again when it is written");
        }
    }
}

TraceFile TraceFile::open_in_process(const std::string& path, const FileIdentity* expect) {
    const Hdf5Lock lock;
    silence_hdf5();
    std::error_code ec;
    if (!fs::exists(path, ec)) fail(path + ": no such trace file");
    if (fs::is_directory(path, ec)) fail(path + ": is a directory, not a trace file");
    if (!fs::is_regular_file(path, ec)) fail(path + ": not a regular file, not a trace file");
    const htri_t is_h5 = H5Fis_hdf5(path.c_str());
    H5Eclear2(H5E_DEFAULT);
    if (is_h5 <= 0) fail(path + ": not an HDF5 file (a Pareto trace is HDF5; was it truncated or replaced?)");
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) fail(path + ": cannot open the HDF5 file, it is damaged" + hdf5_error());
    TraceFile t;
    t.path_ = path;
    t.file_ = f;
    if (expect) {
        // The file the child checked must be the one open here (not replaced since).
        void* handle = nullptr;
        struct stat st {};
        if (H5Fget_vfd_handle(f, H5P_DEFAULT, &handle) < 0 || !handle ||
            ::fstat(*static_cast<int*>(handle), &st) != 0 || !(identity_from(st) == *expect)) {
            H5Eclear2(H5E_DEFAULT);
            throw IdentityChanged{};
        }
    }
    if (!has_attr(f, "format") || read_attr_string(f, "format", path) != kTraceFormatName)
        fail(path + ": an HDF5 file but not a Pareto trace (no format = \"pareto-trace\" attribute)");
    t.schema_version_ = read_attr_num<int32_t>(f, "schema_version", H5T_NATIVE_INT32, path);
    if (t.schema_version_ < 1 || t.schema_version_ > kTraceSchemaVersion)
        fail(path + ": trace schema version " + std::to_string(t.schema_version_) + " is not supported (this Pareto reads 1.." +
             std::to_string(kTraceSchemaVersion) + ")");
    run_names(f, path);  // the index must be readable
    return t;
}

TraceFile::TraceFile(TraceFile&& o) noexcept
    : path_(std::move(o.path_)), file_(o.file_), schema_version_(o.schema_version_) {
    o.file_ = -1;
}

TraceFile& TraceFile::operator=(TraceFile&& o) noexcept {
    if (this != &o) {
        const Hdf5Lock lock;
        if (file_ >= 0) H5Fclose(static_cast<hid_t>(file_));
        path_ = std::move(o.path_);
        file_ = o.file_;
        schema_version_ = o.schema_version_;
        o.file_ = -1;
    }
    return *this;
}

TraceFile::~TraceFile() {
    if (file_ >= 0) {
        const Hdf5Lock lock;
        H5Fclose(static_cast<hid_t>(file_));
    }
}

std::vector<RunHeader> TraceFile::runs() const {
    const Hdf5Lock lock;
    const auto f = static_cast<hid_t>(file_);
    std::vector<RunHeader> out;
    for (const std::string& name : run_names(f, path_)) {
        const std::string where = path_ + ": run '" + name + "'";
        Id g = checked(H5Gopen2(f, ("runs/" + name).c_str(), H5P_DEFAULT), H5Gclose, where + ": cannot open");
        RunHeader h;
        h.config = read_config(g, name, where);
        auto d = [&](const char* a) { return read_attr_num<double>(g, a, H5T_NATIVE_DOUBLE, where); };
        h.n_ops = read_attr_num<int64_t>(g, "n_ops", H5T_NATIVE_INT64, where);
        h.latency.n_prompt = h.config.n_prompt;
        h.latency.ttft_ms = d("ttft_ms");
        h.latency.tpot_mean_ms = d("tpot_mean_ms");
        h.latency.tpot_p50_ms = d("tpot_p50_ms");
        h.latency.tpot_p90_ms = d("tpot_p90_ms");
        h.latency.tpot_p99_ms = d("tpot_p99_ms");
        h.latency.prefill_tokens_per_s = d("prefill_tokens_per_s");
        h.latency.decode_tokens_per_s = d("decode_tokens_per_s");
        h.accounted = d("accounted");
        h.accuracy = read_accuracy(g, where);
        out.push_back(std::move(h));
    }
    return out;
}

bool TraceFile::has_run(const std::string& name) const {
    const Hdf5Lock lock;
    for (const std::string& n : run_names(static_cast<hid_t>(file_), path_))
        if (n == name) return true;
    return false;
}

Run TraceFile::read_run(const std::string& name) const {
    const Hdf5Lock lock;
    const auto f = static_cast<hid_t>(file_);
    if (!has_run(name)) {
        std::string known;
        for (const std::string& n : run_names(f, path_)) known += (known.empty() ? "" : ", ") + n;
        fail(path_ + ": no run named '" + name + "' (runs: " + (known.empty() ? "none" : known) + ")");
    }
    const std::string where = path_ + ": run '" + name + "'";
    Id g = checked(H5Gopen2(f, ("runs/" + name).c_str(), H5P_DEFAULT), H5Gclose, where + ": cannot open");
    const Types t;
    Run run;
    run.config = read_config(g, name, where);
    for (const OpRow& r : read_table<OpRow>(g, "ops", t.op, where)) {
        if (r.kind >= kOpKindCount || r.phase > 1) fail(where + ": dataset 'ops' holds an unknown op kind or phase");
        run.ops.push_back({r.t_begin_ns, r.t_end_ns, r.pos, r.bytes_read, r.flops, r.step, r.layer, r.n_tokens,
                           static_cast<OpKind>(r.kind), static_cast<Phase>(r.phase), r.thread});
    }
    for (const TokenRow& r : read_table<TokenRow>(g, "tokens", t.token, where))
        run.tokens.push_back({r.step, static_cast<Phase>(r.phase > 1 ? 0 : r.phase), r.n_tokens, r.pos, r.token_id,
                              r.t_begin_ns, r.t_end_ns});
    for (const MemoryRow& r : read_table<MemoryRow>(g, "memory", t.memory, where))
        run.memory.push_back({r.t_ns, r.rss_bytes, r.peak_rss_bytes});
    std::vector<BreakdownRow> rows = read_table<BreakdownRow>(g, "memory_breakdown", t.breakdown, where);
    for (const BreakdownRow& r : rows)
        run.memory_breakdown.push_back({static_cast<MemoryEntry::Category>(r.category > 2 ? 0 : r.category),
                                        r.name ? r.name : "", r.type ? r.type : "", r.layer, r.bytes});
    // The variable-length strings were allocated by HDF5.
    if (!rows.empty()) {
        const hsize_t n = rows.size();
        Id space = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, "HDF5 dataspace");
        H5Dvlen_reclaim(t.breakdown.get(), space, H5P_DEFAULT, rows.data());
    }
    run.accuracy = read_accuracy(g, where);
    return run;
}

// ---- appending ---------------------------------------------------------------

std::string append_run(const std::string& path, const Run& run) {
    const Hdf5Lock lock;
    silence_hdf5();
    if (path.empty()) fail("no trace file named");
    const fs::path target = fs::absolute(path);
    const fs::path dir = target.parent_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail("cannot write trace " + path + ": directory " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        fail("cannot write trace " + path + ": directory " + dir.string() + " is not writable (" + std::strerror(errno) + ")");
    const DirectoryLock dir_lock(dir);

    // Temporary files of writers that were killed: nobody else holds the lock, so
    // any left are stale.
    const std::string tmp_prefix = "." + target.filename().string() + ".tmp-";
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().rfind(tmp_prefix, 0) == 0) fs::remove(e.path(), ec);

    std::optional<TraceFile> old;
    std::vector<std::string> names;
    if (fs::exists(target, ec)) {
        old = TraceFile::open(target.string());
        names = run_names(static_cast<hid_t>(old->file_), path);
    }
    std::string name = run.config.name;
    if (name.empty())
        for (size_t n = names.size() + 1; name.empty() || std::find(names.begin(), names.end(), name) != names.end(); ++n)
            name = "run-" + std::to_string(n);
    validate_run_name(name);
    if (std::find(names.begin(), names.end(), name) != names.end())
        fail(path + " already has a run named '" + name + "' (choose another name)");

    const fs::path tmp = dir / (tmp_prefix + std::to_string(::getpid()));
    try {
        {
            Id f = create_trace_file(tmp.string());
            Id runs = checked(H5Gopen2(f, "runs", H5P_DEFAULT), H5Gclose, "cannot open group runs");
            if (old) {
                // The earlier runs, object by object (their chunks are copied as they
                // are, not decompressed), in their original order.
                Id src = checked(H5Gopen2(static_cast<hid_t>(old->file_), "runs", H5P_DEFAULT), H5Gclose,
                                 path + ": cannot open group runs");
                for (const std::string& n : names)
                    check(H5Ocopy(src, n.c_str(), runs, n.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                          path + ": cannot copy run '" + n + "'");
            }
            Run named = run;
            named.config.name = name;
            write_run(runs, name, named);
            check(H5Fflush(f, H5F_SCOPE_GLOBAL), "cannot write " + tmp.string());
        }
        old.reset();
        fsync_path(tmp.string());
        fs::rename(tmp, target);  // atomic: readers see the old file or the new one
        ::fsync(dir_lock.fd());
        // Written by this process just now: opening it needs no check.
        if (const auto id = identity_of(target.string())) remember(*id, Verdict{true, target.string(), {}, {}});
    } catch (const fs::filesystem_error& e) {
        fs::remove(tmp, ec);
        fail("cannot write trace " + path + ": " + e.code().message());
    } catch (const Error& e) {
        fs::remove(tmp, ec);
        fail("cannot write trace " + path + ": " + e.what());
    }
    return name;
}

}  // namespace pareto::prof

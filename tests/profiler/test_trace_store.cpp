// The HDF5 trace store: runs read back exactly as written, appends keep earlier
// runs, bad files and names are clear errors, and a writer killed mid-append never
// damages what the file held. Exports are checked by parsing them back.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "profiler/export.h"
#include "profiler/isolated_call.h"
#include "profiler/trace_store.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto::prof {
namespace {

namespace fs = std::filesystem;

// A temporary directory, removed with everything in it.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/pareto-trace-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

// A deterministic synthetic run: `steps` token steps of `ops_per_step` ops each.
prof::Run make_run(uint64_t seed, int steps, int ops_per_step) {
    std::mt19937_64 rng(seed);
    prof::Run r;
    RunConfig& c = r.config;
    c.created = "2026-11-23T00:00:00Z";
    c.pareto_version = "test";
    c.model_path = "/models/m" + std::to_string(seed) + ".gguf";
    c.model_sha256 = std::string(64, 'a');
    c.model_name = "synthetic ünïcode";
    c.architecture = "qwen2";
    c.model_type = "Q4_0";
    c.compression_plan = R"({"default": "q4_0"})";
    c.n_params = 494'000'000 + seed;
    c.weight_bytes = 300'000'000;
    c.threads = 2;
    c.cpu_model = "test cpu";
    c.simd = "avx2";
    c.n_ctx = 4096;
    c.n_batch = 512;
    c.seed = seed;
    c.sampler = R"({"temperature": 0})";
    c.prompt = "a prompt with \"quotes\" and a\nnewline";
    c.n_prompt = 12;
    c.n_generated = steps;
    int64_t t = 1000;
    for (int s = 0; s < steps; ++s) {
        TokenRecord tok{s, s == 0 ? Phase::Prefill : Phase::Decode, s == 0 ? 12 : 1, s == 0 ? 0 : 11 + s,
                        int32_t(rng() % 1000), t, 0};
        for (int i = 0; i < ops_per_step; ++i) {
            OpRecord o;
            o.t_begin_ns = t;
            t += 100 + int64_t(rng() % 1000);
            o.t_end_ns = t;
            o.pos = tok.pos;
            o.bytes_read = rng() % 100000;
            o.flops = rng() % 1000000;
            o.step = s;
            o.layer = i % 24;
            o.n_tokens = tok.n_tokens;
            o.kind = static_cast<OpKind>(i % kOpKindCount);
            o.phase = tok.phase;
            r.ops.push_back(o);
        }
        tok.t_end_ns = ++t;
        r.tokens.push_back(tok);
        r.memory.push_back({t, 1000u + uint64_t(s), 2000u + uint64_t(s)});
    }
    r.memory_breakdown.push_back({MemoryEntry::Category::Weights, "blk.0.attn_q.weight", "Q4_0", 0, 12345});
    r.memory_breakdown.push_back({MemoryEntry::Category::KvCache, "kv_cache", "F32", -1, 999});
    if (seed % 2 == 0) {
        AccuracyRecord a;
        a.text = "wiki.test.raw";
        a.n_ctx = 512;
        a.n_chunks = 4;
        a.n_scored = 1024;
        a.ppl = 12.5;
        a.ppl_error = 0.25;
        a.has_baseline = true;
        a.base_model = "base.gguf";
        a.base_ppl = 12.0;
        a.kl_mean = 0.01;
        a.kl_p99 = 0.2;
        a.same_top_rate = 0.93;
        a.delta_p_rms = 0.04;
        r.accuracy = a;
    }
    return r;
}

void expect_equal(const prof::Run& a, const prof::Run& b) {
    const RunConfig &x = a.config, &y = b.config;
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.model_path, y.model_path);
    EXPECT_EQ(x.model_name, y.model_name);
    EXPECT_EQ(x.compression_plan, y.compression_plan);
    EXPECT_EQ(x.prompt, y.prompt);
    EXPECT_EQ(x.n_params, y.n_params);
    EXPECT_EQ(x.seed, y.seed);
    EXPECT_EQ(x.threads, y.threads);
    ASSERT_EQ(a.ops.size(), b.ops.size());
    for (size_t i = 0; i < a.ops.size(); ++i) {
        const OpRecord &p = a.ops[i], &q = b.ops[i];
        ASSERT_TRUE(p.t_begin_ns == q.t_begin_ns && p.t_end_ns == q.t_end_ns && p.pos == q.pos &&
                    p.bytes_read == q.bytes_read && p.flops == q.flops && p.step == q.step && p.layer == q.layer &&
                    p.n_tokens == q.n_tokens && p.kind == q.kind && p.phase == q.phase && p.thread == q.thread)
            << "op " << i;
    }
    ASSERT_EQ(a.tokens.size(), b.tokens.size());
    for (size_t i = 0; i < a.tokens.size(); ++i) {
        EXPECT_EQ(a.tokens[i].token_id, b.tokens[i].token_id);
        EXPECT_EQ(a.tokens[i].t_end_ns, b.tokens[i].t_end_ns);
        EXPECT_EQ(a.tokens[i].phase, b.tokens[i].phase);
    }
    ASSERT_EQ(a.memory.size(), b.memory.size());
    for (size_t i = 0; i < a.memory.size(); ++i) EXPECT_EQ(a.memory[i].peak_rss_bytes, b.memory[i].peak_rss_bytes);
    ASSERT_EQ(a.memory_breakdown.size(), b.memory_breakdown.size());
    for (size_t i = 0; i < a.memory_breakdown.size(); ++i) {
        EXPECT_EQ(a.memory_breakdown[i].name, b.memory_breakdown[i].name);
        EXPECT_EQ(a.memory_breakdown[i].type, b.memory_breakdown[i].type);
        EXPECT_EQ(a.memory_breakdown[i].bytes, b.memory_breakdown[i].bytes);
        EXPECT_EQ(a.memory_breakdown[i].category, b.memory_breakdown[i].category);
    }
    ASSERT_EQ(a.accuracy.has_value(), b.accuracy.has_value());
    if (a.accuracy) {
        EXPECT_EQ(a.accuracy->ppl, b.accuracy->ppl);
        EXPECT_EQ(a.accuracy->kl_p99, b.accuracy->kl_p99);
        EXPECT_EQ(a.accuracy->same_top_rate, b.accuracy->same_top_rate);
        EXPECT_EQ(a.accuracy->base_model, b.accuracy->base_model);
    }
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(TraceStore, RunsReadBackExactlyInAppendOrder) {
    TempDir dir;
    const std::string path = dir.file("t.h5");
    std::vector<prof::Run> runs;
    for (uint64_t i = 0; i < 3; ++i) {
        runs.push_back(make_run(i, 20, 50));
        runs.back().config.name = i == 1 ? "" : "run " + std::to_string(i);
        runs.back().config.name = append_run(path, runs.back());
    }
    EXPECT_EQ(runs[1].config.name, "run-2");  // the default name: the run's number
    const TraceFile f = TraceFile::open(path);
    EXPECT_EQ(f.schema_version(), kTraceSchemaVersion);
    const auto headers = f.runs();
    ASSERT_EQ(headers.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(headers[i].config.name, runs[i].config.name);
        EXPECT_EQ(headers[i].n_ops, 1000);
        EXPECT_EQ(headers[i].accuracy.has_value(), i % 2 == 0);
        expect_equal(f.read_run(runs[i].config.name), runs[i]);
    }
    EXPECT_NE(error_of([&] { f.read_run("nope"); }).find("no run named 'nope'"), std::string::npos);
}

// fixtures/trace-schema-1.h5 was written by pareto-cli before schema 2 (stories260K,
// 5 prompt tokens, 3 generated, one thread): q, k and v (gate and up) were separate
// ops then. It reads as it was written, kinds by name, and appending a run to it
// keeps that run and makes the file version 2.
TEST(TraceStore, SchemaOneFilesReadAndTakeNewRuns) {
    const std::string fixture = std::string(PARETO_TRACE_FIXTURES) + "/trace-schema-1.h5";
    {
        const TraceFile f = TraceFile::open(fixture);
        EXPECT_EQ(f.schema_version(), 1);
        ASSERT_EQ(f.runs().size(), 1u);
        const prof::Run run = f.read_run("schema-1");
        EXPECT_EQ(run.config.n_prompt, 5);
        EXPECT_EQ(run.config.n_generated, 3);
        std::array<int, kOpKindCount> count{};
        for (const OpRecord& op : run.ops) ++count[size_t(op.kind)];
        // stories260K has 5 layers; 3 evals (prefill and two decode steps), 3 samplings.
        for (OpKind k : {OpKind::Q, OpKind::K, OpKind::V, OpKind::Gate, OpKind::Up, OpKind::Down})
            EXPECT_EQ(count[size_t(k)], 15) << op_kind_name(k);
        EXPECT_EQ(count[size_t(OpKind::QKV)], 0);
        EXPECT_EQ(count[size_t(OpKind::GateUp)], 0);
        EXPECT_EQ(count[size_t(OpKind::LmHead)], 3);
        EXPECT_EQ(count[size_t(OpKind::Sampling)], 3);
        EXPECT_EQ(run.ops.size(), 192u);
    }
    TempDir dir;
    const std::string path = dir.file("old.h5");
    fs::copy_file(fixture, path);
    const prof::Run old_run = TraceFile::open(path).read_run("schema-1");
    prof::Run r = make_run(7, 4, 10);
    r.config.name = "new";
    append_run(path, r);
    const TraceFile f = TraceFile::open(path);
    EXPECT_EQ(f.schema_version(), kTraceSchemaVersion);
    ASSERT_EQ(f.runs().size(), 2u);
    expect_equal(f.read_run("schema-1"), old_run);
    expect_equal(f.read_run("new"), r);
}

TEST(TraceStore, TakenOrInvalidNamesAreRefusedAndTheFileIsKept) {
    TempDir dir;
    const std::string path = dir.file("t.h5");
    prof::Run r = make_run(1, 3, 5);
    r.config.name = "a";
    append_run(path, r);
    const auto before = fs::file_size(path);
    EXPECT_NE(error_of([&] { append_run(path, r); }).find("already has a run named 'a'"), std::string::npos);
    for (const char* bad : {"x/y", "..", ""}) {
        if (std::string(bad).empty()) continue;  // empty means "pick a name"
        r.config.name = bad;
        EXPECT_NE(error_of([&] { append_run(path, r); }), "") << bad;
    }
    r.config.name = std::string(200, 'n');
    EXPECT_NE(error_of([&] { append_run(path, r); }).find("1 to 128"), std::string::npos);
    EXPECT_EQ(fs::file_size(path), before);
    EXPECT_EQ(TraceFile::open(path).runs().size(), 1u);
    // No temporary file is left behind.
    for (const auto& e : fs::directory_iterator(dir.path)) EXPECT_EQ(e.path().filename(), "t.h5");
}

TEST(TraceStore, ForeignDamagedAndMissingFilesAreClearErrors) {
    TempDir dir;
    EXPECT_NE(error_of([&] { TraceFile::open(dir.file("missing.h5")); }).find("no such trace file"), std::string::npos);
    EXPECT_NE(error_of([&] { TraceFile::open(dir.path.string()); }).find("is a directory"), std::string::npos);

    std::ofstream(dir.file("text.h5")) << "hello, not hdf5";
    EXPECT_NE(error_of([&] { TraceFile::open(dir.file("text.h5")); }).find("not an HDF5 file"), std::string::npos);
    // Appending to a file that is not a trace must refuse and leave it alone.
    EXPECT_NE(error_of([&] { append_run(dir.file("text.h5"), make_run(1, 2, 2)); }).find("not an HDF5 file"),
              std::string::npos);
    EXPECT_EQ(fs::file_size(dir.file("text.h5")), 15u);

    {  // a valid HDF5 file of someone else's
        const hid_t f = H5Fcreate(dir.file("foreign.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        H5Fclose(f);
    }
    EXPECT_NE(error_of([&] { TraceFile::open(dir.file("foreign.h5")); }).find("not a Pareto trace"), std::string::npos);

    // Truncated copies of a real trace: refused with a message, never a crash.
    const std::string good = dir.file("good.h5");
    append_run(good, make_run(2, 10, 40));
    const auto size = fs::file_size(good);
    std::ifstream in(good, std::ios::binary);
    std::vector<char> bytes(size);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    for (size_t cut : {size_t{0}, size_t{8}, size_t{100}, size / 3, size / 2, size - 100, size - 1}) {
        const std::string p = dir.file("cut.h5");
        std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(cut));
        std::string err;
        try {
            const TraceFile f = TraceFile::open(p);
            for (const auto& h : f.runs()) f.read_run(h.config.name);
        } catch (const Error& e) {
            err = e.what();
        }
        EXPECT_NE(err, "") << "a trace cut at " << cut << " of " << size << " bytes was accepted";
    }
}

TEST(TraceStore, UnwritableDirectoryIsAClearError) {
    TempDir dir;
    std::string target = dir.file("t.h5");
    if (::geteuid() == 0) {
        target = "/sys/pareto-test-trace.h5";  // root may write anywhere but sysfs
    } else {
        fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    }
    const std::string err = error_of([&] { append_run(target, make_run(1, 2, 2)); });
    EXPECT_NE(err.find("cannot write trace " + target), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_NE(error_of([&] { append_run("/nonexistent-dir/t.h5", make_run(1, 2, 2)); }).find("does not exist"),
              std::string::npos);
}

// A writer killed with SIGKILL at random moments while appending: after every kill
// the file holds complete runs, each identical to what was written.
TEST(TraceStore, WriterKilledMidAppendLosesNothingEarlier) {
    TempDir dir;
    const std::string path = dir.file("t.h5");
    append_run(path, make_run(0, 2, 2));
    std::mt19937 rng(7);
    size_t runs_seen = 1;
    constexpr int kKills = 12;
    for (int kill_no = 0; kill_no < kKills; ++kill_no) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            // Big enough that an append takes a while; each run is identifiable by its seed.
            for (uint64_t i = 1;; ++i) {
                try {
                    prof::Run r = make_run(1000 + i, 200, 300);
                    append_run(path, r);
                } catch (...) {
                    ::_exit(3);
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own with " << WEXITSTATUS(status);

        const TraceFile f = TraceFile::open(path);
        const auto headers = f.runs();
        ASSERT_GE(headers.size(), runs_seen) << "runs were lost after kill " << kill_no;
        runs_seen = headers.size();
        // Every run is complete and equal to the deterministic run of its seed.
        for (const RunHeader& h : headers) {
            prof::Run expected = make_run(h.config.seed, h.config.seed == 0 ? 2 : 200, h.config.seed == 0 ? 2 : 300);
            expected.config.name = h.config.name;
            expect_equal(f.read_run(h.config.name), expected);
        }
    }
    EXPECT_GT(runs_seen, 1u) << "no append ever finished: the test did not exercise appending";
}

// ---- process isolation (TraceFile::open reads an unknown file in a child first) ----

// Resets the isolation hooks and the verdict cache around a test.
struct IsolationGuard {
    IsolationGuard() { isolation_testing::forget_verdicts(); }
    ~IsolationGuard() {
        isolation_testing::set_child_hook(nullptr);
        isolation_testing::set_timeout(std::chrono::seconds(60));
        isolation_testing::forget_verdicts();
        ::unsetenv("PARETO_TRACE_ISOLATION");
    }
};

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// No child of this process is left, running or as a zombie.
bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

const char* const kCrashFiles[] = {"trace-hdf5-global-heap-attribute.h5", "trace-hdf5-global-heap-table.h5"};

// The fuzz finding of issue #9: libhdf5 1.10.8 crashes (SIGSEGV, or an ASan report)
// in H5HG_read on these. They are now a clean error, and the crash is seen in libhdf5.
TEST(TraceIsolation, FilesThatCrashHdf5AreACleanError) {
    IsolationGuard guard;
    for (const char* name : kCrashFiles) {
        const std::string path = std::string(PARETO_TRACE_REGRESSIONS) + "/" + name;
        ASSERT_TRUE(fs::exists(path)) << path;
        try {
            const TraceFile f = TraceFile::open(path);
            ADD_FAILURE() << name << " was opened";
        } catch (const ReaderCrashed& e) {
            const std::string what = e.what();
            EXPECT_EQ(what, path + ": the trace is damaged: reading it crashed the HDF5 library (" +
                                (e.outcome().signal ? signal_name(e.outcome().signal)
                                                    : "exit status " + std::to_string(e.outcome().exit_status)) +
                                "); Pareto will not open it");
            std::string frame;
            EXPECT_EQ(crash_site(e.outcome().report, "libhdf5", &frame), CrashSite::Library) << e.outcome().report;
            EXPECT_NE(frame.find("libhdf5"), std::string::npos) << frame;
        }
        // The verdict is kept: the second open refuses without another child.
        const int checks = isolation_testing::checks();
        EXPECT_NE(error_of([&] { TraceFile::open(path); }).find("crashed the HDF5 library"), std::string::npos);
        EXPECT_EQ(isolation_testing::checks(), checks);
    }
    EXPECT_TRUE(no_children_left());
}

TEST(TraceIsolation, DamagedExistingTraceIsNotAppendedTo) {
    IsolationGuard guard;
    TempDir dir;
    for (const char* name : kCrashFiles) {
        const std::string path = dir.file(name);
        fs::copy_file(std::string(PARETO_TRACE_REGRESSIONS) + "/" + name, path);
        const std::string before = read_bytes(path);
        const std::string err = error_of([&] { append_run(path, make_run(5, 2, 2)); });
        EXPECT_EQ(err.rfind(path + ": the trace is damaged: reading it crashed the HDF5 library", 0), 0u) << err;
        EXPECT_NE(error_of([&] { check_appendable(path, "new"); }).find("crashed the HDF5 library"), std::string::npos);
        EXPECT_EQ(read_bytes(path), before) << name << " was changed";
    }
    // Nothing but the two files: no temporary file left.
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
    EXPECT_EQ(files, 2u);
}

TEST(TraceIsolation, VerdictsAreCachedPerUnchangedFile) {
    IsolationGuard guard;
    TempDir dir;
    const std::string written = dir.file("written.h5");
    append_run(written, make_run(1, 3, 4));
    int checks = isolation_testing::checks();
    // What append_run wrote is trusted: no child.
    EXPECT_EQ(TraceFile::open(written).runs().size(), 1u);
    EXPECT_EQ(isolation_testing::checks(), checks);

    // A copy is a file this process has not seen: checked once, then known.
    const std::string copy = dir.file("copy.h5");
    fs::copy_file(written, copy);
    EXPECT_EQ(TraceFile::open(copy).runs().size(), 1u);
    EXPECT_EQ(isolation_testing::checks(), ++checks);
    EXPECT_EQ(TraceFile::open(copy).read_run("run-1").ops.size(), 12u);
    EXPECT_EQ(isolation_testing::checks(), checks);

    // Rewritten in place (same inode, other bytes): checked again.
    append_run(written, make_run(2, 3, 4));
    const std::string two_runs = read_bytes(written);
    std::ofstream(copy, std::ios::binary | std::ios::trunc).write(two_runs.data(), std::streamsize(two_runs.size()));
    EXPECT_EQ(TraceFile::open(copy).runs().size(), 2u);
    EXPECT_EQ(isolation_testing::checks(), ++checks);
    // Only its time changed (touch): checked again, as its ctime moved.
    fs::last_write_time(copy, fs::last_write_time(copy) - std::chrono::hours(1));
    EXPECT_EQ(TraceFile::open(copy).runs().size(), 2u);
    EXPECT_EQ(isolation_testing::checks(), ++checks);
    EXPECT_TRUE(no_children_left());
}

TEST(TraceIsolation, ACrashedChildIsAnErrorNamingTheFile) {
    IsolationGuard guard;
    TempDir dir;
    const std::string path = dir.file("t.h5");
    append_run(path, make_run(1, 2, 2));
    isolation_testing::forget_verdicts();

    isolation_testing::set_child_hook([] { ::raise(SIGSEGV); });
    try {
        TraceFile::open(path);
        ADD_FAILURE() << "opened although the reader crashed";
    } catch (const ReaderCrashed& e) {
        const ChildOutcome& o = e.outcome();
        EXPECT_EQ(o.kind, ChildOutcome::Kind::Crashed);
        // A signal in a plain build; AddressSanitizer reports it and exits with 1.
        EXPECT_TRUE(o.signal == SIGSEGV || o.exit_status == 1) << o.signal << " " << o.exit_status;
        const std::string how = o.signal ? "SIGSEGV" : "exit status 1";
        // The crash is in this test's code, not in HDF5: said as Pareto's bug.
        EXPECT_EQ(std::string(e.what()), path + ": reading the trace crashed Pareto's trace reader (" + how +
                                             "); Pareto will not open it. This is a bug in Pareto: please report "
                                             "it with the file");
        EXPECT_EQ(crash_site(o.report, "libhdf5"), CrashSite::Other) << o.report;
    }

    // An exception that is not a pareto::Error is a crash of the reader too.
    isolation_testing::forget_verdicts();
    isolation_testing::set_child_hook([] { throw std::runtime_error("boom"); });
    try {
        TraceFile::open(path);
        ADD_FAILURE() << "opened although the reader threw";
    } catch (const ReaderCrashed& e) {
        EXPECT_NE(e.outcome().report.find("uncaught exception: boom"), std::string::npos) << e.outcome().report;
        EXPECT_NE(std::string(e.what()).find("crashed Pareto's trace reader"), std::string::npos) << e.what();
    }

    // A pareto::Error in the child is thrown as it was.
    isolation_testing::forget_verdicts();
    isolation_testing::set_child_hook([] { fail("a message from the child"); });
    EXPECT_EQ(error_of([&] { TraceFile::open(path); }), "a message from the child");

    // PARETO_TRACE_ISOLATION=0: no child, the file is read here.
    isolation_testing::forget_verdicts();
    isolation_testing::set_child_hook([] { ::raise(SIGSEGV); });
    ::setenv("PARETO_TRACE_ISOLATION", "0", 1);
    const int checks = isolation_testing::checks();
    EXPECT_EQ(TraceFile::open(path).runs().size(), 1u);
    EXPECT_EQ(isolation_testing::checks(), checks);
    EXPECT_TRUE(no_children_left());
}

TEST(TraceIsolation, AHangingChildIsKilledAtTheTimeLimit) {
    IsolationGuard guard;
    TempDir dir;
    const std::string path = dir.file("t.h5");
    append_run(path, make_run(1, 2, 2));
    isolation_testing::forget_verdicts();
    isolation_testing::set_child_hook([] {
        for (;;) ::pause();
    });
    isolation_testing::set_timeout(std::chrono::milliseconds(300));
    const auto t0 = std::chrono::steady_clock::now();
    const std::string err = error_of([&] { TraceFile::open(path); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The hang is in this test's hook, so it is said to be Pareto's.
    EXPECT_EQ(err, path + ": reading the trace did not finish within 0.3 s: Pareto's trace reader hung on it; Pareto "
                          "will not open it. This is a bug in Pareto: please report it with the file");
    EXPECT_GE(s, 0.3);
    EXPECT_LT(s, 10.0 * test::kTimingSlack);
    EXPECT_TRUE(no_children_left());
}

// Found by fuzz_trace with isolation on: libhdf5 loops forever in H5HG_read (under
// H5Aread of a string attribute) on this file. The child is stopped at the limit and
// its backtrace shows where it hung.
TEST(TraceIsolation, AFileThatHangsHdf5IsRefusedAtTheTimeLimit) {
    IsolationGuard guard;
    const std::string path = std::string(PARETO_TRACE_REGRESSIONS) + "/trace-hdf5-global-heap-hang.h5";
    isolation_testing::set_timeout(std::chrono::seconds(2));
    try {
        TraceFile::open(path);
        ADD_FAILURE() << "opened";
    } catch (const ReaderCrashed& e) {
        EXPECT_EQ(e.outcome().kind, ChildOutcome::Kind::TimedOut);
        EXPECT_EQ(std::string(e.what()), path + ": the trace is damaged: reading it did not finish within 2.0 s (the "
                                                "HDF5 library hung on it); Pareto will not open it");
        EXPECT_EQ(crash_site(e.outcome().report, "libhdf5"), CrashSite::Library) << e.outcome().report;
    }
    EXPECT_TRUE(no_children_left());
}

TEST(TraceIsolation, CrashSiteReadsSanitizerAndBacktraceReports) {
    const std::string asan =
        "==1==ERROR: AddressSanitizer: memcpy-param-overlap: memory ranges overlap\n"
        "    #0 0x4a1 in __asan_memcpy (/b/bin/fuzz_trace+0x4a1)\n"
        "    #1 0x7f1 in H5HG_read (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x1f)\n"
        "    #2 0x5e1 in pareto::prof::TraceFile::read_run(std::string const&) const trace_store.cpp:700:5\n"
        "\n"
        "0x6020 is located 0 bytes inside of 16-byte region\n"
        "    #0 0x4b2 in malloc (/b/bin/fuzz_trace+0x4b2)\n";
    EXPECT_EQ(crash_site(asan, "libhdf5"), CrashSite::Library);
    const std::string ours =
        "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020\n"
        "    #0 0x4a1 in __asan_memcpy (/b/bin/fuzz_trace+0x4a1)\n"
        "    #1 0x5e1 in pareto::prof::read_attr_string trace_store.cpp:300:5\n"
        "    #2 0x7f1 in H5Aread (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x1f)\n";
    std::string frame;
    EXPECT_EQ(crash_site(ours, "libhdf5", &frame), CrashSite::Other);
    EXPECT_NE(frame.find("read_attr_string"), std::string::npos);
    const std::string plain =
        "isolated child: signal 11\n"
        "/lib/x86_64-linux-gnu/libc.so.6(+0x3c050)[0x7f00]\n"
        "/lib/x86_64-linux-gnu/libc.so.6(+0x152beb)[0x7f01]\n"
        "/lib/x86_64-linux-gnu/libhdf5_serial.so.103(H5HG_read+0xce)[0x7f02]\n"
        "./bin/pareto-cli(+0x1234)[0x5501]\n";
    EXPECT_EQ(crash_site(plain, "libhdf5"), CrashSite::Library);
    EXPECT_EQ(crash_site("isolated child: signal 11\n./bin/pareto-cli(+0x1234)[0x5501]\n", "libhdf5"), CrashSite::Other);
    EXPECT_EQ(crash_site("trace_store.cpp:12:3: runtime error: load of value 7 for type bool\n", "libhdf5"),
              CrashSite::Other);
    EXPECT_EQ(crash_site("", "libhdf5"), CrashSite::Unknown);
}

TEST(Export, ChromeTraceAndCsvParseBack) {
    TempDir dir;
    prof::Run r = make_run(3, 4, 10);
    r.config.name = "export \"me\"";
    export_chrome_trace(r, dir.file("t.json"));
    std::ifstream in(dir.file("t.json"));
    const auto j = nlohmann::json::parse(in);
    size_t complete = 0, counters = 0;
    for (const auto& e : j.at("traceEvents")) {
        if (e.at("ph") == "X" && e.at("tid") != 1000) {
            ++complete;
            EXPECT_TRUE(e.at("args").contains("layer"));
            EXPECT_TRUE(e.at("args").contains("token"));
        }
        if (e.at("ph") == "C") ++counters;
    }
    EXPECT_EQ(complete, r.ops.size());
    EXPECT_EQ(counters, r.memory.size() + r.tokens.size());

    export_ops_csv(r, dir.file("t.csv"));
    std::ifstream csv(dir.file("t.csv"));
    std::string line;
    size_t lines = 0;
    while (std::getline(csv, line)) ++lines;
    EXPECT_EQ(lines, r.ops.size() + 1);
    EXPECT_NE(error_of([&] { export_ops_csv(r, "/nonexistent-dir/t.csv"); }), "");
}

}  // namespace
}  // namespace pareto::prof

#pragma once
// The HDF5 trace store: one file holds many runs, each a group of attributes (its
// configuration and headline numbers) and compound datasets (ops, tokens, memory,
// summaries, accuracy). The schema is versioned and documented in
// docs/trace-format.md; h5py and pandas read it without Pareto.
//
// Appending never modifies the existing file: the earlier runs are copied object by
// object into a temporary file beside it, the new run is written there, and the
// temporary file is renamed over the old one. A writer killed at any moment leaves
// the previous file as it was. Writers of one directory take turns (flock).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "profiler/run.h"
#include "profiler/summary.h"

namespace pareto::prof {

// 2: the op kinds qkv and gate_up (one job for the projections that share an input).
// Version 1 files read as they are: op kinds are HDF5 enums, converted by name.
// A run appended to a version 1 file makes it version 2.
inline constexpr int kTraceSchemaVersion = 2;
inline constexpr const char* kTraceFormatName = "pareto-trace";

// A run as the file's index shows it, without its event tables.
struct RunHeader {
    RunConfig config;
    LatencyStats latency;
    double accounted = 0;
    int64_t n_ops = 0;
    std::optional<AccuracyRecord> accuracy;
};

struct FileIdentity;

class TraceFile {
public:
    // Opens a trace for reading. Throws pareto::Error naming the file and what is
    // wrong: missing, not HDF5, not a Pareto trace, a newer schema, damaged.
    //
    // HDF5 crashes on some damaged files, so a file not yet known to be readable is
    // first read completely (every run header and table) by a forked child process;
    // only when the child finished is it opened here. A crash of the child becomes a
    // ReaderCrashed error (profiler/isolated_call.h), an error it met is thrown as
    // it was. Verdicts are kept per file identity (device, inode, size, mtime,
    // ctime); files append_run wrote are known. PARETO_TRACE_ISOLATION=0 turns the
    // child off (a debugging switch). docs/reliability.md has the design and costs.
    static TraceFile open(const std::string& path);
    TraceFile(TraceFile&& other) noexcept;
    TraceFile& operator=(TraceFile&& other) noexcept;
    TraceFile(const TraceFile&) = delete;
    TraceFile& operator=(const TraceFile&) = delete;
    ~TraceFile();

    const std::string& path() const { return path_; }
    int schema_version() const { return schema_version_; }
    std::vector<RunHeader> runs() const;            // in the order they were appended
    bool has_run(const std::string& name) const;
    Run read_run(const std::string& name) const;    // throws naming a missing run or damaged table

private:
    friend std::string append_run(const std::string& path, const Run& run);
    TraceFile() = default;
    // Without the child. `expect`: the identity the child checked; a different file
    // now at `path` throws IdentityChanged (trace_store.cpp).
    static TraceFile open_in_process(const std::string& path, const FileIdentity* expect);
    std::string path_;
    long long file_ = -1;  // hid_t
    int schema_version_ = 0;
};

// Appends `run` to the trace at `path` (created when missing) and returns the name
// it was stored under: run.config.name, or "run-N" when that is empty. Throws
// pareto::Error, leaving the file as it was, when the name is taken or invalid, the
// existing file is not a readable trace, or the directory cannot be written.
std::string append_run(const std::string& path, const Run& run);

// Checks a run name: 1..128 printable characters, no '/', not "." or "..".
void validate_run_name(const std::string& name);

// Throws what append_run would for `name` (empty: a default name) before any work is
// done: an invalid name, an existing file that is not a readable trace, a name taken.
void check_appendable(const std::string& path, const std::string& name);

// For tests of the process isolation of TraceFile::open.
namespace isolation_testing {
void set_child_hook(void (*hook)());            // runs in each checking child before it reads
void set_timeout(std::chrono::milliseconds t);  // the child's time limit; default 60 s
int checks();                                   // checking children started so far
void forget_verdicts();
}  // namespace isolation_testing

}  // namespace pareto::prof

#pragma once
// Runs a function in a forked child process, so that a crash in a library it calls
// (HDF5 on a damaged file) ends the child, not Pareto. docs/reliability.md explains
// why and what it costs.
#include <chrono>
#include <functional>
#include <string>

#include "util/error.h"

namespace pareto::prof {

struct ChildOutcome {
    enum class Kind {
        Ok,        // work() returned
        Error,     // work() threw a pareto::Error; `message` is its text
        Crashed,   // killed by a signal, or exited without reporting an outcome
        TimedOut,  // still running at the deadline: sent SIGABRT (its handler writes a
                   // backtrace of where it was to `report`), SIGKILL 2 s later; reaped
    };
    Kind kind = Kind::Ok;
    std::string message;
    int signal = 0;        // Crashed by a signal: its number
    int exit_status = -1;  // Crashed by exiting: the status
    // What the child wrote to stderr (at most 64 KiB): a backtrace from the crash
    // handler, or a sanitizer's report in a sanitizer build.
    std::string report;
};

// Forks; the child runs `work` and _exits (no atexit handlers, no stdio flush, no
// destructors of the parent's objects). The parent waits at most `timeout`, then
// stops the child (SIGABRT, then SIGKILL); the child is always reaped. The caller must hold whatever lock
// keeps the state `work` uses consistent, since fork copies it as it is; the child
// has one thread and must not take locks held by the parent's threads.
ChildOutcome run_in_child(const std::function<void()>& work, std::chrono::milliseconds timeout);

// Where a child's crash report puts the crash: the first frame of its first stack
// that is neither the sanitizer runtime nor a system library (libc, libstdc++,
// libgcc, zlib, libaec).
enum class CrashSite {
    Library,  // that frame is in the named library (`library` below)
    Other,    // in any other code, Pareto's included; or a UBSan report
    Unknown,  // the report holds no stack
};
CrashSite crash_site(const std::string& report, const std::string& library, std::string* frame = nullptr);

// A reader that ran isolated crashed; the message is for people, the rest for tests
// and the fuzz target (tests/fuzz/fuzz_trace.cpp).
class ReaderCrashed : public Error {
public:
    ReaderCrashed(const std::string& what, ChildOutcome outcome) : Error(what), outcome_(std::move(outcome)) {}
    const ChildOutcome& outcome() const { return outcome_; }

private:
    ChildOutcome outcome_;
};

// "SIGSEGV", or "signal 42".
std::string signal_name(int sig);

}  // namespace pareto::prof

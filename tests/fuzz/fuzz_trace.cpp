// Fuzz target: the HDF5 trace reader. HDF5 reads files only, so the input is written
// to a scratch file and opened as a trace: its index (every run's header) and then
// every run's tables. Slow (the HDF5 library opens a file per input), but it is the
// path a downloaded trace takes.
//
// It is the product's path: TraceFile::open first reads the file in a forked child
// (profiler/isolated_call.h), so a crash in libhdf5 is a ReaderCrashed error, the
// expected answer to a damaged file. A crash whose first frame outside the
// sanitizer runtime and the system libraries is not in libhdf5 (Pareto's code,
// a UBSan report, or no stack at all) is still a finding: the child's report is
// printed and the target aborts, so libFuzzer saves the input. A child still
// running after 10 s is stopped with SIGABRT, whose backtrace is judged the same way.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.h"
#include "profiler/isolated_call.h"
#include "profiler/trace_store.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    // Below libFuzzer's -timeout (60 s for this target in scripts/fuzz.sh, which
    // covers the input's second run for the leak check), so that a hang is
    // classified by where the child was, as a crash is.
    static const bool limited = [] {
        prof::isolation_testing::set_timeout(std::chrono::seconds(10));
        return true;
    }();
    (void)limited;
    const auto path = fuzz::scratch_dir() / "fuzz.h5";
    fuzz::write_file(path, fuzz::as_text(data, size));
    try {
        const prof::TraceFile trace = prof::TraceFile::open(path.string());
        size_t sink = 0;
        for (const prof::RunHeader& h : trace.runs()) {
            sink += h.config.name.size();
            try {
                const prof::Run run = trace.read_run(h.config.name);
                sink += run.ops.size() + run.tokens.size() + run.memory.size() + run.memory_breakdown.size();
            } catch (const Error&) {
            }
        }
        fuzz::keep(sink);
    } catch (const prof::ReaderCrashed& e) {
        std::string frame;
        if (prof::crash_site(e.outcome().report, "libhdf5", &frame) != prof::CrashSite::Library) {
            std::fprintf(stderr, "fuzz_trace: the isolated reader crashed outside libhdf5: %s\n%s\n--- report ---\n%s",
                         frame.c_str(), e.what(), e.outcome().report.c_str());
            std::abort();
        }
    } catch (const Error&) {
    }
    return 0;
}

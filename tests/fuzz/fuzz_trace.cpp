// Fuzz target: the HDF5 trace reader. HDF5 reads files only, so the input is written
// to a scratch file and opened as a trace: its index (every run's header) and then
// every run's tables. Slow (the HDF5 library opens a file per input), but it is the
// path a downloaded trace takes.
#include "fuzz_support.h"
#include "profiler/trace_store.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
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
    } catch (const Error&) {
    }
    return 0;
}

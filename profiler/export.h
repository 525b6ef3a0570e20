#pragma once
// A run in the formats other tools read: Chrome's trace-event JSON (Perfetto and
// chrome://tracing open it) and CSV tables for spreadsheets and pandas.
#include <string>

#include "profiler/run.h"

namespace pareto::prof {

// One complete ("X") event per op, on the thread that recorded it, with layer,
// step, position, phase, bytes and flops in its args; one event per token step on
// a track of its own; counter tracks for RSS and tokens/s. Written atomically.
void export_chrome_trace(const Run& run, const std::string& out_path);

// The ops table, one row per op (times in microseconds). Written atomically.
void export_ops_csv(const Run& run, const std::string& out_path);

}  // namespace pareto::prof

#pragma once
// The console form of a profiled run (pareto-cli profile and trace show) and of a
// comparison (trace compare).
#include <cstdio>

#include "profiler/compare.h"
#include "profiler/run.h"

namespace pareto::cli {

void print_run_report(const prof::Run& run, std::FILE* out);
void print_comparison(const prof::RunComparison& c, const std::string& a_label, const std::string& b_label,
                      std::FILE* out);

}  // namespace pareto::cli

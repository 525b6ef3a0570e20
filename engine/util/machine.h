#pragma once
// What machine this is, for the record of a benchmark or a profile.
#include <string>

namespace pareto {

// The CPU's model name from /proc/cpuinfo ("model name", or "Model"/"Hardware" on
// ARM boards); "unknown" when there is none.
std::string cpu_model();

}  // namespace pareto

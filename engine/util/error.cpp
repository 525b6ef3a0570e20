#include "util/error.h"

namespace pareto {

void fail(const std::string& message) { throw Error(message); }

}  // namespace pareto

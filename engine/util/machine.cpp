#include "util/machine.h"

#include <fstream>

namespace pareto {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    for (const char* key : {"model name", "Model", "Hardware"}) {
        in.clear();
        in.seekg(0);
        while (std::getline(in, line)) {
            if (line.rfind(key, 0) != 0) continue;
            const size_t colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            if (!v.empty()) return v;
        }
    }
    return "unknown";
}

}  // namespace pareto

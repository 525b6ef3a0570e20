#include "support/test_data.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pareto::test {

std::string data_dir() {
    if (const char* env = std::getenv("PARETO_TEST_DATA"); env && *env) return env;
    return PARETO_TEST_DATA_DEFAULT;
}

std::string find_data(const std::string& relative) {
    const std::filesystem::path p = std::filesystem::path(data_dir()) / relative;
    return std::filesystem::exists(p) ? p.string() : std::string();
}

bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace pareto::test

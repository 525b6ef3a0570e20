#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto::cli {

std::string read_file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) fail(path + ": read error");
    std::string text = ss.str();
    require_utf8(text, path);
    return text;
}

std::string format_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
    return buf;
}

std::string format_ppl(double ppl, double error) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "PPL = %.4f +/- %.5f", ppl, error);
    return buf;
}

}  // namespace pareto::cli

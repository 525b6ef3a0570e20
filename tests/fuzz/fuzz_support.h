#pragma once
// Shared by the fuzz targets. Each target defines LLVMFuzzerTestOneInput and treats
// pareto::Error as the expected answer to bad input; anything else escaping (another
// exception type, a crash, a sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace pareto::fuzz {

// A folder of this process's own under TMPDIR (parsers that only read files are fed
// through it), removed at exit.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::filesystem::path p = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                                  ("pareto-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(p);
        static struct Remover {
            std::filesystem::path p;
            ~Remover() { std::error_code ec; std::filesystem::remove_all(p, ec); }
        } remover{p};
        return p;
    }();
    return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Splits an input into the part before its first NUL and the part after it (empty
// when there is none), for targets that read two files. Text formats (JSON, merges,
// templates) never hold a NUL, so the seeds join their two files with one.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view in) {
    const size_t nul = in.find('\0');
    if (nul == std::string_view::npos) return {in, {}};
    return {in.substr(0, nul), in.substr(nul + 1)};
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Reads every byte of a range so that AddressSanitizer sees a view that leaves its
// buffer; the sum is returned so the loop is not optimised away.
inline uint32_t touch(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += p[i];
    return sum;
}

// Stores a value the target computed, so the reads that made it are not optimised away.
inline void keep(size_t value) { asm volatile("" : : "r"(value) : "memory"); }

}  // namespace pareto::fuzz

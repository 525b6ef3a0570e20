#pragma once
// Writing a file atomically: the bytes go to a temporary file beside the target,
// which is fsynced and renamed over it on commit(), so readers see the old file or
// the complete new one, and a failed write leaves an existing file untouched.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pareto {

class AtomicFile {
public:
    // Creates the temporary file; throws pareto::Error naming `path` and the reason.
    explicit AtomicFile(const std::string& path);
    // Removes the temporary file unless commit() succeeded.
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const uint8_t* p, size_t n);
    void write(std::string_view text) { write(reinterpret_cast<const uint8_t*>(text.data()), text.size()); }
    // fsync, close, rename into place, and sync the directory.
    void commit();

private:
    std::string path_;
    std::string tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

// The whole of `contents` written to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace pareto

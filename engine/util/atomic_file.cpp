#include "util/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include "util/error.h"

namespace pareto {
namespace {
std::string errno_text(int err) { return std::strerror(err); }

// A writer killed before commit() (SIGKILL, power loss) leaves PATH.tmp.PID.*: the
// next writer of PATH removes those whose process is gone, so a loop of killed
// exports does not fill the disk. A live PID (maybe reused) keeps its file.
void remove_stale_temporaries(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = target.filename().string() + ".tmp.";
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const size_t dot = rest.find('.');
        if (dot == 0 || dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) continue;
        const long pid = std::strtol(rest.c_str(), nullptr, 10);
        if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        std::error_code rm;
        fs::remove(it->path(), rm);
    }
}
}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
    remove_stale_temporaries(path);
    static std::atomic<uint64_t> counter{0};
    const auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    // O_EXCL makes the name ours; retry the rare collision with a stale file.
    for (int attempt = 0; attempt < 100; ++attempt) {
        tmp_ = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
               std::to_string(now % 1000000007u);
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) return;
        if (errno != EEXIST) break;
    }
    const int err = errno;
    fail(path_ + ": cannot create the temporary file " + tmp_ + ": " + errno_text(err));
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const uint8_t* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd_, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            fail(path_ + ": cannot write (to the temporary file " + tmp_ + "): " + errno_text(err));
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void AtomicFile::commit() {
    // fsync before rename: otherwise a crash can leave the new name pointing at a
    // file whose data never reached the disk.
    if (::fsync(fd_) != 0) {
        const int err = errno;
        fail(path_ + ": cannot sync the temporary file " + tmp_ + " to disk: " + errno_text(err));
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const int err = errno;
        fail(path_ + ": cannot close the temporary file " + tmp_ + ": " + errno_text(err));
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        fail(path_ + ": cannot rename the temporary file " + tmp_ + " into place: " + errno_text(err));
    }
    committed_ = true;
    // Make the rename itself durable. Some file systems cannot sync a directory
    // (EINVAL); the data is safe in the file either way.
    const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    const std::string dir = parent.empty() ? std::string(".") : parent.string();
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        const int rc = ::fsync(dfd);
        const int err = errno;
        ::close(dfd);
        if (rc != 0 && err != EINVAL)
            fail(path_ + ": written, but its directory could not be synced to disk: " + errno_text(err));
    }
}

void write_file_atomically(const std::string& path, std::string_view contents) {
    AtomicFile out(path);
    out.write(contents);
    out.commit();
}

}  // namespace pareto

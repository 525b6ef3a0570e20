#include "util/mapped_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/huge_page_buffer.h"

namespace pareto {

const char* file_load_name(FileLoad how) { return how == FileLoad::Copy ? "copied to huge pages" : "mapped"; }

namespace {

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// Reads all of [0, size) of fd into dst: short reads and EINTR are retried; a file
// that shrinks under us is an error naming how far it got.
void read_fully(int fd, uint8_t* dst, size_t size, const std::string& path) {
    size_t done = 0;
    while (done < size) {
        const ssize_t r = ::pread(fd, dst + done, size - done, static_cast<off_t>(done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail(path + ": read failed at byte " + std::to_string(done) + ": " + std::strerror(errno));
        if (r == 0)
            fail(path + ": the file ended at byte " + std::to_string(done) + " of " + std::to_string(size) +
                 " while it was read (changed on disk?)");
        done += static_cast<size_t>(r);
    }
}

}  // namespace

MappedFile::MappedFile() = default;

MappedFile::MappedFile(const std::string& path, FileLoad how) : path_(path), how_(how) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) fail(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) fail(path + ": cannot stat: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail(path + ": not a regular file");
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) return;
    if (how == FileLoad::Copy) {
        copy_ = std::make_unique<HugePageBuffer>(size_);
        ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        read_fully(f.fd, copy_->data(), size_, path);
        copy_->protect_read_only();
        data_ = copy_->data();
        return;
    }
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) fail(path + ": cannot map into memory: " + std::strerror(errno));
    data_ = static_cast<const uint8_t*>(p);
    // the mapping keeps the file alive after the descriptor closes
}

void MappedFile::map_back(size_t offset, size_t bytes) {
    if (how_ != FileLoad::Copy || !copy_ || offset >= size_) return;
    bytes = std::min(bytes, size_ - offset);
    const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t begin = (offset + page - 1) / page * page, end = (offset + bytes) / page * page;
    if (end <= begin) return;
    Fd f{::open(path_.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) fail(path_ + ": cannot open: " + std::strerror(errno));
    // MAP_FIXED replaces the copied pages atomically: the range is never unmapped.
    void* p = ::mmap(copy_->data() + begin, end - begin, PROT_READ, MAP_PRIVATE | MAP_FIXED, f.fd,
                     static_cast<off_t>(begin));
    if (p == MAP_FAILED) fail(path_ + ": cannot map part of the file back: " + std::strerror(errno));
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        data_ = other.data_;
        size_ = other.size_;
        how_ = other.how_;
        copy_ = std::move(other.copy_);
        other.data_ = nullptr;
        other.size_ = 0;
    }
    return *this;
}

void MappedFile::release() {
    if (data_ && !copy_) ::munmap(const_cast<uint8_t*>(data_), size_);
    copy_.reset();
    data_ = nullptr;
    size_ = 0;
}

}  // namespace pareto

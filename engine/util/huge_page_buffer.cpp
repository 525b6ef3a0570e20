#include "util/huge_page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "util/error.h"

namespace pareto {

HugePageBuffer::HugePageBuffer(size_t bytes) {
    if (bytes == 0) return;
    // Over-allocate by one huge page so the data can start on a 2 MiB boundary:
    // only whole, aligned 2 MiB ranges can be backed by huge pages.
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    base_bytes_ = rounded + kHugePage;
    void* p = ::mmap(nullptr, base_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("cannot allocate " + std::to_string(bytes >> 20) + " MiB: " + std::strerror(errno));
    base_ = p;
    const auto addr = reinterpret_cast<uintptr_t>(p);
    data_ = reinterpret_cast<uint8_t*>((addr + kHugePage - 1) / kHugePage * kHugePage);
    size_ = bytes;
#ifdef MADV_HUGEPAGE
    ::madvise(data_, rounded, MADV_HUGEPAGE);  // advice only: no huge pages is not an error
#endif
}

HugePageBuffer::~HugePageBuffer() { release(); }

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept { *this = std::move(other); }

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        base_bytes_ = std::exchange(other.base_bytes_, 0);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void HugePageBuffer::protect_read_only() {
    if (data_) ::mprotect(data_, (size_ + kHugePage - 1) / kHugePage * kHugePage, PROT_READ);
}

void HugePageBuffer::release() {
    if (base_) ::munmap(base_, base_bytes_);
    base_ = nullptr;
    base_bytes_ = 0;
    data_ = nullptr;
    size_ = 0;
}

}  // namespace pareto

#pragma once
// Private anonymous memory aligned to 2 MiB and advised for transparent huge pages.
// Streaming through it costs one TLB miss per 2 MiB instead of one per 4 KiB page:
// decode reads every weight once per token, so weights kept here run measurably
// faster than the same bytes in a 4 KiB-page file mapping (docs/performance.md).
// Where the kernel gives no huge pages it is ordinary memory.
#include <cstddef>
#include <cstdint>

namespace pareto {

class HugePageBuffer {
public:
    HugePageBuffer() = default;
    explicit HugePageBuffer(size_t bytes);  // throws pareto::Error when out of memory
    ~HugePageBuffer();
    HugePageBuffer(HugePageBuffer&& other) noexcept;
    HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
    HugePageBuffer(const HugePageBuffer&) = delete;
    HugePageBuffer& operator=(const HugePageBuffer&) = delete;

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    // Makes the buffer read-only: a stray write into loaded weights faults at once.
    void protect_read_only();

    static constexpr size_t kHugePage = size_t{2} << 20;

private:
    void release();
    void* base_ = nullptr;  // the whole mapping (data_ rounded up to kHugePage inside it)
    size_t base_bytes_ = 0;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace pareto

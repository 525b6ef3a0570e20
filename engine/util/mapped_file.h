#pragma once
// A whole file's bytes in memory, read-only, in one of two ways:
//   Map  — a memory map: zero copy, paged in on demand, shared with the page cache
//          and other processes; 4 KiB pages. For inspecting files and for models
//          larger than comfortably fits in RAM (the kernel can drop clean pages).
//   Copy — read once into private memory on huge pages (util/huge_page_buffer.h):
//          costs the read at open, then streams faster (decode reads every weight
//          once per token; see docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace pareto {

class HugePageBuffer;

enum class FileLoad { Map, Copy };
const char* file_load_name(FileLoad how);  // "mapped", "copied to huge pages"

class MappedFile {
public:
    MappedFile();
    explicit MappedFile(const std::string& path, FileLoad how = FileLoad::Map);  // throws pareto::Error
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    FileLoad how() const { return how_; }

    // Copy only: gives the whole 4 KiB pages inside [offset, offset + bytes) back to
    // the file, mapped in place at the same addresses (same bytes, so views stay
    // valid). For data read sparsely, such as an embedding table of which each token
    // reads one row: it then costs memory only for the rows used.
    void map_back(size_t offset, size_t bytes);

private:
    void release();
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    FileLoad how_ = FileLoad::Map;
    std::unique_ptr<HugePageBuffer> copy_;  // Copy: owns the bytes
};

}  // namespace pareto

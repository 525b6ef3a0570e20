#pragma once
// The SHA-256 of a model, so a trace names exactly which weights it measured.
// Hashing a multi-gigabyte file takes seconds, so digests are cached per file
// (path, size, modification time) in $XDG_CACHE_HOME/pareto/sha256.json.
#include <string>

namespace pareto::prof {

// Hex SHA-256 of a file's bytes; for a directory (a HuggingFace checkpoint), of
// its *.json and *.safetensors files in name order, each prefixed by its name.
// Throws pareto::Error when a file cannot be read.
std::string model_sha256(const std::string& path, bool use_cache = true);

}  // namespace pareto::prof

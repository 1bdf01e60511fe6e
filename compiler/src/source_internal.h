// Private helpers shared by the Source implementations and the loaders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gorch/base/status.h"

namespace gorch::compiler::internal {

// Ok if path is relative, non-empty and has no "." or ".." component.
Status CheckRelativePath(std::string_view path);

// Resolves "." and ".." and repeated '/' in a relative path; nullopt if the
// result would leave the root (or path is absolute).
std::optional<std::string> NormalizeRelativePath(std::string_view path);

// True when a component of path (a directory or the file) starts with '.'.
bool IsHiddenPath(std::string_view path);

// ResourceExhausted: "<what> is N bytes, over the limit of M bytes".
Status TooLarge(const std::string& what, uint64_t size, uint64_t max_bytes);

}  // namespace gorch::compiler::internal

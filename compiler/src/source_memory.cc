// An in-memory Source, and the path helpers every Source shares.
#include <algorithm>

#include "gorch/compiler/source.h"
#include "source_internal.h"

namespace gorch::compiler {

namespace internal {

Status CheckRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/')
    return Status::InvalidArgument("not a relative path: '" + std::string(path) + "'");
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part == "." || part == "..")
      return Status::InvalidArgument("path must not contain '.' or '..': '" + std::string(path) + "'");
    start = slash + 1;
  }
  return Status::Ok();
}

std::optional<std::string> NormalizeRelativePath(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::nullopt;
  std::string out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return std::nullopt;
      size_t cut = out.rfind('/');
      out.resize(cut == std::string::npos ? 0 : cut);
      continue;
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool IsHiddenPath(std::string_view path) {
  if (!path.empty() && path.front() == '.') return true;
  return path.find("/.") != std::string_view::npos;
}

Status TooLarge(const std::string& what, uint64_t size, uint64_t max_bytes) {
  return Status::ResourceExhausted(what + " is " + std::to_string(size) + " bytes, over the limit of " +
                                   std::to_string(max_bytes) + " bytes");
}

}  // namespace internal

namespace {

class MemorySource final : public Source {
 public:
  MemorySource(std::map<std::string, std::string> files, std::string prefix)
      : files_(std::move(files)), prefix_(std::move(prefix)) {}

  Result<std::vector<std::string>> ListFiles() const override {
    std::vector<std::string> out;
    for (const auto& [path, content] : files_) {
      size_t dir_end = path.rfind('/');
      if (dir_end != std::string::npos && internal::IsHiddenPath(std::string_view(path).substr(0, dir_end)))
        continue;
      out.push_back(path);
    }
    return out;  // std::map is sorted
  }
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(DisplayPath(path) + ": no such file");
    if (it->second.size() > max_bytes) return internal::TooLarge(DisplayPath(path), it->second.size(), max_bytes);
    return it->second;
  }
  std::string commit() const override { return ""; }
  std::string DisplayName() const override { return prefix_.empty() ? "<memory>" : prefix_; }
  std::string DisplayPath(const std::string& path) const override { return prefix_ + path; }

 private:
  std::map<std::string, std::string> files_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<Source> MakeMemorySource(std::map<std::string, std::string> files, std::string display_prefix) {
  return std::make_unique<MemorySource>(std::move(files), std::move(display_prefix));
}

}  // namespace gorch::compiler

// A Source over a directory of the local file system.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "gorch/compiler/source.h"
#include "source_internal.h"

namespace gorch::compiler {

namespace fs = std::filesystem;

namespace {

class DirectorySource final : public Source {
 public:
  DirectorySource(fs::path root, std::string display) : root_(std::move(root)), display_(std::move(display)) {}

  Result<std::vector<std::string>> ListFiles() const override;
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override;
  std::string commit() const override { return ""; }
  std::string DisplayName() const override { return display_; }
  std::string DisplayPath(const std::string& path) const override {
    if (display_ == ".") return path;
    return display_.back() == '/' ? display_ + path : display_ + "/" + path;  // "/" as the root
  }

 private:
  fs::path root_;
  std::string display_;  // the root as the user wrote it, without a trailing '/'
};

Result<std::vector<std::string>> DirectorySource::ListFiles() const {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    std::error_code type_ec;
    if (entry.is_symlink(type_ec)) {
      // A link to a file is read through; links to directories are not followed
      // (they could form cycles or leave the tree).
      if (entry.is_regular_file(type_ec)) files.push_back(entry.path().lexically_relative(root_).generic_string());
      continue;
    }
    if (entry.is_directory(type_ec)) {
      if (!name.empty() && name[0] == '.') it.disable_recursion_pending();
      continue;
    }
    if (entry.is_regular_file(type_ec)) files.push_back(entry.path().lexically_relative(root_).generic_string());
  }
  if (ec) return Status::IOError("cannot list " + display_ + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> DirectorySource::ReadFile(const std::string& path, size_t max_bytes) const {
  GORCH_RETURN_IF_ERROR(internal::CheckRelativePath(path));
  const std::string full = (root_ / path).string();
  const std::string shown = DisplayPath(path);
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(shown + ": no such file");
    return Status::IOError(shown + ": " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::IOError(shown + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::NotFound(shown + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return internal::TooLarge(shown, st.st_size, max_bytes);
  std::string content;
  content.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  // Read up to the size fstat gave; a file that grows meanwhile is read as it was.
  while (got < content.size()) {
    ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(shown + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  content.resize(got);
  return content;
}

}  // namespace

Result<std::unique_ptr<Source>> OpenDirectorySource(const std::string& root) {
  std::error_code ec;
  fs::file_status st = fs::status(root, ec);
  if (ec || !fs::exists(st)) return Status::NotFound("no such directory: " + root);
  if (!fs::is_directory(st)) return Status::InvalidArgument("not a directory: " + root);
  std::string display = root;
  while (display.size() > 1 && display.back() == '/') display.pop_back();
  if (display.empty()) display = ".";
  return std::unique_ptr<Source>(std::make_unique<DirectorySource>(fs::path(root), std::move(display)));
}

}  // namespace gorch::compiler

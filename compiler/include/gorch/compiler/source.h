// Where manifests come from: a directory tree, or one git commit read straight
// from the object database (no checkout; bare repos work).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::compiler {

// A read-only tree of files. Paths are relative to the source's root, with '/'.
// Implementations are safe to read from several threads at once.
class Source {
 public:
  virtual ~Source() = default;
  // Every regular file under the root (recursively), sorted by path. Hidden
  // directories (.git, .gorch, .github...) are not descended into; ReadFile can
  // still read files in them. Symbolic links and submodules are not listed.
  virtual Result<std::vector<std::string>> ListFiles() const = 0;
  // The whole content of one file. NotFound if absent; ResourceExhausted if it is
  // larger than max_bytes (checked before reading it all).
  virtual Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const = 0;
  // The git commit id (40 hex) the tree came from; empty for a directory.
  virtual std::string commit() const = 0;
  // How to name this source in messages ("examples/shop", "repo.git@abc123:deploy").
  virtual std::string DisplayName() const = 0;
  // How to name one of its files in diagnostics, so that a user can open it:
  // the directory as given joined with path ("examples/shop/web.yaml"), or the
  // path inside the repository for git ("deploy/web.yaml" with subdir "deploy").
  virtual std::string DisplayPath(const std::string& path) const { return path; }
};

// REQUIRES: root is a directory. Returns NotFound / InvalidArgument otherwise.
Result<std::unique_ptr<Source>> OpenDirectorySource(const std::string& root);

// Opens repo (a work tree or bare repository), resolves rev (a sha, branch, tag,
// "HEAD", "HEAD~2"...) to a commit and serves its tree, limited to subdir if set.
Result<std::unique_ptr<Source>> OpenGitSource(const std::string& repo, const std::string& rev,
                                              const std::string& subdir);

// An in-memory tree (path -> content), for tests, benchmarks and stdin.
// DisplayPath(p) is display_prefix + p.
std::unique_ptr<Source> MakeMemorySource(std::map<std::string, std::string> files,
                                         std::string display_prefix = "");

}  // namespace gorch::compiler

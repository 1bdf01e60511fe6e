// A Source over one git commit, read from the object database through libgit2:
// no checkout, so bare repositories work and the work tree is never touched.
#include <git2.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "gorch/compiler/source.h"
#include "source_internal.h"

namespace gorch::compiler {

namespace {

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

// RAII for the libgit2 objects this file uses.
template <typename T, void (*Free)(T*)>
struct GitPtr {
  T* p = nullptr;
  GitPtr() = default;
  GitPtr(const GitPtr&) = delete;
  GitPtr& operator=(const GitPtr&) = delete;
  ~GitPtr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};
using RepoPtr = GitPtr<git_repository, git_repository_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;

int OpenRepository(git_repository** repo, const std::string& path) {
  // NO_SEARCH: a path that is not itself a repository is an error, not a
  // silent walk up to some enclosing repository.
  return git_repository_open_ext(repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
}

class GitSource final : public Source {
 public:
  GitSource(std::string repo_path, std::string commit, std::string subdir)
      : repo_path_(std::move(repo_path)), commit_(std::move(commit)), subdir_(std::move(subdir)) {}
  ~GitSource() override {
    for (git_repository* r : idle_) git_repository_free(r);
  }

  // Records every blob under the (sub)tree; called once before the source is shared.
  Status Index(git_tree* tree);

  Result<std::vector<std::string>> ListFiles() const override { return listed_; }
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override;
  std::string commit() const override { return commit_; }
  std::string DisplayName() const override {
    return repo_path_ + "@" + commit_.substr(0, 12) + (subdir_.empty() ? "" : ":" + subdir_);
  }
  std::string DisplayPath(const std::string& path) const override {
    return subdir_.empty() ? path : subdir_ + "/" + path;
  }
  void AddIdle(git_repository* repo) { idle_.push_back(repo); }

 private:
  // libgit2 objects must not be used by two threads at once, so each reader
  // borrows a repository handle of its own from a small pool.
  git_repository* Borrow() const;
  void Return(git_repository* repo) const;

  std::string repo_path_;
  std::string commit_;
  std::string subdir_;
  std::unordered_map<std::string, git_oid> blobs_;  // every regular file, hidden ones too
  std::vector<std::string> listed_;                 // sorted, without hidden directories
  mutable std::mutex mu_;
  mutable std::vector<git_repository*> idle_;
};

struct WalkState {
  std::unordered_map<std::string, git_oid>* blobs;
  std::vector<std::string>* listed;
};

int WalkEntry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* state = static_cast<WalkState*>(payload);
  git_filemode_t mode = git_tree_entry_filemode(entry);
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) return 0;  // trees, links, submodules
  std::string path = std::string(root) + git_tree_entry_name(entry);
  state->blobs->emplace(path, *git_tree_entry_id(entry));
  std::string_view dir(root);
  if (!dir.empty()) dir.remove_suffix(1);  // root ends with '/'
  if (!internal::IsHiddenPath(dir)) state->listed->push_back(std::move(path));
  return 0;
}

Status GitSource::Index(git_tree* tree) {
  WalkState state{&blobs_, &listed_};
  if (git_tree_walk(tree, GIT_TREEWALK_PRE, WalkEntry, &state) != 0)
    return Status::IOError("cannot read the tree of commit " + commit_ + ": " + LastGitError());
  std::sort(listed_.begin(), listed_.end());
  return Status::Ok();
}

git_repository* GitSource::Borrow() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      git_repository* r = idle_.back();
      idle_.pop_back();
      return r;
    }
  }
  git_repository* repo = nullptr;
  if (OpenRepository(&repo, repo_path_) != 0) return nullptr;
  return repo;
}

void GitSource::Return(git_repository* repo) const {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(repo);
}

Result<std::string> GitSource::ReadFile(const std::string& path, size_t max_bytes) const {
  auto it = blobs_.find(path);
  if (it == blobs_.end()) return Status::NotFound(DisplayPath(path) + ": no such file in commit " + commit_);
  git_repository* repo = Borrow();
  if (!repo) return Status::IOError("cannot reopen " + repo_path_ + ": " + LastGitError());
  struct Returner {
    const GitSource* self;
    git_repository* repo;
    ~Returner() { self->Return(repo); }
  } returner{this, repo};

  // The size from the object header first, so an oversized blob is never inflated.
  OdbPtr odb;
  size_t size = 0;
  git_object_t type;
  if (git_repository_odb(odb.out(), repo) != 0 || git_odb_read_header(&size, &type, odb.get(), &it->second) != 0)
    return Status::IOError(DisplayPath(path) + ": " + LastGitError());
  if (size > max_bytes) return internal::TooLarge(DisplayPath(path), size, max_bytes);
  BlobPtr blob;
  if (git_blob_lookup(blob.out(), repo, &it->second) != 0)
    return Status::IOError(DisplayPath(path) + ": " + LastGitError());
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return std::string(data, static_cast<size_t>(git_blob_rawsize(blob.get())));
}

std::string OidString(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  return hex;
}

// The tree of `commit` limited to subdir (already normalised; empty for the root).
Status SubTree(git_repository* repo, git_commit* commit, const std::string& subdir, const std::string& commit_id,
               TreePtr& out) {
  TreePtr root;
  if (git_commit_tree(root.out(), commit) != 0)
    return Status::IOError("cannot read the tree of commit " + commit_id + ": " + LastGitError());
  if (subdir.empty()) {
    std::swap(out.p, root.p);
    return Status::Ok();
  }
  TreeEntryPtr entry;
  if (git_tree_entry_bypath(entry.out(), root.get(), subdir.c_str()) != 0)
    return Status::NotFound("path '" + subdir + "' does not exist in commit " + commit_id);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE)
    return Status::InvalidArgument("path '" + subdir + "' is not a directory in commit " + commit_id);
  if (git_tree_lookup(out.out(), repo, git_tree_entry_id(entry.get())) != 0)
    return Status::IOError("cannot read '" + subdir + "' in commit " + commit_id + ": " + LastGitError());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Source>> OpenGitSource(const std::string& repo_path, const std::string& rev,
                                              const std::string& subdir) {
  git_libgit2_init();  // reference counted; never shut down, sources may live until exit
  RepoPtr repo;
  if (OpenRepository(repo.out(), repo_path) != 0)
    return Status::NotFound("not a git repository: " + repo_path + " (" + LastGitError() + ")");
  const std::string want = rev.empty() ? "HEAD" : rev;
  ObjectPtr object;
  int rc = git_revparse_single(object.out(), repo.get(), want.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS)
    return Status::NotFound("revision '" + want + "' not found in " + repo_path + " (" + LastGitError() + ")");
  if (rc != 0) return Status::IOError("cannot resolve revision '" + want + "' in " + repo_path + ": " + LastGitError());
  ObjectPtr commit_obj;
  if (git_object_peel(commit_obj.out(), object.get(), GIT_OBJECT_COMMIT) != 0)
    return Status::InvalidArgument("revision '" + want + "' in " + repo_path + " is not a commit");
  auto* commit = reinterpret_cast<git_commit*>(commit_obj.get());
  const std::string commit_id = OidString(git_commit_id(commit));

  // A leading '/' means the repository's root, as in "--path /deploy".
  const size_t start = std::min(subdir.find_first_not_of('/'), subdir.size());
  auto clean = internal::NormalizeRelativePath(std::string_view(subdir).substr(start));
  if (!clean) return Status::InvalidArgument("subdirectory must be a path inside the repository: '" + subdir + "'");
  TreePtr tree;
  GORCH_RETURN_IF_ERROR(SubTree(repo.get(), commit, *clean, commit_id, tree));

  auto source = std::make_unique<GitSource>(repo_path, commit_id, *clean);
  GORCH_RETURN_IF_ERROR(source->Index(tree.get()));
  source->AddIdle(repo.p);  // hand the open repository to the reader pool
  repo.p = nullptr;
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace gorch::compiler

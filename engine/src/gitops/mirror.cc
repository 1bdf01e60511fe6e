// The git mirror: a bare repository that follows one branch of a remote through
// libgit2 (contract in gorch/engine/git_mirror.h).
#include <git2.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "gorch/engine/git_mirror.h"
#include "mirror_internal.h"

namespace gorch::engine {

namespace {

namespace fs = std::filesystem;
using mirror_internal::FetchSession;
using mirror_internal::LastGitError;

constexpr char kRemoteName[] = "origin";

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
  T* release() { return std::exchange(p, nullptr); }
};
using RepoPtr = GitPtr<git_repository, git_repository_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;

// libgit2 is initialised once per process and never shut down, as in the
// compiler's git source: mirrors and sources may live until exit.
void InitLibgit2() {
  static const int once = git_libgit2_init();
  (void)once;
}

// `user@host:path` (scp-like ssh): a ':' before any '/'.
bool IsScpLike(const std::string& url) {
  size_t colon = url.find(':');
  return colon != std::string::npos && colon > 0 && url.find('/') > colon;
}

// The path of a local remote (a path or file:// url); empty for a network url.
std::string LocalPath(const std::string& url) {
  if (url.rfind("file://", 0) == 0) return url.substr(7);
  if (url.find("://") != std::string::npos || IsScpLike(url)) return "";
  return url;
}

// A relative local path is made absolute: the mirror's config must not depend on
// the working directory of whoever fetches next.
std::string NormalizeUrl(const std::string& url) {
  if (LocalPath(url) != url) return url;
  std::error_code ec;
  fs::path absolute = fs::absolute(url, ec);
  return ec ? url : absolute.lexically_normal().string();
}

// libgit2's last message, with the url's password removed.
std::string GitErrorFor(const std::string& url) {
  FetchSession session;
  session.secrets.push_back(mirror_internal::UrlSecret(url));
  return mirror_internal::Scrub(LastGitError(), session);
}

// Makes the mirror's "origin" point at url, creating it if missing.
Status EnsureRemote(git_repository* repo, const std::string& dir, const std::string& url) {
  RemotePtr remote;
  int rc = git_remote_lookup(remote.out(), repo, kRemoteName);
  if (rc == GIT_ENOTFOUND) {
    // Every branch maps onto itself, so a `git fetch` by hand keeps the mirror's shape.
    if (git_remote_create_with_fetchspec(remote.out(), repo, kRemoteName, url.c_str(), "+refs/heads/*:refs/heads/*") != 0)
      return Status::IOError("cannot add the remote " + RedactGitUrl(url) + " to the git mirror " + dir + ": " +
                             GitErrorFor(url));
    return Status::Ok();
  }
  if (rc != 0) return Status::IOError("cannot read the remote of the git mirror " + dir + ": " + GitErrorFor(url));
  const char* current = git_remote_url(remote.get());
  if (current && url == current) return Status::Ok();
  if (git_remote_set_url(repo, kRemoteName, url.c_str()) != 0)
    return Status::IOError("cannot change the remote of the git mirror " + dir + " to " + RedactGitUrl(url) + ": " +
                           GitErrorFor(url));
  return Status::Ok();
}

std::string OidString(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  return hex;
}

CommitInfo InfoOf(git_commit* commit) {
  CommitInfo info;
  info.sha = OidString(git_commit_id(commit));
  if (const git_signature* author = git_commit_author(commit)) {
    info.author_name = author->name ? author->name : "";
    info.author_email = author->email ? author->email : "";
    info.time_unix = author->when.time;
  }
  const char* summary = git_commit_summary(commit);
  info.summary = summary ? summary : "";
  const char* message = git_commit_message(commit);
  info.message = message ? message : "";
  return info;
}

// The Unavailable status of a failed connection or download, saying why.
Status RemoteError(const FetchSession& session, int rc, const std::string& url) {
  std::string reason;
  if (!session.failure.empty())
    reason = session.failure;  // a callback refused: it knows best
  else if (rc == GIT_EAUTH)
    reason = "authentication failed: " + LastGitError();
  else if (rc == GIT_ECERTIFICATE)
    reason = "certificate not trusted: " + LastGitError();
  else if (std::string path = LocalPath(url); !path.empty() && !fs::exists(path))
    reason = "unreachable: no such repository " + path;  // libgit2 would say "unsupported URL protocol"
  else
    reason = "unreachable: " + LastGitError();
  return Status::Unavailable(mirror_internal::Scrub("cannot fetch from " + RedactGitUrl(url) + ": " + reason, session));
}

// Points the mirror's HEAD at ref (so "HEAD~1" means the followed branch).
Status PointHeadAt(git_repository* repo, const std::string& ref) {
  ReferencePtr head;
  if (git_reference_lookup(head.out(), repo, "HEAD") == 0 && git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC &&
      ref == git_reference_symbolic_target(head.get()))
    return Status::Ok();
  if (git_repository_set_head(repo, ref.c_str()) != 0)
    return Status::IOError("cannot point HEAD of the git mirror at " + ref + ": " + LastGitError());
  return Status::Ok();
}

}  // namespace

GitMirror::GitMirror(git_repository* repo, std::string path, std::string url, GitCredentials creds)
    : repo_(repo), path_(std::move(path)), url_(std::move(url)), creds_(std::move(creds)) {}

GitMirror::~GitMirror() { git_repository_free(repo_); }

Result<std::unique_ptr<GitMirror>> GitMirror::Open(const std::string& dir, const std::string& url,
                                                   GitCredentials creds) {
  InitLibgit2();
  if (dir.empty()) return Status::InvalidArgument("git mirror: empty directory");
  if (url.empty()) return Status::InvalidArgument("git mirror " + dir + ": empty remote url");
  const std::string remote_url = NormalizeUrl(url);
  RepoPtr repo;
  int rc = git_repository_open_ext(repo.out(), dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc == GIT_ENOTFOUND) {
    std::error_code ec;
    if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)))
      return Status::FailedPrecondition(dir + " exists and is not a git repository; refusing to make a mirror in it");
    if (git_repository_init(repo.out(), dir.c_str(), /*is_bare=*/1) != 0)
      return Status::IOError("cannot create the git mirror " + dir + ": " + LastGitError());
  } else if (rc != 0) {
    return Status::IOError("cannot open the git mirror " + dir + ": " + LastGitError());
  }
  if (!git_repository_is_bare(repo.get()))
    return Status::FailedPrecondition(dir + " is a git work tree, not a bare mirror");
  GORCH_RETURN_IF_ERROR(EnsureRemote(repo.get(), dir, remote_url));
  return std::unique_ptr<GitMirror>(new GitMirror(repo.release(), dir, remote_url, std::move(creds)));
}

Result<CommitInfo> GitMirror::Fetch(const std::string& branch) {
  const std::string ref = "refs/heads/" + branch;
  int valid = 0;
  if (branch.empty() || git_reference_name_is_valid(&valid, ref.c_str()) != 0 || !valid)
    return Status::InvalidArgument("'" + branch + "' is not a valid branch name");

  FetchSession session;
  session.creds = &creds_;
  session.ssh_port = mirror_internal::SshPort(url_);
  session.secrets.push_back(mirror_internal::UrlSecret(url_));
  session.url_has_password = !session.secrets.back().empty();
  git_fetch_options options;
  git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
  mirror_internal::InstallCallbacks(options.callbacks, session);
  options.proxy_opts.type = GIT_PROXY_AUTO;  // http.proxy, then the https_proxy/http_proxy variables
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  options.prune = GIT_FETCH_NO_PRUNE;

  RemotePtr remote;
  if (git_remote_lookup(remote.out(), repo_, kRemoteName) != 0)
    return Status::IOError("cannot read the remote of the git mirror " + path_ + ": " + GitErrorFor(url_));
  // The ref advertisement first: when the branch has not moved, that is the whole poll.
  int rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &options.callbacks, &options.proxy_opts, nullptr);
  if (rc != 0) return RemoteError(session, rc, url_);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if ((rc = git_remote_ls(&heads, &count, remote.get())) != 0) return RemoteError(session, rc, url_);
  git_oid want;
  bool advertised = false;
  for (size_t i = 0; i < count && !advertised; ++i) {
    if (ref == heads[i]->name) {
      want = heads[i]->oid;
      advertised = true;
    }
  }
  if (!advertised) return Status::NotFound("branch '" + branch + "' not found at " + RedactGitUrl(url_));

  git_oid have;
  const bool up_to_date = git_reference_name_to_id(&have, repo_, ref.c_str()) == 0 && git_oid_equal(&have, &want);
  if (!up_to_date) {
    // The same connection downloads ('+': forced, so a force-push is followed).
    std::string refspec = "+" + ref + ":" + ref;
    char* specs[] = {refspec.data()};
    git_strarray refspecs{specs, 1};
    if ((rc = git_remote_download(remote.get(), &refspecs, &options)) != 0) return RemoteError(session, rc, url_);
    if (git_remote_update_tips(remote.get(), &options.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, "gorch: fetch") != 0)
      return Status::IOError("cannot update " + ref + " in the git mirror " + path_ + ": " + LastGitError());
    if (git_reference_name_to_id(&have, repo_, ref.c_str()) != 0 || !git_oid_equal(&have, &want))
      return Status::Internal("git mirror " + path_ + ": " + ref + " is not at " + OidString(&want) +
                              " after fetching it from " + RedactGitUrl(url_));
  }
  git_remote_disconnect(remote.get());
  GORCH_RETURN_IF_ERROR(PointHeadAt(repo_, ref));
  if (up_to_date && mirror_internal::CountPacks(repo_) > kGitMirrorMaxPacks) GORCH_RETURN_IF_ERROR(Repack());

  CommitPtr commit;
  if (git_commit_lookup(commit.out(), repo_, &want) != 0)
    return Status::InvalidArgument("git mirror " + path_ + ": " + ref + " at " + RedactGitUrl(url_) +
                                   " is not a commit: " + LastGitError());
  return InfoOf(commit.get());
}

// Repacks (when idle: only after a poll that brought nothing new, so a new commit
// is never delayed by it), then reopens the repository so no handle on the old
// packs stays open.
Status GitMirror::Repack() {
  GORCH_RETURN_IF_ERROR(mirror_internal::ConsolidatePacks(repo_));
  RepoPtr reopened;
  if (git_repository_open_ext(reopened.out(), path_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return Status::IOError("cannot reopen the git mirror " + path_ + " after repacking it: " + LastGitError());
  git_repository_free(std::exchange(repo_, reopened.release()));
  return Status::Ok();
}

Result<CommitInfo> GitMirror::Resolve(const std::string& rev) const {
  ObjectPtr object;
  int rc = git_revparse_single(object.out(), repo_, rev.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS || rc == GIT_EUNBORNBRANCH)
    return Status::NotFound("revision '" + rev + "' not found in the git mirror " + path_ + " (" + LastGitError() + ")");
  if (rc != 0) return Status::IOError("cannot resolve '" + rev + "' in the git mirror " + path_ + ": " + LastGitError());
  ObjectPtr commit;
  if (git_object_peel(commit.out(), object.get(), GIT_OBJECT_COMMIT) != 0)
    return Status::InvalidArgument("revision '" + rev + "' in the git mirror " + path_ + " is not a commit");
  return InfoOf(reinterpret_cast<git_commit*>(commit.get()));
}

}  // namespace gorch::engine

// The git mirror the GitOps watcher fetches through (issue 8): a bare repository
// under the server's data directory that follows one remote through libgit2.
//
// A Fetch first lists the remote's refs (one connection, no object transfer) and
// only downloads when the branch moved, so a poll with no new commit costs one
// ref advertisement, whatever the size of the repository. Only the requested
// branch is fetched, into refs/heads/<branch> of the mirror, forced (a force-push
// is followed), without tags. The compiler reads a fetched commit straight from
// the mirror: compiler::OpenGitSource(mirror.path(), info.sha, subdir).
//
// Threads: one GitMirror must be used by one thread at a time (it holds libgit2
// objects, which are not safe to share). Different GitMirror objects (on different
// directories) may be used from different threads at once. Two GitMirror objects on
// the same directory at once are not supported.
//
// Credentials are read from files at each Fetch (so a rotated secret is picked up)
// and never appear in a Status message or a log; urls in messages are shown without
// their password.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gorch/base/status.h"

struct git_repository;  // libgit2

namespace gorch::engine {

// How to authenticate to the remote; every field is optional. Files are read at each
// Fetch and trimmed of their trailing newline(s).
struct GitCredentials {
  // https user, or the ssh user when the url names none; "git" when empty.
  std::string username;
  // https password or token (GitHub/GitLab tokens: any username, or "git").
  std::string password_file;
  // ssh private key (OpenSSH or PEM format); its public key is ssh_key_file + ".pub" if present.
  std::string ssh_key_file;
  // The passphrase of ssh_key_file, when it has one.
  std::string ssh_passphrase_file;
  // OpenSSH known_hosts file (plain, wildcard and hashed `|1|` entries; `[host]:port`
  // for a port other than 22). When set, the ssh host key must be listed there. When
  // empty, every ssh host key is refused unless insecure_skip_host_check is set.
  std::string ssh_known_hosts_file;
  // Accept any ssh host key and any https certificate (tests, trusted networks only).
  bool insecure_skip_host_check = false;
};

// One commit of the mirror.
struct CommitInfo {
  std::string sha;  // 40 hex
  std::string author_name, author_email;
  std::string summary;  // the subject: the message's first paragraph on one line (`git log --format=%s`)
  std::string message;  // the whole message, as committed
  int64_t time_unix = 0;  // the author time (seconds since the epoch), as `git log` shows it
};

// When a poll finds nothing new and the mirror holds more packs than this (libgit2
// keeps one pack per fetch), Fetch rewrites them into one pack, keeping every object.
inline constexpr size_t kGitMirrorMaxPacks = 50;

class GitMirror {
 public:
  // Opens the bare mirror at dir, creating it (a bare repository with a remote named
  // "origin" pointing at url) if dir is missing or empty; when the mirror exists with
  // another url, its remote's url is changed to url (the next Fetch follows the new
  // remote, force-updating the branch). url: a local path (a relative one is made
  // absolute), file://, https://, http://, ssh:// or scp-like user@host:path.
  // Nothing is fetched. InvalidArgument for an empty url; FailedPrecondition when dir
  // holds something that is not a bare repository; IOError when it cannot be created.
  static Result<std::unique_ptr<GitMirror>> Open(const std::string& dir, const std::string& url,
                                                 GitCredentials creds = {});
  ~GitMirror();
  GitMirror(const GitMirror&) = delete;
  GitMirror& operator=(const GitMirror&) = delete;

  // Fetches `branch` of the remote into refs/heads/<branch> of the mirror (forced),
  // points the mirror's HEAD at it, and returns the branch's commit. When the remote's
  // branch is where the mirror's already is, nothing is downloaded.
  // Errors: InvalidArgument for a name that is not a valid branch name; NotFound when
  // the remote has no such branch; Unavailable when the remote cannot be read, the
  // message saying why (unreachable, authentication failed, host key not trusted,
  // unreadable credentials file) and naming the url without credentials; IOError when
  // the mirror itself cannot be written.
  // Housekeeping: a Fetch that downloads nothing while the mirror holds more than
  // kGitMirrorMaxPacks packs rewrites them into one and deletes the old pack files;
  // a compiler::Source opened on the mirror earlier should be done reading by then
  // (open one after a Fetch, drop it before the next, as the watcher does).
  Result<CommitInfo> Fetch(const std::string& branch);

  // A commit of the mirror (a sha, "main", "HEAD", "main~1"...), without fetching.
  // NotFound when rev names nothing; InvalidArgument when it names something else
  // than a commit.
  Result<CommitInfo> Resolve(const std::string& rev) const;

  // The bare repository's directory, as given to Open.
  const std::string& path() const { return path_; }
  // The remote's url, as stored in the mirror (a relative local path made absolute).
  const std::string& url() const { return url_; }

 private:
  GitMirror(git_repository* repo, std::string path, std::string url, GitCredentials creds);
  Status Repack();

  git_repository* repo_;  // owned
  std::string path_;
  std::string url_;
  GitCredentials creds_;
};

// `url` as it may appear in a message: the password of an `scheme://user:password@host`
// url is removed ("https://user@host/repo.git").
std::string RedactGitUrl(std::string_view url);

// Whether known_hosts (the text of an OpenSSH known_hosts file) lists key_blob (the
// host key as the ssh protocol sends it: the base64-decoded key field of a
// known_hosts line) for host:port. Host patterns may be plain, wildcards (`*`, `?`),
// negated (`!`), hashed (`|1|salt|hash`) and `[host]:port`; a matching @revoked line
// refuses the key; @cert-authority lines are ignored (not supported).
bool KnownHostsListKey(std::string_view known_hosts, std::string_view host, int port, std::string_view key_blob);

}  // namespace gorch::engine

// Shared by mirror.cc and mirror_auth.cc: the state of one Fetch that libgit2's
// credential and certificate callbacks read and report into.
#pragma once

#include <git2.h>

#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/engine/git_mirror.h"

namespace gorch::engine::mirror_internal {

// libgit2's message for the last error of this thread.
std::string LastGitError();

// The payload of one Fetch's callbacks. Lives on the Fetch's stack.
struct FetchSession {
  const GitCredentials* creds = nullptr;
  int ssh_port = 22;  // of the url, for `[host]:port` known_hosts entries
  bool url_has_password = false;  // libgit2 offers it before asking the callback
  // Set by a callback that refused to go on; becomes the Unavailable message's reason.
  std::string failure;
  unsigned tried_types = 0;          // credential types already offered (a second ask means refused)
  std::vector<std::string> secrets;  // read during this fetch; scrubbed from every message
};

// Installs the credential and certificate callbacks of session on callbacks.
void InstallCallbacks(git_remote_callbacks& callbacks, FetchSession& session);

// message with every secret of session (and of the url) replaced by "***".
std::string Scrub(std::string message, const FetchSession& session);

// The password of a `scheme://user:password@host` url, empty when none.
std::string UrlSecret(const std::string& url);

// The port an ssh url names (22 when none, or for a scp-like url).
int SshPort(const std::string& url);

// The number of pack files of the repository.
size_t CountPacks(git_repository* repo);

// Rewrites every object of the repository into one new pack and deletes the others
// (indexes first, so a concurrent scan never sees a pack without its index).
Status ConsolidatePacks(git_repository* repo);

}  // namespace gorch::engine::mirror_internal

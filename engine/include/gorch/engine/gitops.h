// GitOps: the control plane follows git branches (issue 8). Each source names a
// repository, a branch, a folder and a default namespace; a worker per source
// keeps a bare mirror (git_mirror.h), and on a new commit compiles it, checks the
// policy pack (error-level findings block), plans against the live state and
// applies. Between commits it compares the live state with that commit on a timer:
// drift is reported, and healed when selfHeal is on; what left git is pruned when
// prune is on. A commit that fails changes nothing: the last good one stays.
//
// Sources live in the store (/gorch/sources/<name>) so they survive restarts and
// can be added at run time; each one's sync status is kept at /gorch/sync/<name>
// (JSON, SyncStatus::ToJson) for `gorch status` and every replica to read.
// Resources a source applies are stamped with the source's owner ("git:<name>"):
// a source prunes only what it applied itself, never another source's or a
// hand `gorch apply`'s.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/engine/git_mirror.h"
#include "gorch/store/clock.h"
#include "gorch/store/store.h"

namespace gorch::engine {

inline constexpr std::string_view kSourcesPrefix = "/gorch/sources/";
inline constexpr std::string_view kSyncPrefix = "/gorch/sync/";

struct GitSourceSpec {
  std::string name;         // [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters
  std::string repo;         // local path, file://, https://, ssh:// or user@host:path
  std::string branch = "main";
  std::string path;         // folder inside the repository ("" = the root)
  std::string namespace_;   // namespace of resources that name none ("" = "default")
  std::chrono::milliseconds interval{std::chrono::seconds(10)};  // poll and drift check
  bool self_heal = true;    // undo drift at once (else only report it)
  bool prune = true;        // delete what this source applied and left git
  GitCredentials credentials;  // files, read at each fetch; never stored in status

  // {"name","repo","branch","path","namespace","intervalMs","selfHeal","prune",
  //  "credentials":{"username","passwordFile","sshKeyFile","sshKnownHostsFile","insecureSkipHostCheck"}}
  std::string ToJson() const;
  static Result<GitSourceSpec> FromJson(std::string_view json);
  // InvalidArgument naming the field: a bad name, an empty repo, an interval
  // under 100 ms, a path with "..".
  Status Validate() const;
  // The owner stamped on what this source applies.
  std::string Owner() const { return "git:" + name; }
};

// The health of one resource the synced commit holds.
struct ResourceHealth {
  std::string kind, namespace_, name;
  std::string health;   // Healthy | Progressing | Degraded | Missing
  std::string message;  // "2/3 available", "not in the live state"...
};

// Where a commit failed. phase: fetch | compile | policy | plan | apply.
struct SyncFailure {
  std::string commit;   // the sha that failed ("" for fetch)
  std::string phase;
  std::string where;    // "deploy/web.yaml:12:5" when the failure has a place
  std::string message;
  std::string time;     // RFC 3339
};

struct SyncStatus {
  std::string source;
  // Synced: the live state is what the branch head says, and every workload is
  // ready. Progressing: applied, workloads still rolling out. Degraded: applied,
  // and a workload failed (deadline exceeded, a Job failed). OutOfSync: the live
  // state differs from the head (drift without selfHeal, prune off, or the head
  // failed to compile / pass policy / apply). Unknown: no commit synced yet.
  std::string state = "Unknown";
  CommitInfo synced;        // the last commit applied
  std::string synced_at;    // RFC 3339 time of that apply
  CommitInfo head;          // the branch head last fetched
  std::string fetched_at;
  std::vector<SyncFailure> errors;  // what is wrong now (empty when fine)
  std::vector<std::string> drift;   // resources that differ from git ("Deployment/shop/web: spec.replicas")
  std::vector<std::string> orphans; // left git but kept (prune off)
  std::vector<ResourceHealth> resources;
  int64_t syncs = 0;        // applies made by this source
  int64_t heals = 0;        // of them, drift undone

  std::string ToJson() const;
  static Result<SyncStatus> FromJson(std::string_view json);
};

struct GitOpsOptions {
  std::string data_dir;                   // mirrors go in <data_dir>/git/<source>.git
  std::vector<std::string> schema_dirs;   // extra schemas (as `gorch compile --schema`)
  std::shared_ptr<store::Clock> clock;    // null: the wall clock
  std::function<void(const std::string&)> log;
};

// Runs the sources' workers. Thread-safe.
class GitOps {
 public:
  virtual ~GitOps() = default;
  // Loads the sources kept in the store and starts a worker for each.
  static Result<std::unique_ptr<GitOps>> Start(store::Store& store, GitOpsOptions options);

  // Adds or replaces a source (kept in the store) and starts syncing it at once.
  virtual Status Apply(const GitSourceSpec& spec) = 0;
  // Stops following a source and forgets its status and mirror; what it applied
  // stays (NotFound if there is no such source).
  virtual Status Remove(const std::string& name) = 0;
  virtual std::vector<GitSourceSpec> Sources() const = 0;
  // Wakes a source's worker now (NotFound if unknown).
  virtual Status SyncNow(const std::string& name) = 0;
  // Wakes every source following one of these repository urls on `branch`
  // (urls compared without scheme, credentials, trailing ".git" or "/"; a
  // repo_full_name "org/repo" matches a url ending in it); returns their names.
  virtual std::vector<std::string> Trigger(const std::vector<std::string>& repo_urls,
                                           const std::string& repo_full_name, const std::string& branch) = 0;
  // Stops every worker after the sync it is in; idempotent (the destructor calls it).
  virtual void Stop() = 0;
};

// Reads the statuses kept in the store (one per source, by name).
Result<std::vector<SyncStatus>> ReadSyncStatuses(store::Store& store);

}  // namespace gorch::engine

// Shared machinery of the controllers: the informer cache fed by the store's watch,
// the work queue, compare-and-swap writes through the cache, and JSON helpers.
// Single-threaded: the control plane's loop owns all of it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gorch/engine/controllers.h"
#include "gorch/lang/value.h"
#include "gorch/planner/scheduler.h"
#include "gorch/planner/scheduler_model.h"

namespace gorch::engine::ctrl {

using Json = nlohmann::json;

struct PodView;
struct Owner;

// What the controllers derive from one cached pod, computed on first use and
// dropped with the value it came from (a new value is a new Obj).
struct PodMemo;

// One cached key: its value parsed (null Json when the value is not JSON).
struct Obj {
  int64_t mod_revision = 0;
  Json value;
  // Pods: the revision at which object.spec or object.metadata.labels last changed
  // (a status-only change keeps it), so the scheduler re-reads a pod's request only
  // when it can differ. Other kinds: mod_revision.
  int64_t shape_revision = 0;
  const Json& object() const;  // value["object"] (the envelope's object), or null
  // The pod's view and owner references, memoised (ViewPod, OwnedPods).
  const PodMemo& pod_memo(const std::string& key) const;

  mutable std::shared_ptr<const PodMemo> memo_;  // single-threaded: the loop's
};

// The store as last seen, by key. Updated from the watch and, at once, from our own
// successful writes (write-through), so a sync never acts twice on the same state.
// A cached key and its object; both stay valid until the key is deleted from the
// cache (or replaced: a Put makes a new Obj).
using CacheEntry = std::pair<const std::string&, const Obj*>;

class Cache {
 public:
  const Obj* Get(const std::string& key) const;
  // Every cached key starting with prefix, in key order (no copies of the keys).
  std::vector<CacheEntry> List(std::string_view prefix) const;
  // Calls fn(key, obj) for every cached key starting with prefix, in key order.
  template <typename Fn>
  void ForEach(std::string_view prefix, Fn&& fn) const {
    for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      fn(it->first, it->second);
    }
  }
  // Applies a change seen at `revision`; older changes than the cache holds for the
  // key (or than a delete it knows) are ignored. Returns the previous value (for
  // deletes: who owned the object), or nullopt.
  std::optional<Obj> Put(const std::string& key, int64_t revision, Json value);
  std::optional<Obj> Delete(const std::string& key, int64_t revision);
  // Forgets tombstones older than revision (the watch has passed them).
  void Trim(int64_t revision);

 private:
  std::map<std::string, Obj, std::less<>> objects_;
  std::map<std::string, int64_t, std::less<>> tombstones_;
};

enum class Controller : uint8_t {
  kDeployment,
  kReplicaSet,
  kStatefulSet,
  kDaemonSet,
  kJob,
  kCronJob,
  kScheduler,
  kNode,
  kGc,
};
inline constexpr int kControllerCount = 9;
std::string_view ControllerName(Controller c);

// One write of a Commit: put `value` (or delete when nullopt) if the key's
// mod_revision is still `expect` (0: the key must not exist; -1: no guard).
struct Mutation {
  std::string key;
  std::optional<Json> value;
  int64_t expect = -1;
};

// A sync's outcome: ok, or an error (retried with backoff; Aborted = a write
// conflict, retried at once). requeue_after_ms: sync again after this long (timers:
// minReadySeconds, progress deadlines, grace periods, cron schedules).
struct SyncResult {
  SyncResult() = default;
  SyncResult(Status s, std::optional<int64_t> requeue = std::nullopt)  // NOLINT: implicit by design
      : status(std::move(s)), requeue_after_ms(requeue) {}
  Status status;
  std::optional<int64_t> requeue_after_ms;
};

// What the scheduler read from one bound pod's spec, valid for one mod_revision:
// a scheduling pass reads only the pods that changed since the last pass.
struct BoundPodMemo {
  int64_t mod_revision = 0;
  int64_t shape_revision = 0;  // Obj::shape_revision the request was read at
  uint64_t pass = 0;           // the last scheduler pass that saw the pod
  std::string node;
  bool counts = false;  // bound and not finished
  std::optional<planner::PodRequest> request;  // nullopt: the spec does not parse
};

// What the scheduler read from one Node object, valid for one mod_revision.
struct NodeMemo {
  int64_t mod_revision = 0;
  std::optional<planner::NodeInfo> info;  // nullopt: not Ready, or malformed
};

// The scheduler loop's state across passes (scheduler_loop.cc): what it read from
// the nodes and the bound pods, and the planner::Scheduler built from that, kept
// while nothing it depends on changed (its own binds excepted), so a pass costs by
// the pods it places, not by every pod bound in the cluster.
struct SchedulerState {
  std::unordered_map<std::string, BoundPodMemo> bound_pods;  // by store key; counting pods only
  std::unordered_map<std::string, NodeMemo> nodes;           // by store key
  std::optional<planner::Scheduler> live;  // nullopt: rebuild before the next placement
  // The binds `live` made since its build: pod key -> node and the pod's
  // shape_revision once the bind is written (0 before).
  std::unordered_map<std::string, std::pair<std::string, int64_t>> placed;
  uint64_t pass = 0;
};

class Context {
 public:
  Context(store::Store& store, const ControlPlaneOptions& options, store::Clock& clock)
      : store_(store), options_(options), clock_(clock) {}
  virtual ~Context() = default;

  store::Store& store() { return store_; }
  const ControlPlaneOptions& options() const { return options_; }
  store::Clock& clock() { return clock_; }
  int64_t Now() { return clock_.NowMillis(); }
  Cache& cache() { return cache_; }
  SchedulerState& scheduler_state() { return scheduler_; }
  // Pod keys that may be pending (no node, not finished), kept by Dispatch; the
  // scheduler drops the ones that are not (any more).
  std::set<std::string>& pending_pods() { return pending_pods_; }

  // Writes all mutations in one transaction (REQUIRES: at most kMaxTxnOps). Returns
  // true on success (the cache is updated at once, the values moved into it), false
  // when a guard failed (the keys are re-read into the cache), or the store's error.
  Result<bool> Commit(std::vector<Mutation> mutations);
  // The same, failing with Aborted on a conflict (for `GORCH_RETURN_IF_ERROR`).
  Status CommitOrAbort(std::vector<Mutation> mutations);
  // Several such transactions (each REQUIRES at most kMaxTxnOps), all in flight at
  // once so that the store makes them durable together; their outcomes are applied
  // to the cache in order, as Commit does. Ok when all succeeded, Aborted when a
  // guard failed (the others may have succeeded: the cache says which), else the
  // first store error.
  Status CommitAll(std::vector<std::vector<Mutation>> txns);

  virtual void Enqueue(Controller c, const std::string& key, int64_t delay_ms = 0) = 0;
  // Routes a change of `key` to the controllers that care (old: the value before).
  virtual void Dispatch(const std::string& key, const Json* value, const Json* old) = 0;

  Status Event(const ObjectRef& involved, EventType type, std::string_view reason, std::string_view message);

 private:
  Result<bool> Applied(std::vector<Mutation> mutations, Result<store::TxnResponse> resp);

  store::Store& store_;
  const ControlPlaneOptions& options_;
  store::Clock& clock_;
  Cache cache_;
  SchedulerState scheduler_;
  std::set<std::string> pending_pods_;
};

// ---- keys and JSON ----

// "/Kind/ns/name" -> {kind, ns, name}; false when not of that shape.
bool SplitKey(std::string_view key, std::string* kind, std::string* ns, std::string* name);
std::string ObjectKey(std::string_view kind, std::string_view ns, std::string_view name);
std::string StatusKey(std::string_view kind, std::string_view ns, std::string_view name);
// "ns/name" queue keys.
std::string NsName(std::string_view ns, std::string_view name);
void SplitNsName(const std::string& key, std::string* ns, std::string* name);

// The controller owner of an object (ownerReferences' first entry), or empty.
struct Owner {
  std::string kind, name;
};
Owner OwnerOf(const Json& object);
bool IsOwnedBy(const Json& object, std::string_view kind, std::string_view name);

// Field access that tolerates absent fields.
int64_t IntAt(const Json& j, std::string_view key, int64_t fallback);
std::string StringAt(const Json& j, std::string_view key);
const Json& At(const Json& j, std::string_view key);  // null Json when absent

lang::Value ToValue(const Json& j);
std::string Rfc3339(int64_t unix_millis);
// RFC 3339 ("2024-05-01T10:00:00Z", fractions and offsets allowed) or an integer
// of Unix milliseconds; nullopt otherwise.
std::optional<int64_t> ParseTime(const Json& j);

// A pod as the controllers see it.
struct PodView {
  std::string key, name, node, phase;
  bool ready = false;
  int64_t ready_since = 0;  // Unix ms of the Ready condition's lastTransitionTime
  bool terminal() const { return phase == "Succeeded" || phase == "Failed"; }
};
// Memoised per pod value (Obj::pod_memo): a sync over a thousand pods reads no JSON.
const PodView& ViewPod(const std::string& key, const Obj& obj);

struct PodMemo {
  PodView view;
  std::vector<Owner> owners;  // metadata.ownerReferences, in order
};
// Ready for at least min_ready_seconds by `now`; else *wait_ms (if set) is lowered to
// the time left until it will be (when ready).
bool Available(const PodView& pod, int32_t min_ready_seconds, int64_t now, std::optional<int64_t>* wait_ms);

// Pods in ns whose names start with "<owner>-" and that `owner_kind/owner` owns.
std::vector<CacheEntry> OwnedPods(Cache& cache, std::string_view ns, std::string_view owner_kind,
                                  std::string_view owner);

// A new pod's envelope from a pod template (metadata labels/annotations, spec).
Json NewPod(std::string_view ns, std::string_view name, const Json& pod_template, std::string_view owner_kind,
            std::string_view owner_api_version, std::string_view owner_name, const Json& extra_labels);

// Puts `status` at /gorch/status/<kind>/<ns>/<name> unless equal to the cached one.
Status WriteStatus(Context& ctx, std::string_view kind, std::string_view ns, std::string_view name,
                   const Json& status);

// Sets condition `type` in a Kubernetes conditions list (keeping
// lastTransitionTime when the status did not change).
void SetCondition(Json* conditions, std::string_view type, std::string_view status, std::string_view reason,
                  std::string_view message, int64_t now);

// ---- the controllers' syncs (one file each) ----
SyncResult SyncDeployment(Context& ctx, const std::string& key);
SyncResult SyncReplicaSet(Context& ctx, const std::string& key);
SyncResult SyncStatefulSet(Context& ctx, const std::string& key);
SyncResult SyncDaemonSet(Context& ctx, const std::string& key);
SyncResult SyncJob(Context& ctx, const std::string& key);
SyncResult SyncCronJob(Context& ctx, const std::string& key);
SyncResult SyncScheduler(Context& ctx, const std::string& key);
SyncResult SyncNode(Context& ctx, const std::string& key);
SyncResult SyncGc(Context& ctx, const std::string& key);

// Deployment name of a ReplicaSet "<deployment>-<10 hex digits>", or empty.
std::string DeploymentOfReplicaSet(std::string_view rs_name);

}  // namespace gorch::engine::ctrl

// The engine's controllers: the control loops that converge the live state in the
// store towards the applied desired state (docs/controllers.md, docs/state-model.md).
//
// Kubernetes' controller pattern (STYLE.md): one watch on the store feeds an
// in-memory cache and enqueues keys; a key is synced by one `Sync(key)` at a time,
// which re-reads the cached state and converges it, level-triggered and idempotent;
// every write is a compare-and-swap transaction (a conflict re-reads and retries);
// a failed sync is retried with exponential backoff up to a bound. Decisions come
// from the planner library (NextDeploymentStep, NextStatefulSetStep,
// NextDaemonSetStep, NextJobStep, the Scheduler).
//
// Controllers: Deployment (ReplicaSets as revision history, rolling update, progress
// deadline and automatic rollback, pause, undo), ReplicaSet, StatefulSet (stable
// names, ordered start/stop, a kept PVC per pod), DaemonSet, Job, CronJob, the
// scheduler loop, node lifecycle, and garbage collection through ownerReferences.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/planner/scheduler.h"
#include "gorch/store/clock.h"
#include "gorch/store/store.h"

namespace gorch::engine {

// The control plane reads the clock as Unix milliseconds (event timestamps,
// lastTransitionTime, CronJob schedules are wall-clock times). A test passes a
// store::ManualClock started at a Unix time and moves it by hand.
std::shared_ptr<store::Clock> SystemWallClock();

struct ControlPlaneOptions {
  // Unix milliseconds; null: SystemWallClock().
  std::shared_ptr<store::Clock> clock;
  // A node whose heartbeat key (/gorch/heartbeat/<node>) is gone is marked
  // NotReady at once; once it has been NotReady this long its pods are deleted so
  // that their controllers recreate them elsewhere.
  std::chrono::milliseconds node_grace_period{std::chrono::seconds(40)};
  // Every key of every controller is re-synced this often (0: never).
  std::chrono::milliseconds resync_period{std::chrono::minutes(5)};
  // Retry of a failed sync: backoff_base * 2^(failures-1), at most backoff_max;
  // after max_retries failures in a row the key is dropped until its next event.
  std::chrono::milliseconds backoff_base{std::chrono::milliseconds(5)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  int max_retries = 15;
  // How long the background loop waits on the watch when it has nothing to do.
  std::chrono::milliseconds idle_wait{std::chrono::milliseconds(100)};
  planner::SchedulerOptions scheduler;
};

// The controllers, running over one store. Thread-safe: Stop() may be called from
// any thread; Step() must not be called while the background loop runs.
class ControlPlane {
 public:
  virtual ~ControlPlane() = default;

  // Lists the store, enqueues every object and starts the background loop (one
  // thread). The store must outlive the ControlPlane. Errors: what the store's first
  // read or watch returned.
  static Result<std::unique_ptr<ControlPlane>> Start(store::Store& store, const ControlPlaneOptions& options);

  // The same, without a thread: the caller drives it with Step(). For tests.
  static Result<std::unique_ptr<ControlPlane>> Create(store::Store& store, const ControlPlaneOptions& options);

  // Stops the background loop and waits for it; idempotent. The destructor stops too.
  virtual void Stop() = 0;

  // Without a thread: reads the watch up to the store's current revision and runs
  // every due sync (timers due by the clock's current time included), repeatedly,
  // until nothing is left to do now. Returns how many syncs ran. Errors: the watch's
  // (Compacted, Unavailable) — the caller may Create() a new ControlPlane.
  virtual Result<int> Step() = 0;
};

// ---- Events (/Event/<ns>/<object>.<seq>, one-hour lease) ----

struct ObjectRef {
  std::string kind;
  std::string namespace_;  // empty for cluster-scoped kinds (Node)
  std::string name;
};

enum class EventType { kNormal, kWarning };

// Records that `reason` happened to `involved` ("Warning ProgressDeadlineExceeded
// ..."). An event with the same involved object, type, reason and message as an
// existing one bumps its count and lastTimestamp instead. Written by CAS, retried on
// conflict.
Status RecordEvent(store::Store& store, const ObjectRef& involved, EventType type, std::string_view reason,
                   std::string_view message, store::Clock& clock);

// ---- Rollout verbs (gorch rollout undo|pause|resume|history) ----
//
// The Deployment key is written only by apply (it is git's desired state), so these
// verbs write a rollout override at /gorch/rollout/Deployment/<ns>/<name>:
// {"appliedHash", "rollbackTo": {"revision", "templateHash"}, "paused"}. While its
// appliedHash equals the Deployment's, the controller rolls out the template of the
// ReplicaSet named by rollbackTo instead of spec.template; a later apply that
// changes the Deployment supersedes the rollback (the override's rollbackTo is
// dropped). "paused" true pauses the rollout as spec.paused does, until resumed.

// One revision of a Deployment: a ReplicaSet it owns.
struct RolloutRevision {
  int64_t revision = 0;        // annotation deployment.kubernetes.io/revision
  std::string replica_set;     // "<deployment>-<template-hash>"
  std::string template_hash;
  int32_t replicas = 0;        // spec.replicas of the ReplicaSet now
  bool current = false;        // the revision being rolled out now
  std::string change_cause;    // annotation kubernetes.io/change-cause, if any
};

// The Deployment's revisions, oldest first. NotFound when the Deployment is absent.
Result<std::vector<RolloutRevision>> RolloutHistory(store::Store& store, std::string_view ns, std::string_view name);

// Rolls the Deployment back to `revision`, or to the revision before the current one
// when absent. Returns the revision rolled back to. NotFound (Deployment or
// revision), FailedPrecondition (no previous revision).
Result<int64_t> RolloutUndo(store::Store& store, std::string_view ns, std::string_view name,
                            std::optional<int64_t> revision);

// Pauses (true) or resumes (false) the Deployment's rollout. NotFound when absent.
Status RolloutSetPaused(store::Store& store, std::string_view ns, std::string_view name, bool paused);

// The key of the rollout override above.
std::string RolloutOverrideKey(std::string_view ns, std::string_view name);

// ---- Well-known names ----
inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kAutoRollbackAnnotation = "gorch.dev/auto-rollback";  // "false" disables
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";
inline constexpr std::string_view kHeartbeatPrefix = "/gorch/heartbeat/";
inline constexpr std::string_view kStatusPrefix = "/gorch/status/";

}  // namespace gorch::engine

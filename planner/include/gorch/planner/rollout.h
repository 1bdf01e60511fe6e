// Rollout strategies as pure functions, with the semantics of the Kubernetes
// controllers: Deployment (RollingUpdate with maxSurge / maxUnavailable, Recreate),
// StatefulSet (ordered by ordinal, reverse on scale-down, partition), DaemonSet (one
// pod per eligible node, maxUnavailable / maxSurge) and Job (parallelism,
// completions).
//
// Each strategy has one single-step function: given the pods that exist now (old or
// new revision, ready, available) it returns the next actions, which the engine
// executes before observing again. Plan*Rollout calls that same function in a loop,
// assuming each wave's pods become ready (or complete), to show the rollout as waves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::planner {

// maxSurge / maxUnavailable: an absolute number or a percentage of the desired count.
struct IntOrPercent {
  int32_t value = 0;
  bool percent = false;

  static IntOrPercent Int(int32_t v) { return {v, false}; }
  static IntOrPercent Percent(int32_t v) { return {v, true}; }
  // "3" or "25%"; InvalidArgument otherwise (negative, not a number).
  static Result<IntOrPercent> Parse(std::string_view text);
  // The value, or value% of total rounded up or down.
  int32_t Scaled(int32_t total, bool round_up) const;
  std::string ToString() const;
  bool operator==(const IntOrPercent&) const = default;
};

// A pod of the workload as the controller sees it (observed by the engine, or
// simulated by the wave planner).
struct PodStatus {
  std::string name;
  bool updated = false;      // runs the desired (new) revision
  bool ready = false;        // condition Ready
  bool available = false;    // ready for at least minReadySeconds (the engine's clock decides)
  bool terminating = false;  // deletion requested, not gone yet
  bool succeeded = false;    // Job pods: finished successfully
  bool failed = false;       // Job pods: finished with an error
  int32_t ordinal = -1;      // StatefulSet pods
  std::string node;          // DaemonSet pods
  bool operator==(const PodStatus&) const = default;
};

struct PodToCreate {
  std::string name;
  bool updated = true;  // false: the old revision (a StatefulSet ordinal below partition)
  int32_t ordinal = -1;
  std::string node;
  bool operator==(const PodToCreate&) const = default;
};

// The next actions of a rollout: create these, delete those (in order). Nothing to
// do and !complete means: wait (for pods to become ready / available, to finish
// terminating, or to complete).
struct RolloutStep {
  std::vector<PodToCreate> create;
  std::vector<std::string> remove;
  bool complete = false;  // every pod is updated and available (Job: completed)
  bool empty() const { return create.empty() && remove.empty(); }
};

enum class WaitKind : uint8_t {
  kReady,       // the pods become ready, then stay ready min_ready_seconds (available)
  kTerminated,  // the pods are gone
  kCompleted,   // the (Job) pods finish successfully
};
std::string_view WaitKindName(WaitKind kind);

struct WaitFor {
  WaitKind kind = WaitKind::kReady;
  std::vector<std::string> pods;
  int32_t min_ready_seconds = 0;  // kReady only
  bool operator==(const WaitFor&) const = default;
};

// One wave: pods added and removed together, and what must hold before the next.
struct RolloutWave {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<WaitFor> waits;
};

// "+3 -2, wait ready(3) 10s" per wave, one per line: for plan output and tests.
std::string DescribeWaves(const std::vector<RolloutWave>& waves);

// ---- Deployment ----

enum class DeploymentStrategy : uint8_t { kRollingUpdate, kRecreate };

struct DeploymentRollout {
  int32_t replicas = 1;
  DeploymentStrategy strategy = DeploymentStrategy::kRollingUpdate;
  IntOrPercent max_surge = IntOrPercent::Percent(25);
  IntOrPercent max_unavailable = IntOrPercent::Percent(25);
  int32_t min_ready_seconds = 0;
  // New pods are named "<prefix>-<k>" with the smallest unused k >= 1.
  std::string new_pod_prefix = "pod";
};

struct Fenceposts {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
  bool operator==(const Fenceposts&) const = default;
};

// maxSurge rounds up, maxUnavailable down (both of replicas); maxUnavailable is
// capped at replicas; if both resolve to 0, maxUnavailable becomes 1 (as
// Kubernetes). InvalidArgument when both are written as 0, a value is negative, or
// a percentage exceeds 100 (maxUnavailable).
Result<Fenceposts> ResolveFenceposts(const DeploymentRollout& spec);

// RollingUpdate: scale the new revision up to replicas + maxSurge pods in all,
// then delete old pods (unavailable ones first, then newest first) while at least
// replicas - maxUnavailable stay available, counting new pods not yet available
// against the budget. Recreate: delete every old pod, wait until they are gone,
// then create the new ones. Terminating pods are ignored, except that Recreate
// waits for them.
Result<RolloutStep> NextDeploymentStep(const DeploymentRollout& spec, const std::vector<PodStatus>& pods);
Result<std::vector<RolloutWave>> PlanDeploymentRollout(const DeploymentRollout& spec,
                                                       const std::vector<PodStatus>& pods);

// ---- StatefulSet ----

enum class PodManagementPolicy : uint8_t { kOrderedReady, kParallel };
enum class StatefulSetUpdateStrategy : uint8_t { kRollingUpdate, kOnDelete };

struct StatefulSetRollout {
  std::string name;  // pods are "<name>-<ordinal>"
  int32_t replicas = 1;
  PodManagementPolicy pod_management = PodManagementPolicy::kOrderedReady;
  StatefulSetUpdateStrategy update_strategy = StatefulSetUpdateStrategy::kRollingUpdate;
  int32_t partition = 0;  // RollingUpdate: ordinals below it keep the old revision
  int32_t min_ready_seconds = 0;
};

// OrderedReady: create missing ordinals lowest first, one at a time, each waiting
// for the previous to be available; delete ordinals >= replicas highest first, one at
// a time, only while the others are available. Parallel: create and delete all at
// once. RollingUpdate: from the highest ordinal down to partition, delete one
// old-revision pod at a time (it is recreated with the new revision by the next
// step), waiting for each updated pod to become available. Created ordinals below
// partition get the old revision. OnDelete: pods are only replaced after a user
// deletes them.
Result<RolloutStep> NextStatefulSetStep(const StatefulSetRollout& spec, const std::vector<PodStatus>& pods);
Result<std::vector<RolloutWave>> PlanStatefulSetRollout(const StatefulSetRollout& spec,
                                                        const std::vector<PodStatus>& pods);

// ---- DaemonSet ----

struct DaemonSetRollout {
  std::string name;  // new pods are "<name>-<node>"
  IntOrPercent max_unavailable = IntOrPercent::Int(1);  // of eligible nodes, rounded up
  IntOrPercent max_surge = IntOrPercent::Int(0);        // of eligible nodes, rounded up
  int32_t min_ready_seconds = 0;
};

// eligible_nodes: the nodes the daemon pod should run on (for instance those that
// pass the scheduler's static filters), any order. A new pod is created at once on
// an eligible node without one; pods on other nodes are deleted. Update without
// surge: delete old pods (unavailable ones at once, others while fewer than
// maxUnavailable nodes lack an available pod); the next step recreates them. With
// surge: start a new pod beside the old one on up to maxSurge nodes, delete the old
// one when the new one is available. Nodes are handled in name order.
// InvalidArgument when both maxUnavailable and maxSurge are 0.
Result<RolloutStep> NextDaemonSetStep(const DaemonSetRollout& spec, const std::vector<std::string>& eligible_nodes,
                                      const std::vector<PodStatus>& pods);
Result<std::vector<RolloutWave>> PlanDaemonSetRollout(const DaemonSetRollout& spec,
                                                      const std::vector<std::string>& eligible_nodes,
                                                      const std::vector<PodStatus>& pods);

// ---- Job ----

struct JobRollout {
  std::string name;  // pods are "<name>-<k>"
  int32_t parallelism = 1;
  int32_t completions = -1;  // -1: unset (a work queue: done when one pod succeeds and none runs)
};

// Keeps min(parallelism, completions - succeeded) pods active; failed pods are
// replaced (the engine enforces backoffLimit). Excess active pods are deleted when
// parallelism drops.
Result<RolloutStep> NextJobStep(const JobRollout& spec, const std::vector<PodStatus>& pods);
Result<std::vector<RolloutWave>> PlanJobRollout(const JobRollout& spec, const std::vector<PodStatus>& pods);

}  // namespace gorch::planner

// Executing a plan into the store, and reading the live state back: the
// smallest piece of the engine (DESIGN.md: observe → plan → execute → observe).
#pragma once

#include <cstdint>
#include <string>

#include "gorch/base/status.h"
#include "gorch/planner/live_state.h"
#include "gorch/planner/plan.h"
#include "gorch/planner/scheduler_model.h"
#include "gorch/store/store.h"

namespace gorch::engine {

// The store key of an apply in progress: {"token","desiredHash"}. Its presence
// after a crash says an apply was interrupted; the next apply replaces it.
inline constexpr std::string_view kApplyLockKey = "/gorch/apply-lock";

// A consistent snapshot of the live state (one read at one revision), and the
// nodes registered in it ("/Node//<name>" keys) when nodes is not null.
Result<planner::LiveState> ReadLiveState(store::Store& store, planner::ClusterSnapshot* nodes = nullptr);
// The same at a past revision (Compacted when history no longer holds it).
Result<planner::LiveState> ReadLiveStateAt(store::Store& store, int64_t revision,
                                           planner::ClusterSnapshot* nodes = nullptr);

struct ApplyResult {
  int64_t revision = 0;  // the store revision after the apply
  int created = 0, updated = 0, deleted = 0;
};

// Applies plan's steps in order. Refuses a stale plan (FailedPrecondition saying
// what changed) when the resources the desired state manages, or the last apply,
// changed since plan.base_revision, as Terraform refuses a stale plan; writes of
// controllers and agents (pods, status, heartbeats, events) do not count. Writes go in transactions of at most store::kMaxTxnOps
// operations; every transaction after the first is guarded by the apply lock, so
// a concurrent apply cannot interleave, and the last one records the applied
// desired-state hash and commit (planner::kAppliedKey) and releases the lock.
Result<ApplyResult> ApplyPlan(store::Store& store, const planner::Plan& plan);

}  // namespace gorch::engine

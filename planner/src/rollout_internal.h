// Internal helpers shared by the rollout strategies.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gorch/planner/rollout.h"

namespace gorch::planner::internal {

// "<prefix>-<k>" with the smallest k >= *from (default 1) not in used; adds it to
// used and, when `from` is given, sets *from past it, so that a caller naming many
// pods in a row does not test every taken name again for each (n, not n², tries).
std::string NextFreeName(const std::string& prefix, std::set<std::string>* used, int* from = nullptr);

// Names of every pod (terminating ones too): a new name must differ from all.
std::set<std::string> PodNames(const std::vector<PodStatus>& pods);

// Order in which pods of one kind are deleted: not ready first, then not
// available, then the most recently created (pods are listed oldest first).
std::vector<const PodStatus*> DeletionOrder(const std::vector<const PodStatus*>& pods);

// Runs next() until the rollout is complete, one wave per step, assuming after
// each wave that pods being deleted are gone and every other pod becomes ready and
// available (kCompleted: every running pod succeeds). Internal error if it does
// not finish within max_steps or makes no progress.
Result<std::vector<RolloutWave>> SimulateWaves(
    std::vector<PodStatus> pods,
    const std::function<Result<RolloutStep>(const std::vector<PodStatus>&)>& next,
    WaitKind created_wait, int32_t min_ready_seconds, size_t max_steps);

}  // namespace gorch::planner::internal

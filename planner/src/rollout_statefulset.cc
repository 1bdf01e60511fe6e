// StatefulSet rollouts, following the order of Kubernetes' StatefulSet controller:
// create missing ordinals, delete condemned ones (>= replicas), then roll the update
// from the highest ordinal down to the partition.
#include <algorithm>
#include <map>

#include "rollout_internal.h"

namespace gorch::planner {

namespace {

bool Healthy(const PodStatus& p) { return p.ready && p.available && !p.terminating; }

std::string PodName(const StatefulSetRollout& spec, int32_t ordinal) {
  return spec.name + "-" + std::to_string(ordinal);
}

// Creates missing ordinals below replicas. Returns true when the step is final
// (OrderedReady created one, or must wait for one).
bool ScaleUp(const StatefulSetRollout& spec, const std::map<int32_t, const PodStatus*>& by_ordinal,
             RolloutStep* step) {
  const bool ordered = spec.pod_management == PodManagementPolicy::kOrderedReady;
  for (int32_t ord = 0; ord < spec.replicas; ++ord) {
    auto it = by_ordinal.find(ord);
    if (it == by_ordinal.end()) {
      const bool keep_old = spec.update_strategy == StatefulSetUpdateStrategy::kRollingUpdate && ord < spec.partition;
      step->create.push_back({PodName(spec, ord), !keep_old, ord, ""});
      if (ordered) return true;
      continue;
    }
    if (ordered && !Healthy(*it->second)) return true;  // wait for it
  }
  return false;
}

// Deletes ordinals >= replicas, highest first. Returns true when the step is final.
bool ScaleDown(const StatefulSetRollout& spec, const std::map<int32_t, const PodStatus*>& by_ordinal,
               RolloutStep* step) {
  const bool ordered = spec.pod_management == PodManagementPolicy::kOrderedReady;
  const PodStatus* first_unhealthy = nullptr;
  for (const auto& [ord, pod] : by_ordinal) {
    if (!Healthy(*pod)) {
      first_unhealthy = pod;
      break;
    }
  }
  for (auto it = by_ordinal.rbegin(); it != by_ordinal.rend() && it->first >= spec.replicas; ++it) {
    const PodStatus& pod = *it->second;
    if (pod.terminating) {
      if (ordered) return true;
      continue;
    }
    // Ordered: an unhealthy pod blocks deletions, unless it is the first unhealthy one.
    if (ordered && !Healthy(pod) && &pod != first_unhealthy) return true;
    step->remove.push_back(pod.name);
    if (ordered) return true;
  }
  return false;
}

// Deletes the highest old-revision pod at or above partition; the next step
// recreates it with the new revision.
void RollUpdate(const StatefulSetRollout& spec, const std::map<int32_t, const PodStatus*>& by_ordinal,
                RolloutStep* step) {
  for (int32_t ord = spec.replicas - 1; ord >= std::max(spec.partition, 0); --ord) {
    auto it = by_ordinal.find(ord);
    if (it == by_ordinal.end()) return;  // being created
    const PodStatus& pod = *it->second;
    if (!pod.updated && !pod.terminating) {
      step->remove.push_back(pod.name);
      return;
    }
    if (!Healthy(pod)) return;  // wait for the updated pod
  }
}

}  // namespace

Result<RolloutStep> NextStatefulSetStep(const StatefulSetRollout& spec, const std::vector<PodStatus>& pods) {
  if (spec.replicas < 0 || spec.partition < 0) {
    return Status::InvalidArgument("replicas and partition must not be negative");
  }
  std::map<int32_t, const PodStatus*> by_ordinal;
  for (const PodStatus& p : pods) {
    if (p.ordinal < 0) return Status::InvalidArgument("StatefulSet pod '" + p.name + "' has no ordinal");
    if (!by_ordinal.emplace(p.ordinal, &p).second) {
      return Status::InvalidArgument("two StatefulSet pods with ordinal " + std::to_string(p.ordinal));
    }
  }
  RolloutStep step;
  if (ScaleUp(spec, by_ordinal, &step)) return step;
  if (ScaleDown(spec, by_ordinal, &step)) return step;
  if (!step.empty()) return step;  // Parallel: created and deleted at once
  if (spec.update_strategy == StatefulSetUpdateStrategy::kRollingUpdate) RollUpdate(spec, by_ordinal, &step);
  if (!step.empty()) return step;
  step.complete = true;
  for (const auto& [ord, pod] : by_ordinal) {
    const bool stale = spec.update_strategy == StatefulSetUpdateStrategy::kRollingUpdate &&
                       ord >= spec.partition && !pod->updated;
    if (ord >= spec.replicas || !Healthy(*pod) || stale) step.complete = false;
  }
  return step;
}

Result<std::vector<RolloutWave>> PlanStatefulSetRollout(const StatefulSetRollout& spec,
                                                        const std::vector<PodStatus>& pods) {
  auto next = [&spec](const std::vector<PodStatus>& now) { return NextStatefulSetStep(spec, now); };
  const size_t limit = 10 + 4 * (pods.size() + static_cast<size_t>(std::max(spec.replicas, 0)));
  return internal::SimulateWaves(pods, next, WaitKind::kReady, spec.min_ready_seconds, limit);
}

}  // namespace gorch::planner

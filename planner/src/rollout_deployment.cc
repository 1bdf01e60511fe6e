// Deployment rollouts: RollingUpdate (the arithmetic of Kubernetes'
// reconcileNewReplicaSet / reconcileOldReplicaSets in one step) and Recreate.
#include <algorithm>

#include "rollout_internal.h"

namespace gorch::planner {

using internal::DeletionOrder;

Result<Fenceposts> ResolveFenceposts(const DeploymentRollout& spec) {
  const IntOrPercent& surge = spec.max_surge;
  const IntOrPercent& unavailable = spec.max_unavailable;
  if (surge.value < 0 || unavailable.value < 0) {
    return Status::InvalidArgument("maxSurge and maxUnavailable must not be negative");
  }
  if (unavailable.percent && unavailable.value > 100) {
    return Status::InvalidArgument("maxUnavailable " + unavailable.ToString() + " exceeds 100%");
  }
  if (surge.value == 0 && unavailable.value == 0) {
    return Status::InvalidArgument("maxSurge and maxUnavailable may not both be 0");
  }
  Fenceposts f{surge.Scaled(spec.replicas, /*round_up=*/true), unavailable.Scaled(spec.replicas, false)};
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;  // rounding made both 0
  f.max_unavailable = std::min(f.max_unavailable, spec.replicas);
  return f;
}

namespace {

struct Split {
  std::vector<const PodStatus*> old_pods, new_pods;  // live (not terminating)
  bool old_terminating = false;
  bool any_terminating = false;
};

Split SplitPods(const std::vector<PodStatus>& pods) {
  Split s;
  for (const PodStatus& p : pods) {
    if (p.terminating) {
      s.any_terminating = true;
      s.old_terminating |= !p.updated;
      continue;
    }
    (p.updated ? s.new_pods : s.old_pods).push_back(&p);
  }
  return s;
}

int32_t CountAvailable(const std::vector<const PodStatus*>& pods) {
  return static_cast<int32_t>(std::count_if(pods.begin(), pods.end(), [](const PodStatus* p) { return p->available; }));
}

void Create(const DeploymentRollout& spec, const std::vector<PodStatus>& pods, int32_t count, RolloutStep* step) {
  std::set<std::string> used = internal::PodNames(pods);
  int from = 1;
  for (int32_t i = 0; i < count; ++i) {
    step->create.push_back({internal::NextFreeName(spec.new_pod_prefix, &used, &from), true, -1, ""});
  }
}

// Deletes the first count pods of pods in deletion order.
void Remove(const std::vector<const PodStatus*>& pods, int32_t count, RolloutStep* step) {
  std::vector<const PodStatus*> order = DeletionOrder(pods);
  for (int32_t i = 0; i < count && i < static_cast<int32_t>(order.size()); ++i) {
    step->remove.push_back(order[i]->name);
  }
}

RolloutStep RecreateStep(const DeploymentRollout& spec, const std::vector<PodStatus>& pods, const Split& s) {
  RolloutStep step;
  if (!s.old_pods.empty()) {
    Remove(s.old_pods, static_cast<int32_t>(s.old_pods.size()), &step);
    return step;
  }
  if (s.old_terminating) return step;  // wait until every old pod is gone
  const int32_t have = static_cast<int32_t>(s.new_pods.size());
  if (have < spec.replicas) Create(spec, pods, spec.replicas - have, &step);
  if (have > spec.replicas) Remove(s.new_pods, have - spec.replicas, &step);
  step.complete = step.empty() && CountAvailable(s.new_pods) == spec.replicas && !s.any_terminating;
  return step;
}

RolloutStep RollingStep(const DeploymentRollout& spec, const std::vector<PodStatus>& pods, const Split& s,
                        const Fenceposts& f) {
  RolloutStep step;
  const int32_t new_count = static_cast<int32_t>(s.new_pods.size());
  const int32_t total = new_count + static_cast<int32_t>(s.old_pods.size());
  if (new_count > spec.replicas) {
    Remove(s.new_pods, new_count - spec.replicas, &step);
    return step;
  }
  // Scale the new revision up within replicas + maxSurge.
  int32_t create = 0;
  const int32_t max_total = spec.replicas + f.max_surge;
  if (total < max_total && new_count < spec.replicas) create = std::min(max_total - total, spec.replicas - new_count);
  Create(spec, pods, create, &step);
  // Scale old pods down while replicas - maxUnavailable stay available, counting the
  // new pods not available yet (those just created too) against the budget.
  const int32_t all = total + create;
  const int32_t min_available = spec.replicas - f.max_unavailable;
  const int32_t new_unavailable = new_count + create - CountAvailable(s.new_pods);
  const int32_t max_scaled_down = all - min_available - new_unavailable;
  if (max_scaled_down > 0 && !s.old_pods.empty()) {
    // Unavailable old pods go first, up to max_scaled_down (they cost no availability).
    std::vector<const PodStatus*> unhealthy, rest;
    for (const PodStatus* p : s.old_pods) {
      if (!p->available) unhealthy.push_back(p);
    }
    Remove(unhealthy, std::min(max_scaled_down, static_cast<int32_t>(unhealthy.size())), &step);
    for (const PodStatus* p : s.old_pods) {
      if (std::find(step.remove.begin(), step.remove.end(), p->name) == step.remove.end()) rest.push_back(p);
    }
    const int32_t available = CountAvailable(s.old_pods) + CountAvailable(s.new_pods);
    const int32_t scale_down = std::min(available - min_available, static_cast<int32_t>(rest.size()));
    if (scale_down > 0) Remove(rest, scale_down, &step);
  }
  step.complete = step.empty() && s.old_pods.empty() && new_count == spec.replicas &&
                  CountAvailable(s.new_pods) == spec.replicas;
  return step;
}

}  // namespace

Result<RolloutStep> NextDeploymentStep(const DeploymentRollout& spec, const std::vector<PodStatus>& pods) {
  if (spec.replicas < 0) return Status::InvalidArgument("replicas must not be negative");
  if (spec.min_ready_seconds < 0) return Status::InvalidArgument("minReadySeconds must not be negative");
  const Split s = SplitPods(pods);
  if (spec.strategy == DeploymentStrategy::kRecreate) return RecreateStep(spec, pods, s);
  Result<Fenceposts> f = ResolveFenceposts(spec);
  if (!f.ok()) return f.status();
  return RollingStep(spec, pods, s, *f);
}

Result<std::vector<RolloutWave>> PlanDeploymentRollout(const DeploymentRollout& spec,
                                                       const std::vector<PodStatus>& pods) {
  auto next = [&spec](const std::vector<PodStatus>& now) { return NextDeploymentStep(spec, now); };
  const size_t limit = 10 + 4 * (pods.size() + static_cast<size_t>(std::max(spec.replicas, 0)));
  return internal::SimulateWaves(pods, next, WaitKind::kReady, spec.min_ready_seconds, limit);
}

}  // namespace gorch::planner
